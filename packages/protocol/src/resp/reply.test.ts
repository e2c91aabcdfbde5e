import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { splitAt } from "../../test/helpers/chunks.js";
import {
  REPLY_ERROR,
  REPLY_NEED_MORE,
  REPLY_VALUE,
  ReplyParser,
  RespError,
  RespPush,
  type RespValue,
} from "./reply-parser.js";
import { ReplyWriter } from "./reply-writer.js";
import { commandBound, encodeCommand, writeCommandInto } from "./request-encoder.js";
import { writeRespValue } from "./value-encoder.js";

function encode(resp: 2 | 3, write: (w: ReplyWriter) => void): string {
  const w = new ReplyWriter();
  w.resp = resp;
  write(w);
  return w.takeBuffer().toString("latin1");
}

function parseAll(chunks: Buffer[], parser: ReplyParser): { values: unknown[]; error: string | null } {
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

describe("reply encoding, byte-exact", () => {
  it("scalars in RESP2 and RESP3", () => {
    for (const resp of [2, 3] as const) {
      expect(encode(resp, (w) => w.simple("OK"))).toBe("+OK\r\n");
      expect(encode(resp, (w) => w.error("ERR bad\r\nthing"))).toBe("-ERR bad  thing\r\n");
      expect(encode(resp, (w) => w.integer(-42))).toBe(":-42\r\n");
      expect(encode(resp, (w) => w.integer(7))).toBe(":7\r\n");
      expect(encode(resp, (w) => w.bigInteger(9223372036854775807n))).toBe(":9223372036854775807\r\n");
      expect(encode(resp, (w) => w.bulk("h\xe9"))).toBe("$2\r\nh\xe9\r\n");
      expect(encode(resp, (w) => w.bulk(""))).toBe("$0\r\n\r\n");
      expect(encode(resp, (w) => w.arrayHeader(0))).toBe("*0\r\n");
    }
  });

  it("RESP3 types and their RESP2 downgrades", () => {
    expect(encode(3, (w) => w.nullBulk())).toBe("_\r\n");
    expect(encode(2, (w) => w.nullBulk())).toBe("$-1\r\n");
    expect(encode(3, (w) => w.nullArray())).toBe("_\r\n");
    expect(encode(2, (w) => w.nullArray())).toBe("*-1\r\n");
    expect(encode(3, (w) => w.mapHeader(2))).toBe("%2\r\n");
    expect(encode(2, (w) => w.mapHeader(2))).toBe("*4\r\n");
    expect(encode(3, (w) => w.setHeader(3))).toBe("~3\r\n");
    expect(encode(2, (w) => w.setHeader(3))).toBe("*3\r\n");
    expect(encode(3, (w) => w.pushHeader(3))).toBe(">3\r\n");
    expect(encode(2, (w) => w.pushHeader(3))).toBe("*3\r\n");
    expect(encode(3, (w) => w.double(1.5))).toBe(",1.5\r\n");
    expect(encode(2, (w) => w.double(1.5))).toBe("$3\r\n1.5\r\n");
    expect(encode(3, (w) => w.double(Number.POSITIVE_INFINITY))).toBe(",inf\r\n");
    expect(encode(3, (w) => w.double(Number.NEGATIVE_INFINITY))).toBe(",-inf\r\n");
    expect(encode(2, (w) => w.double(Number.NEGATIVE_INFINITY))).toBe("$4\r\n-inf\r\n");
    expect(encode(3, (w) => w.double(Number.NaN))).toBe(",nan\r\n");
    expect(encode(3, (w) => w.boolean(true))).toBe("#t\r\n");
    expect(encode(2, (w) => w.boolean(false))).toBe(":0\r\n");
    expect(encode(3, (w) => w.bigNumber("-123456789012345678901234567890"))).toBe(
      "(-123456789012345678901234567890\r\n",
    );
    expect(encode(2, (w) => w.bigNumber("12"))).toBe("$2\r\n12\r\n");
    expect(encode(3, (w) => w.verbatim("hi", "txt"))).toBe("=6\r\ntxt:hi\r\n");
    expect(encode(2, (w) => w.verbatim("hi", "txt"))).toBe("$2\r\nhi\r\n");
    expect(encode(3, (w) => w.attributeHeader(1))).toBe("|1\r\n");
    expect(encode(2, (w) => w.attributeHeader(1))).toBe("");
  });

  it("commands as multibulk: writeCommandInto writes encodeCommand's bytes at any position", () => {
    for (const argv of [["SET", "k", ""], ["x".repeat(100), "\u00e9", "0123456789"], ["PING"]]) {
      const buf = Buffer.alloc(3 + commandBound(argv));
      const end = writeCommandInto(buf, 3, argv);
      expect(buf.subarray(3, end)).toEqual(encodeCommand(argv));
    }
    expect(encodeCommand(["SET", "k", ""]).toString()).toBe("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
  });

  it("large bulks and many small replies keep their order across slabs", () => {
    const w = new ReplyWriter(64);
    const big = "y".repeat(50_000);
    w.simple("A");
    w.bulk(big);
    w.bulkBytes(Buffer.from(big));
    for (let i = 0; i < 100; i++) w.integer(i);
    expect(w.pendingBytes).toBe(w.takeBuffer().length);
    w.simple("A");
    w.bulk(big);
    w.bulkBytes(Buffer.from(big));
    for (let i = 0; i < 100; i++) w.integer(i);
    const parsed = parseAll([w.takeBuffer()], new ReplyParser({ strings: "latin1" })).values;
    expect(parsed).toEqual(["A", big, big, ...Array.from({ length: 100 }, (_, i) => i)]);
  });

  it("bulk strings of every length around the short-string cutoff keep all byte values", () => {
    for (let len = 0; len <= 70; len++) {
      let text = "";
      for (let i = 0; i < len; i++) text += String.fromCharCode((i * 37 + len) & 0xff);
      expect(encode(2, (w) => w.bulk(text))).toBe(`$${len}\r\n${text}\r\n`);
    }
    expect(encode(2, (w) => w.integer(42))).toBe(":42\r\n");
    expect(encode(2, (w) => w.integer(-7))).toBe(":-7\r\n");
    expect(encode(2, (w) => w.arrayHeader(100))).toBe("*100\r\n");
    for (const n of [
      0,
      -0,
      9,
      10,
      99,
      100,
      12345,
      -1,
      -10,
      -2147483648,
      2147483647,
      2147483648,
      -2147483649,
      2 ** 53 - 1,
      -(2 ** 53),
    ])
      expect(encode(2, (w) => w.integer(n))).toBe(`:${BigInt(n)}\r\n`);
  });

  it("taken views are never overwritten by later replies", () => {
    const w = new ReplyWriter(32);
    w.simple("first");
    const first = w.take() as Buffer;
    for (let i = 0; i < 50; i++) w.simple("second");
    expect(first.toString()).toBe("+first\r\n");
  });
});

describe("reply parsing", () => {
  it("plain values", () => {
    const input = Buffer.from(
      "+OK\r\n-ERR x\r\n:12\r\n$3\r\nabc\r\n$-1\r\n*-1\r\n*2\r\n:1\r\n*1\r\n+a\r\n_\r\n#t\r\n,1.5\r\n,inf\r\n(123\r\n=7\r\ntxt:abc\r\n%1\r\n+k\r\n:1\r\n~1\r\n+m\r\n>2\r\n+message\r\n+x\r\n|1\r\n+ttl\r\n:3\r\n+after-attr\r\n",
    );
    const { values, error } = parseAll([input], new ReplyParser());
    expect(error).toBeNull();
    expect(values.slice(0, 1)).toEqual(["OK"]);
    expect(values[1]).toBeInstanceOf(RespError);
    expect((values[1] as RespError).message).toBe("ERR x");
    expect((values[1] as RespError).code).toBe("ERR");
    expect(values.slice(2, 12)).toEqual([
      12,
      "abc",
      null,
      null,
      [1, ["a"]],
      null,
      true,
      1.5,
      Number.POSITIVE_INFINITY,
      123n,
    ]);
    expect(values[12]).toBe("abc");
    expect(values[13]).toEqual(new Map([["k", 1]]));
    expect(values[14]).toEqual(["m"]);
    expect(values[15]).toEqual(new RespPush(["message", "x"]));
    expect(values[16]).toBe("after-attr");
  });

  it("integers beyond 2^53 become bigints", () => {
    expect(parseAll([Buffer.from(":-9223372036854775808\r\n")], new ReplyParser()).values).toEqual([
      -9223372036854775808n,
    ]);
  });

  it("an attribute annotates the aggregate that follows it (typed)", () => {
    const input = Buffer.from("*1\r\n|1\r\n+a\r\n+b\r\n*2\r\n:1\r\n:2\r\n");
    const { values } = parseAll([input], new ReplyParser({ typed: true }));
    expect(values).toEqual([
      {
        type: "array",
        value: [
          {
            type: "attribute",
            attributes: [
              [
                { type: "simple", value: "a" },
                { type: "simple", value: "b" },
              ],
            ],
            value: {
              type: "array",
              value: [
                { type: "integer", value: 1n },
                { type: "integer", value: 2n },
              ],
            },
          },
        ],
      },
    ]);
  });

  it("malformed replies give an error, not an exception", () => {
    for (const bad of ["?x\r\n", ":12a\r\n", "$x\r\n", "#x\r\n", ",abc\r\n", "(1.5\r\n", "*x\r\n"]) {
      const { error } = parseAll([Buffer.from(bad)], new ReplyParser());
      expect(error, bad).toMatch(/^Protocol error/);
    }
  });
});

const leaf: fc.Arbitrary<RespValue> = fc.oneof(
  fc
    .string({ maxLength: 10 })
    .filter((s) => !/[\r\n]/.test(s))
    .map((value) => ({ type: "simple" as const, value })),
  fc
    .string({ maxLength: 10 })
    .filter((s) => !/[\r\n]/.test(s))
    .map((value) => ({ type: "error" as const, value })),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((value) => ({ type: "integer" as const, value })),
  fc.uint8Array({ maxLength: 30 }).map((u) => ({ type: "bulk" as const, value: Buffer.from(u) })),
  fc.constant({ type: "null" as const }),
  fc
    .double({ noNaN: true })
    .filter((d) => !Object.is(d, -0))
    .map((value) => ({ type: "double" as const, value })),
  fc.boolean().map((value) => ({ type: "boolean" as const, value })),
  fc.bigInt().map((value) => ({ type: "bignum" as const, value })),
  fc
    .uint8Array({ maxLength: 20 })
    .map((u) => ({ type: "verbatim" as const, format: "txt", value: Buffer.from(u) })),
);

const { value: arbResp3 } = fc.letrec<{ value: RespValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.array(tie("value"), { maxLength: 4 }).map((value) => ({ type: "array" as const, value })),
    fc.array(tie("value"), { maxLength: 4 }).map((value) => ({ type: "set" as const, value })),
    fc.array(tie("value"), { maxLength: 4 }).map((value) => ({ type: "push" as const, value })),
    fc
      .array(fc.tuple(tie("value"), tie("value")), { maxLength: 3 })
      .map((value) => ({ type: "map" as const, value })),
  ),
}));

