/**
 * HyperLogLog commands over the wire: replies, estimates, the sparse and dense encodings and the
 * switch between them, PFMERGE, PFDEBUG, keyspace events and exact error texts. Runs against
 * Keyhaven, or against real Redis with KEYHAVEN_TEST_TARGET=redis (the specification); the
 * byte-for-byte comparison with Redis is in ../differential/hyperloglog.test.ts.
 */

import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { errorText, RespClient, type ServerProcess, waitFor, withTarget } from "../helpers.js";

let server: ServerProcess;
let c: RespClient;

withTarget({}, (t) => ({ server, c } = t));
beforeEach(async () => {
  await c.call("FLUSHALL");
  await c.call("CONFIG", "SET", "hll-sparse-max-bytes", "3000");
});

const NOT_HLL = "WRONGTYPE Key is not a valid HyperLogLog string value.";
const WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";

/** Adds `n` distinct elements `${prefix}0`... in PFADDs of 500. */
async function addMany(key: string, n: number, prefix = "e"): Promise<void> {
  for (let i = 0; i < n; i += 500) {
    const batch: string[] = [];
    for (let j = i; j < Math.min(n, i + 500); j++) batch.push(`${prefix}${j}`);
    await c.call("PFADD", key, ...batch);
  }
}

describe("PFADD and PFCOUNT", () => {
  it("creates the key, says whether anything changed, and counts small sets exactly", async () => {
    expect(await c.call("PFADD", "h")).toBe(1);
    expect(await c.call("PFADD", "h")).toBe(0);
    expect(await c.call("PFCOUNT", "h")).toBe(0);
    expect(await c.call("PFADD", "h", "a", "b", "c")).toBe(1);
    expect(await c.call("PFADD", "h", "a", "b")).toBe(0);
    expect(await c.call("PFCOUNT", "h")).toBe(3);
    expect(await c.call("PFADD", "h", "d", "a")).toBe(1);
    expect(await c.call("PFCOUNT", "h")).toBe(4);
    expect(await c.call("PFCOUNT", "nokey")).toBe(0);
  });

  it("is a string value starting with HYLL, in the sparse encoding while small", async () => {
    await c.call("PFADD", "h", "a", "b", "c");
    expect(await c.call("TYPE", "h")).toBe("string");
    expect(await c.call("OBJECT", "ENCODING", "h")).toBe("raw");
    const value = (await c.call("GET", "h")) as string;
    expect(value.slice(0, 5)).toBe("HYLL\x01");
    expect(value.length).toBe(27);
    expect(await c.call("PFDEBUG", "ENCODING", "h")).toBe("sparse");
    expect(await c.call("PFDEBUG", "DECODE", "h")).toBe("Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603");
  });

  it("estimates large sets within a few percent", async () => {
    await addMany("h", 20_000);
    const estimate = (await c.call("PFCOUNT", "h")) as number;
    expect(Math.abs(estimate - 20_000) / 20_000).toBeLessThan(0.03);
    // Adding the same elements again changes nothing.
    expect(await c.call("PFADD", "h", "e0", "e19999")).toBe(0);
    expect(await c.call("PFCOUNT", "h")).toBe(estimate);
  });

  it("turns dense when the sparse form would outgrow hll-sparse-max-bytes, with the same count", async () => {
    await addMany("h", 300);
    expect(await c.call("PFDEBUG", "ENCODING", "h")).toBe("sparse");
    const sparseCount = await c.call("PFCOUNT", "h");
    await c.call("CONFIG", "SET", "hll-sparse-max-bytes", "100");
    await c.call("PFADD", "h", ...Array.from({ length: 50 }, (_, i) => `more${i}`));
    expect(await c.call("PFDEBUG", "ENCODING", "h")).toBe("dense");
    expect(await c.call("STRLEN", "h")).toBe(12304);
    await addMany("g", 300);
    await c.call("PFDEBUG", "TODENSE", "g");
    expect(await c.call("PFCOUNT", "g")).toBe(sparseCount);
  });

  it("counts the union of several keys, missing ones counting as empty", async () => {
    await c.call("PFADD", "x", "a", "b", "c");
    await c.call("PFADD", "y", "c", "d");
    expect(await c.call("PFCOUNT", "x", "y", "nokey")).toBe(4);
    await addMany("big1", 3000, "p");
    await addMany("big2", 3000, "q");
    const union = (await c.call("PFCOUNT", "big1", "big2")) as number;
    expect(Math.abs(union - 6000) / 6000).toBeLessThan(0.03);
  });
});

