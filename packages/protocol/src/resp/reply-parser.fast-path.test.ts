/**
 * The reply parser has two ways through a reply in plain mode: recursive descent over a reply
 * already whole in the buffer (fastValue) and the general path with its frame stack. These tests
 * hold them to the same results: values fed whole, and the same values inside an array fed one
 * byte at a time (the array's frame is open before any element is whole, so every element goes
 * the general way), must come out equal, in every string mode; malformed streams must give the
 * same values and errors however they are cut; and strings must decode right across the text
 * windows they are cut from, ASCII or not.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { byteByByte, splitAt } from "../../test/helpers/chunks.js";
import {
  REPLY_ERROR,
  REPLY_VALUE,
  ReplyParser,
  type ReplyParserOptions,
  RespPush,
  type RespValue,
} from "./reply-parser.js";
import { ReplyWriter } from "./reply-writer.js";
import { writeRespValue } from "./value-encoder.js";

type Strings = NonNullable<ReplyParserOptions["strings"]>;

function parse(chunks: Buffer[], strings: Strings = "utf8"): { values: unknown[]; error: string | null } {
  const parser = new ReplyParser({ strings });
  const values: unknown[] = [];
  for (const chunk of chunks) {
    parser.feed(chunk);
    for (;;) {
      const status = parser.next();
      if (status === REPLY_VALUE) values.push(parser.value);
      else if (status === REPLY_ERROR) return { values, error: parser.error };
      else break;
    }
  }
  return { values, error: null };
}

function encode(resp: 2 | 3, values: RespValue[]): Buffer {
  const w = new ReplyWriter();
  w.resp = resp;
  for (const v of values) writeRespValue(w, v);
  return w.takeBuffer();
}

const arbText = fc.string({ maxLength: 16, unit: "grapheme" }).filter((s) => !/[\r\n]/.test(s));
const leaf: fc.Arbitrary<RespValue> = fc.oneof(
  arbText.map((value) => ({ type: "simple" as const, value })),
  arbText.map((value) => ({ type: "error" as const, value })),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((value) => ({ type: "integer" as const, value })),
  fc.integer({ min: -1000, max: 1000 }).map((n) => ({ type: "integer" as const, value: BigInt(n) })),
  fc.uint8Array({ maxLength: 30 }).map((u) => ({ type: "bulk" as const, value: Buffer.from(u) })),
  arbText.map((s) => ({ type: "bulk" as const, value: Buffer.from(s, "utf8") })),
  fc.constantFrom<RespValue>({ type: "null" }, { type: "nullBulk" }, { type: "nullArray" }),
  fc.double({ noNaN: true }).map((value) => ({ type: "double" as const, value })),
  fc.boolean().map((value) => ({ type: "boolean" as const, value })),
  fc.bigInt().map((value) => ({ type: "bignum" as const, value })),
  fc
    .uint8Array({ maxLength: 10 })
    .map((u) => ({ type: "verbatim" as const, format: "txt", value: Buffer.from(u) })),
);
const { value: arbValue } = fc.letrec<{ value: RespValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.array(tie("value"), { maxLength: 4 }).map((value) => ({ type: "array" as const, value })),
    fc.array(tie("value"), { maxLength: 4 }).map((value) => ({ type: "set" as const, value })),
    fc.array(tie("value"), { maxLength: 4 }).map((value) => ({ type: "push" as const, value })),
    fc
      .array(fc.tuple(tie("value"), tie("value")), { maxLength: 3 })
      .map((value) => ({ type: "map" as const, value })),
    fc
      .tuple(fc.array(fc.tuple(leaf, leaf), { maxLength: 2 }), tie("value"))
      .map(([attributes, value]) => ({ type: "attribute" as const, attributes, value })),
  ),
}));
const arbStrings = fc.constantFrom<Strings>("utf8", "latin1", "buffer");

/** `depth` arrays of one element around `:1`. */
const nested = (depth: number) => Buffer.from(`${"*1\r\n".repeat(depth)}:1\r\n`);