describe("round trips and chunking", () => {
  it("any RESP3 value encodes and parses back to itself, split at any points", () => {
    fc.assert(
      fc.property(
        fc.array(arbResp3, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (values, cuts) => {
          const w = new ReplyWriter();
          w.resp = 3;
          for (const v of values) writeRespValue(w, v);
          const parsed = parseAll(splitAt(w.takeBuffer(), cuts), new ReplyParser({ typed: true }));
          expect(parsed.error).toBeNull();
          expect(parsed.values).toEqual(values);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("a big bulk arriving in small chunks is gathered once", () => {
    const big = Buffer.alloc(200_000, 7);
    const w = new ReplyWriter();
    w.bulkBytes(big);
    w.simple("after");
    const all = w.takeBuffer();
    const chunks: Buffer[] = [];
    for (let i = 0; i < all.length; i += 777) chunks.push(all.subarray(i, i + 777));
    const { values } = parseAll(chunks, new ReplyParser({ strings: "buffer" }));
    expect(values).toEqual([big, Buffer.from("after")]);
  });

  it("random bytes never throw", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 8 }), (chunks) => {
        const parser = new ReplyParser();
        for (const c of chunks) {
          parser.feed(Buffer.from(c));
          let status = parser.next();
          while (status === REPLY_VALUE) status = parser.next();
          if (status === REPLY_ERROR) {
            expect(parser.error).toMatch(/^Protocol error/);
            return;
          }
          expect(status).toBe(REPLY_NEED_MORE);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