describe("PFMERGE", () => {
  it("stores the union in the destination, which counts as a source too", async () => {
    await c.call("PFADD", "x", "a", "b", "c");
    await c.call("PFADD", "y", "c", "d");
    expect(await c.call("PFMERGE", "dest", "x", "y", "nokey")).toBe("OK");
    expect(await c.call("PFCOUNT", "dest")).toBe(4);
    await c.call("PFADD", "z", "e");
    expect(await c.call("PFMERGE", "dest", "z")).toBe("OK");
    expect(await c.call("PFCOUNT", "dest")).toBe(5);
    expect(await c.call("PFMERGE", "empty")).toBe("OK");
    expect(await c.call("PFCOUNT", "empty")).toBe(0);
    expect(await c.call("PFDEBUG", "ENCODING", "dest")).toBe("sparse");
  });

  it("merges into the dense encoding when a source is dense", async () => {
    await c.call("PFADD", "s", "a");
    await c.call("PFADD", "d", "b");
    await c.call("PFDEBUG", "TODENSE", "d");
    expect(await c.call("PFMERGE", "dest", "s", "d")).toBe("OK");
    expect(await c.call("PFDEBUG", "ENCODING", "dest")).toBe("dense");
    expect(await c.call("PFCOUNT", "dest")).toBe(2);
  });
});

describe("PFDEBUG", () => {
  it("GETREG, DECODE, ENCODING and TODENSE", async () => {
    await c.call("PFADD", "h", "a", "b", "c");
    expect(await c.call("PFDEBUG", "TODENSE", "h")).toBe(1);
    expect(await c.call("PFDEBUG", "TODENSE", "h")).toBe(0);
    expect(await c.call("PFDEBUG", "ENCODING", "h")).toBe("dense");
    expect(errorText(await c.call("PFDEBUG", "DECODE", "h"))).toBe("ERR HLL encoding is not sparse");
    const registers = (await c.call("PFDEBUG", "GETREG", "h")) as number[];
    expect(registers.length).toBe(16384);
    // The three elements set registers 8436, 12711 and 15780 (as DECODE showed when sparse).
    expect(registers.filter((r) => r !== 0)).toEqual([1, 2, 1]);
    expect([registers[8436], registers[12711], registers[15780]]).toEqual([1, 2, 1]);
    expect(await c.call("PFCOUNT", "h")).toBe(3);
  });

  it("errors", async () => {
    await c.call("SET", "s", "not an hll");
    expect(errorText(await c.call("PFDEBUG", "GETREG", "nokey"))).toBe(
      "ERR The specified key does not exist",
    );
    expect(errorText(await c.call("PFDEBUG", "ENCODING", "s"))).toBe(NOT_HLL);
    await c.call("PFADD", "h", "a");
    expect(errorText(await c.call("PFDEBUG", "FOO", "h"))).toBe("ERR Unknown PFDEBUG subcommand 'FOO'");
    expect(errorText(await c.call("PFDEBUG", "DECODE", "h", "x"))).toBe(
      "ERR wrong number of arguments for 'pfdebug' command",
    );
  });
});

