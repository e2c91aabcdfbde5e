/**
 * Plain AOF bases (aof-use-rdb-preamble no): the commands rewriteAppendOnlyFileRio emits per type
 * (batches of AOF_REWRITE_ITEMS_PER_CMD, %.17g scores, PEXPIREAT), and the conversion of a
 * snapshot's RDB stream into them, in any chunking.
 */

import {
  AOF_ANNOTATION,
  AOF_COMMAND,
  AofCommandReader,
  type RdbEntry,
  type RdbValue,
  RdbWriter,
} from "@keyhaven/protocol";
import { describe, expect, it } from "vitest";
import { AOF_REWRITE_ITEMS_PER_CMD, AofBaseSink, entryCommands } from "./aof-base.js";
import type { AtomicFileWriter } from "./atomic-file.js";

function parse(data: Buffer): string[][] {
  const r = new AofCommandReader();
  r.feed(data);
  const out: string[][] = [];
  for (let st = r.next(); st !== 0; st = r.next()) {
    if (st === AOF_COMMAND) out.push(r.argv);
    else if (st === AOF_ANNOTATION) out.push([`#${r.annotation}`]);
  }
  expect(r.end()).toBe("complete");
  return out;
}

function entry(key: string, value: RdbValue, expireAtMs = -1): RdbEntry {
  return { db: 0, key, value, expireAtMs, lruIdleSeconds: -1, lfuFreq: -1 };
}

function commands(e: RdbEntry): string[][] {
  const out: Buffer[] = [];
  entryCommands(e, out);
  return parse(Buffer.concat(out));
}

describe("plain AOF base commands", () => {
  it("strings are SET, a TTL is PEXPIREAT", () => {
    expect(commands(entry("k", { type: "string", value: "v\r\n\0" }, 1_900_000_000_123))).toEqual([
      ["SET", "k", "v\r\n\0"],
      ["PEXPIREAT", "k", "1900000000123"],
    ]);
  });

  it("collections are batched 64 items per command", () => {
    const items = Array.from({ length: 130 }, (_, i) => `i${i}`);
    const list = commands(entry("l", { type: "list", value: items }));
    expect(list.map((c) => c.length - 2)).toEqual([64, 64, 2]);
    expect(list.flatMap((c) => c.slice(2))).toEqual(items);
    expect(list.every((c) => c[0] === "RPUSH" && c[1] === "l")).toBe(true);
    const set = commands(entry("s", { type: "set", value: items.slice(0, AOF_REWRITE_ITEMS_PER_CMD) }));
    expect(set).toEqual([["SADD", "s", ...items.slice(0, 64)]]);
    const hash = commands(
      entry("h", {
        type: "hash",
        value: items.slice(0, 65).map((f, i) => [f, String(i)] as [string, string]),
      }),
    );
    expect(hash.map((c) => [c[0], (c.length - 2) / 2])).toEqual([
      ["HMSET", 64],
      ["HMSET", 1],
    ]);
  });

  it("zset scores are written as %.17g (inf, -inf, exact decimals)", () => {
    const z = commands(
      entry("z", {
        type: "zset",
        value: [
          ["a", 1.5],
          ["b", -2],
          ["c", Number.POSITIVE_INFINITY],
          ["d", Number.NEGATIVE_INFINITY],
          ["e", 0.1],
        ],
      }),
    );
    expect(z).toEqual([
      ["ZADD", "z", "1.5", "a", "-2", "b", "inf", "c", "-inf", "d", "0.10000000000000001", "e"],
    ]);
  });
});

describe("AofBaseSink (plain)", () => {
  it("turns an RDB stream fed in any chunks into SELECT + commands, with a #TS annotation first", async () => {
    const w = new RdbWriter();
    w.header({ redisVer: "7.0.15", ctime: 0, usedMem: 0, aofBase: true });
    w.selectDb(0, 2, 1);
    w.entry("a", { type: "string", value: "1" }, -1);
    w.entry("b", { type: "list", value: ["x", "y"] }, 1_900_000_000_000);
    w.selectDb(5, 1, 0);
    w.entry("c", { type: "string", value: "3" }, -1);
    w.end();
    const rdb = Buffer.concat(w.take());
    const written: Buffer[] = [];
    const file = { write: (chunks: Buffer[]) => written.push(...chunks), pendingBytes: 0 };
    let done: Error | null | undefined;
    const sink = new AofBaseSink(file as unknown as AtomicFileWriter, true, true, (err) => {
      done = err;
    });
    for (let off = 0; off < rdb.length; off += 7) sink.write([rdb.subarray(off, off + 7)]);
    sink.end();
    expect(done).toBeNull();
    const cmds = parse(Buffer.concat(written));
    expect(cmds[0][0]).toMatch(/^#TS:\d+$/);
    expect(cmds.slice(1)).toEqual([
      ["SELECT", "0"],
      ["SET", "a", "1"],
      ["RPUSH", "b", "x", "y"],
      ["PEXPIREAT", "b", "1900000000000"],
      ["SELECT", "5"],
      ["SET", "c", "3"],
    ]);
  });

  it("reports a cut stream as a failure", () => {
    const w = new RdbWriter();
    w.header({ redisVer: "7.0.15", ctime: 0, usedMem: 0 });
    w.selectDb(0, 1, 0);
    w.entry("a", { type: "string", value: "1" }, -1);
    w.end();
    const rdb = Buffer.concat(w.take());
    let done: Error | null | undefined;
    const file = { write: () => {}, pendingBytes: 0 };
    const sink = new AofBaseSink(file as unknown as AtomicFileWriter, true, false, (err) => {
      done = err;
    });
    sink.write([rdb.subarray(0, rdb.length - 4)]);
    sink.end();
    expect(done).toBeInstanceOf(Error);
  });
});