describe("fast and general paths agree", () => {
  it("any values: whole, versus inside an array fed byte by byte, in every string mode", () => {
    fc.assert(
      fc.property(
        fc.array(arbValue, { minLength: 1, maxLength: 5 }),
        fc.constantFrom<2 | 3>(2, 3),
        arbStrings,
        fc.array(fc.nat(), { maxLength: 5 }),
        (values, resp, strings, cuts) => {
          const body = encode(resp, values);
          const whole = parse([body], strings);
          expect(whole.error).toBeNull();
          expect(whole.values).toHaveLength(values.length);
          const wrapped = Buffer.concat([Buffer.from(`*${values.length}\r\n`), body]);
          expect(parse(byteByByte(wrapped), strings)).toEqual({ values: [whole.values], error: null });
          expect(parse(splitAt(body, cuts), strings)).toEqual(whole);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("mutated streams give the same values and errors however they are cut", () => {
    fc.assert(
      fc.property(
        fc.array(arbValue, { minLength: 1, maxLength: 4 }),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(42, 36, 58, 43, 45, 95, 37, 124, 48, 49, 13, 10, 200)), {
          minLength: 1,
          maxLength: 3,
        }),
        fc.array(fc.nat(), { maxLength: 4 }),
        (values, mutations, cuts) => {
          const input = Buffer.from(encode(3, values));
          for (const [at, byte] of mutations) input[at % input.length] = byte;
          const whole = parse([input]);
          expect(parse(byteByByte(input))).toEqual(whole);
          expect(parse(splitAt(input, cuts))).toEqual(whole);
          if (whole.error !== null) expect(whole.error).toMatch(/^Protocol error/);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("aggregates nested deeper than the fast path recurses", () => {
    for (const depth of [1, 7, 8, 9, 30]) {
      let expected: unknown = 1;
      for (let i = 0; i < depth; i++) expected = [expected];
      expect(parse([nested(depth)]).values).toEqual([expected]);
      expect(parse(byteByByte(nested(depth))).values).toEqual([expected]);
    }
  });

  it("a hostile nesting depth never overflows the call stack", () => {
    const out = parse([nested(200_000)]);
    expect(out.error).toBeNull();
    let depth = 0;
    let v = out.values[0];
    while (Array.isArray(v)) {
      v = v[0];
      depth++;
    }
    expect([depth, v]).toEqual([200_000, 1]);
  });
});

describe("chunk boundaries anywhere in a stream of replies", () => {
  const input = Buffer.concat([
    Buffer.from("+OK\r\n$26\r\nvalue-1-xxxxxxxxxxxxxxxxxx\r\n:42\r\n:-7\r\n$-1\r\n*-1\r\n*0\r\n_\r\n"),
    Buffer.from(
      "*3\r\n$1\r\na\r\n$7\r\nmember1\r\n:1\r\n-ERR wrong\r\n%1\r\n+k\r\n*2\r\n:1\r\n$2\r\n\xc3\xa9\r\n",
      "latin1",
    ),
    Buffer.from(
      ">2\r\n+message\r\n$0\r\n\r\n~1\r\n#t\r\n:12345678901234567890\r\n|1\r\n+a\r\n+b\r\n+after\r\n",
    ),
    nested(10),
  ]);
  const expected = parse([input]).values;
  // biome-ignore format: one reply per line
  const replies = [
    "OK", "value-1-xxxxxxxxxxxxxxxxxx", 42, -7, null, null, [], null, ["a", "member1", 1],
    "ERR wrong", new Map([["k", [1, "é"]]]), new RespPush(["message", ""]), [true], 12345678901234567890n, "after",
  ];

  it("split into two and into three chunks at every pair of points", () => {
    expect(expected.slice(0, 9)).toEqual(replies.slice(0, 9));
    expect((expected[9] as Error).message).toBe("ERR wrong");
    expect(expected.slice(10, 15)).toEqual(replies.slice(10));
    expect(expected).toHaveLength(16);
    for (let i = 0; i <= input.length; i++) {
      for (let j = i; j <= input.length; j++) {
        const out = parse([input.subarray(0, i), input.subarray(i, j), input.subarray(j)]);
        if (out.error !== null) throw new Error(`cuts ${i}, ${j}: ${out.error}`);
        expect(out.values).toEqual(expected);
      }
    }
  });
});

describe("text windows", () => {
  it("strings across several windows decode right, ASCII or not, whole or in chunks", () => {
    let seed = 777;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const strings: string[] = [];
    const w = new ReplyWriter();
    let size = 0;
    while (size < 300_000) {
      // Mostly ASCII, with stretches where one string in four holds multi-byte UTF-8.
      const len = rand(8) === 0 ? 100 + rand(200) : rand(40);
      const wide = size > 100_000 && size < 200_000 && rand(4) === 0;
      let s = "";
      for (let i = 0; i < len; i++) s += wide && i % 5 === 0 ? "é€" : String.fromCharCode(32 + rand(95));
      strings.push(s);
      const bytes = Buffer.from(s, "utf8");
      w.bulkBytes(bytes);
      size += bytes.length + 8;
    }
    const input = w.takeBuffer();
    const asLatin1 = strings.map((s) => Buffer.from(s, "utf8").toString("latin1"));
    for (const size of [input.length, 64 * 1024, 10_000, 999]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < input.length; i += size) chunks.push(input.subarray(i, i + size));
      expect(parse(chunks, "utf8")).toEqual({ values: strings, error: null });
      expect(parse(chunks, "latin1")).toEqual({ values: asLatin1, error: null });
    }
  });
});