describe("bad values", () => {
  it("refuses strings that are not HLLs and other types", async () => {
    await c.call("SET", "s", "foo");
    await c.call("LPUSH", "l", "a");
    for (const argv of [
      ["PFADD", "s", "a"],
      ["PFCOUNT", "s"],
      ["PFCOUNT", "s", "l"],
      ["PFMERGE", "s", "x"],
      ["PFMERGE", "x", "s"],
    ]) {
      expect(errorText(await c.call(...argv))).toBe(NOT_HLL);
    }
    expect(errorText(await c.call("PFADD", "l", "a"))).toBe(WRONGTYPE);
    expect(errorText(await c.call("PFCOUNT", "l"))).toBe(WRONGTYPE);
    // A dense HLL must have its exact size; an unknown encoding byte is refused too.
    await c.call("PFADD", "h", "a");
    await c.call("PFDEBUG", "TODENSE", "h");
    await c.call("APPEND", "h", "x");
    expect(errorText(await c.call("PFCOUNT", "h"))).toBe(NOT_HLL);
    await c.call("SET", "e", `HYLL\x02${"\0".repeat(11)}`);
    expect(errorText(await c.call("PFCOUNT", "e"))).toBe(NOT_HLL);
    expect(await c.call("EXISTS", "x")).toBe(0);
  });

  it("detects a corrupt sparse HLL (opcodes that do not cover every register)", async () => {
    // Header with a stale cached count, then one ZERO opcode covering 64 registers only.
    await c.call("SET", "bad", Buffer.from(`HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x3f`, "latin1"));
    expect(errorText(await c.call("PFCOUNT", "bad"))).toBe("INVALIDOBJ Corrupted HLL object detected");
    expect(errorText(await c.call("PFCOUNT", "bad", "bad"))).toBe("INVALIDOBJ Corrupted HLL object detected");
    expect(errorText(await c.call("PFMERGE", "dest", "bad"))).toBe(
      "INVALIDOBJ Corrupted HLL object detected",
    );
    expect(errorText(await c.call("PFDEBUG", "TODENSE", "bad"))).toBe(
      "INVALIDOBJ Corrupted HLL object detected",
    );
    expect(await c.call("EXISTS", "dest")).toBe(0);
  });
});

describe("keyspace events and the command table", () => {
  let sub: RespClient | undefined;
  afterAll(() => sub?.close());

  it("PFADD and PFMERGE notify pfadd; PFCOUNT does not", async () => {
    await c.call("CONFIG", "SET", "notify-keyspace-events", "KE$");
    sub = await RespClient.connect(server.port);
    await sub.call("PSUBSCRIBE", "__keyevent@0__:*");
    await c.call("PFADD", "h", "a");
    await c.call("PFCOUNT", "h");
    await c.call("PFMERGE", "m", "h");
    await waitFor(() => sub!.pushed.length >= 2, "two events");
    expect(sub.pushed).toEqual([
      ["pmessage", "__keyevent@0__:*", "__keyevent@0__:pfadd", "h"],
      ["pmessage", "__keyevent@0__:*", "__keyevent@0__:pfadd", "m"],
    ]);
    await c.call("CONFIG", "SET", "notify-keyspace-events", "");
  });

  it("COMMAND INFO describes them as Redis does", async () => {
    const info = (await c.call("COMMAND", "INFO", "pfadd", "pfcount", "pfmerge", "pfdebug")) as unknown[][];
    expect(info.map((i) => i.slice(0, 6))).toEqual([
      ["pfadd", -2, ["write", "denyoom", "fast"], 1, 1, 1],
      ["pfcount", -2, ["readonly"], 1, -1, 1],
      ["pfmerge", -2, ["write", "denyoom"], 1, -1, 1],
      ["pfdebug", 3, ["write", "denyoom", "admin"], 2, 2, 1],
    ]);
    expect(info.map((i) => i[6])).toEqual([
      ["@write", "@hyperloglog", "@fast"],
      ["@read", "@hyperloglog", "@slow"],
      ["@write", "@hyperloglog", "@slow"],
      ["@write", "@hyperloglog", "@admin", "@slow", "@dangerous"],
    ]);
  });
});
