/**
 * Stream values in the RDB codec: round trips of RDB_TYPE_STREAM_LISTPACKS_2 through DUMP
 * payloads and through an RdbInput fed one byte at a time (the parser is resumable), loading the
 * older RDB_TYPE_STREAM_LISTPACKS layout with the fields Redis 7.0 derives for it, and corrupt
 * payloads refused with an error rather than half-loaded.
 */

import { describe, expect, it } from "vitest";
import { DumpPayloadDataError, RdbFormatError } from "../errors.js";
import { crc64 } from "./crc64.js";
import { createDumpPayload, parseDumpPayload } from "./dump.js";
import { NEED_MORE, RdbInput } from "./input.js";
import { ListpackBuilder } from "./listpack.js";
import { RdbOutput } from "./output.js";
import { encodeStreamNode, type RdbStream, StreamValueParser } from "./stream.js";

function sample(): RdbStream {
  return {
    nodes: [
      {
        masterMs: 5n,
        masterSeq: 1n,
        masterFields: ["a", "b"],
        live: 2,
        deleted: 1,
        entries: [
          { flags: 2, ms: 5n, seq: 1n, items: ["a", "1", "b", "x"] },
          { flags: 3, ms: 5n, seq: 2n, items: ["a", "2", "b", "y"] },
          { flags: 0, ms: 7n, seq: 0n, items: ["z", "12345678901"] },
        ],
      },
      {
        masterMs: 18446744073709551615n,
        masterSeq: 0n,
        masterFields: ["f"],
        live: 1,
        deleted: 0,
        entries: [{ flags: 2, ms: 18446744073709551615n, seq: 0n, items: ["f", "v".repeat(100)] }],
      },
    ],
    length: 3,
    lastMs: 18446744073709551615n,
    lastSeq: 0n,
    firstMs: 5n,
    firstSeq: 1n,
    maxDeletedMs: 5n,
    maxDeletedSeq: 2n,
    entriesAdded: 4,
    groups: [
      {
        name: "g",
        lastMs: 7n,
        lastSeq: 0n,
        entriesRead: -1,
        pel: [
          { ms: 5n, seq: 1n, deliveryTime: 1700000000123, deliveryCount: 2, consumer: 0 },
          { ms: 7n, seq: 0n, deliveryTime: 1700000000456, deliveryCount: 1, consumer: 1 },
        ],
        consumers: [
          { name: "alice", seenTime: 1700000000999, pel: [0] },
          { name: "bob", seenTime: 1700000001000, pel: [1] },
        ],
      },
    ],
  };
}

/** A DUMP payload around `body` (the value's bytes after the type byte). */
function payload(type: number, body: Buffer): Buffer {
  const head = Buffer.concat([Buffer.from([type]), body, Buffer.from([10, 0])]);
  const crc = Buffer.allocUnsafe(8);
  crc.writeBigUInt64LE(crc64(head));
  return Buffer.concat([head, crc]);
}

describe("stream values", () => {
  it("round-trip through a DUMP payload, with and without compression", () => {
    for (const compression of [true, false]) {
      const bytes = createDumpPayload({ type: "stream", value: sample() }, { compression });
      expect(bytes[0]).toBe(19);
      const back = parseDumpPayload(bytes);
      expect(back).toEqual({ type: "stream", value: sample() });
    }
  });

  it("parse when fed one byte at a time", () => {
    const bytes = createDumpPayload({ type: "stream", value: sample() });
    const input = new RdbInput(false);
    let parser: StreamValueParser | null = null;
    let result: RdbStream | null = null;
    input.feed(bytes.subarray(0, 1));
    input.prepare();
    input.pos = 1;
    input.mark = 1;
    for (let i = 1; i < bytes.length - 10 && result === null; i++) {
      input.feed(bytes.subarray(i, i + 1));
      if (!input.prepare()) continue;
      try {
        if (parser === null) parser = new StreamValueParser(input, true);
        input.mark = input.pos;
        result = parser.resume(input);
      } catch (err) {
        if (err !== NEED_MORE) throw err;
        input.pos = input.mark;
      }
    }
    expect(result).toEqual(sample());
  });

  it("load RDB_TYPE_STREAM_LISTPACKS (Redis 6) with the fields 7.0 derives", () => {
    const s = sample();
    const out = new RdbOutput(false);
    const lp = new ListpackBuilder();
    out.writeLen(s.nodes.length);
    for (const n of s.nodes) {
      const key = Buffer.allocUnsafe(16);
      key.writeBigUInt64BE(n.masterMs, 0);
      key.writeBigUInt64BE(n.masterSeq, 8);
      out.writeBlob(key, false);
      out.writeBlob(lp.buffer, false, 0, encodeStreamNode(n, lp));
    }
    out.writeLen(3);
    const last = Buffer.from([0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    out.writeCopy(last, 0, 9);
    out.writeLen(0);
    out.writeLen(1); // one group, no entries-read in this layout
    out.writeString("g", false);
    out.writeLen(5);
    out.writeLen(1);
    out.writeLen(0); // empty PEL
    out.writeLen(0); // no consumers
    const value = parseDumpPayload(payload(15, Buffer.concat(out.take())));
    if (value.type !== "stream") throw new Error("not a stream");
    expect(value.value.entriesAdded).toBe(3);
    expect([value.value.firstMs, value.value.firstSeq]).toEqual([5n, 1n]);
    expect([value.value.maxDeletedMs, value.value.maxDeletedSeq]).toEqual([0n, 0n]);
    // 5-1 is the first entry and nothing was deleted as far as 7.0 knows: read counter 3 - 3 + 1.
    expect(value.value.groups[0].entriesRead).toBe(1);
  });

  it("refuse corrupt payloads", () => {
    const good = createDumpPayload({ type: "stream", value: sample() }, { compression: false });
    const corrupt = (mutate: (s: RdbStream) => void) => {
      const s = sample();
      mutate(s);
      return createDumpPayload({ type: "stream", value: s }, { compression: false });
    };
    const refused = (bytes: Buffer, text: RegExp) => {
      let err: unknown;
      try {
        parseDumpPayload(bytes);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DumpPayloadDataError);
      const cause = (err as { cause?: unknown }).cause;
      expect(cause).toBeInstanceOf(RdbFormatError);
      expect(String((cause as Error).message)).toMatch(text);
    };
    refused(
      corrupt((s) => (s.length = 5)),
      /length inconsistent/,
    );
    refused(
      corrupt((s) => (s.nodes[0].live = 1)),
      /integrity/,
    );
    refused(
      corrupt((s) => s.groups.push({ ...s.groups[0] })),
      /Duplicated consumer group/,
    );
    refused(
      corrupt((s) => (s.groups[0].consumers[1].pel = [0])),
      /Duplicated consumer PEL|without consumer/,
    );
    refused(
      corrupt((s) => (s.groups[0].consumers[1].pel = [])),
      /without consumer/,
    );
    // A listpack byte flipped: the listpack or stream checks catch it.
    const flipped = Buffer.from(good);
    flipped[40] ^= 0x55;
    expect(() => parseDumpPayload(flipped)).toThrow();
    // Truncated.
    expect(() => parseDumpPayload(good.subarray(0, good.length - 30))).toThrow();
  });
});
