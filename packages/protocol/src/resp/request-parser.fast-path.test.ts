/**
 * The request parser has two ways through a multibulk command: the one-pass path for a whole
 * command already in the buffer (parseWholeCommand) and the general resumable path. These tests
 * hold them to the same results: the same input fed whole (one-pass wherever it can) and one byte
 * at a time (a command is never whole when it starts, so the general path) must give the same
 * commands, errors and byte accounting, including on malformed and limit-breaking input; chunk
 * boundaries at every place of a pipeline; the command-name cache; and the text window that
 * short arguments are cut from.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { byteByByte, splitAt } from "../../test/helpers/chunks.js";
import { encodeCommand } from "./request-encoder.js";
import { PARSE_COMMAND, PARSE_ERROR, RequestParser, type RequestParserOptions } from "./request-parser.js";

interface Outcome {
  commands: { argv: string[]; inline: boolean }[];
  error: string | null;
  consumed: number;
  inCommand: boolean;
}

function run(chunks: Buffer[], options: RequestParserOptions = {}): Outcome {
  const parser = new RequestParser(options);
  const commands: Outcome["commands"] = [];
  for (const chunk of chunks) {
    parser.feed(chunk);
    for (;;) {
      const status = parser.next();
      if (status === PARSE_COMMAND) commands.push({ argv: parser.argv, inline: parser.lastWasInline });
      else if (status === PARSE_ERROR)
        return { commands, error: parser.error, consumed: parser.consumed, inCommand: parser.inCommand };
      else break;
    }
  }
  return { commands, error: null, consumed: parser.consumed, inCommand: parser.inCommand };
}

const latin1 = (s: string) => Buffer.from(s, "latin1");

/** Arguments around every length the parser treats differently (0, the 13-char cut, long). */
const arbArg = fc.oneof(
  fc.uint8Array({ maxLength: 14 }).map((u) => Buffer.from(u).toString("latin1")),
  fc.uint8Array({ minLength: 12, maxLength: 40 }).map((u) => Buffer.from(u).toString("latin1")),
  fc.constantFrom("SET", "GET", "set", "HSET", "ZADD", "ZRANGEBYSCORE", "GEORADIUSBYMEMBER_RO", ""),
);
const arbCommand = fc.array(arbArg, { minLength: 1, maxLength: 70 }).map((argv) => encodeCommand(argv));
/** Header-like fragments, valid or not, to probe every early exit of the one-pass path. */
const arbNumberText = fc.oneof(
  fc.constantFrom("0", "1", "-1", "01", "+1", "", "-0", "64", "65", "3", "1048577", "99999999999999999"),
  fc.nat().map(String),
);
const arbFragment = fc.oneof(
  arbNumberText.map((n) => latin1(`*${n}\r\n`)),
  arbNumberText.map((n) => latin1(`$${n}\r\n`)),
  fc
    .constantFrom("PING\r\n", "SET a b\n", '"x\n', "\r\n", "\n", "*1\r\nfoo\r\n", "*2\r\n$1\r\na\r\n")
    .map(latin1),
  fc.uint8Array({ maxLength: 8 }).map((u) => Buffer.from(u)),
);
const arbStream = fc.array(
  fc.oneof({ weight: 3, arbitrary: arbCommand }, { weight: 1, arbitrary: arbFragment }),
  {
    minLength: 1,
    maxLength: 8,
  },
);
const arbOptions = fc.constantFrom<RequestParserOptions>(
  {},
  { maxBulkLen: 5 },
  { maxBulkLen: 5, trusted: true },
  { maxMultibulkLen: 3 },
  { maxMultibulkLen: 20, maxBulkLen: 13 },
);
/** Bytes that matter in headers, to mutate valid streams with. */
const arbMutation = fc.tuple(fc.nat(), fc.constantFrom(42, 36, 45, 43, 48, 49, 57, 13, 10, 32, 97, 0, 200));

describe("one-pass and general paths agree", () => {
  it("on streams of valid and malformed commands, whole or byte by byte, with any limits", () => {
    fc.assert(
      fc.property(
        arbStream,
        fc.array(arbMutation, { maxLength: 3 }),
        fc.array(fc.nat(), { maxLength: 5 }),
        arbOptions,
        (parts, mutations, cuts, options) => {
          const input = Buffer.from(Buffer.concat(parts));
          for (const [at, byte] of mutations) if (input.length > 0) input[at % input.length] = byte;
          const whole = run([input], options);
          expect(run(byteByByte(input), options)).toEqual(whole);
          expect(run(splitAt(input, cuts), options)).toEqual(whole);
          if (whole.error !== null) expect(whole.error).toMatch(/^Protocol error: /);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("a command of more than 64 arguments, *0, *-1 and leading zeros between fast commands", () => {
    const many = Array.from({ length: 80 }, (_, i) => `a${i}`);
    const input = Buffer.concat([
      encodeCommand(["GET", "k"]),
      encodeCommand(many),
      latin1("*0\r\n*-1\r\n"),
      encodeCommand(["SET", "k", "v"]),
      latin1("*1\r\n$04\r\nPING\r\n"),
    ]);
    const out = run([input]);
    expect(out.commands.map((c) => c.argv)).toEqual([["GET", "k"], many, ["SET", "k", "v"]]);
    expect(out.error).toBe("Protocol error: invalid bulk length");
    expect(run(byteByByte(input))).toEqual(out);
  });
});

describe("chunk boundaries anywhere in a pipeline", () => {
  const commands = [
    ["SET", "key:1", "value-1-xxxxxxxxxxxx"],
    ["GET", "key:1"],
    ["HSET", "hash:1", "field1", "v1"],
    ["ZADD", "zset:1", "1", "m1", "2", "n1"],
    ["set", "\xff\x00\r\n\x80abcdefg", "twelve-bytes", "thirteen-byte", ""],
    Array.from({ length: 17 }, (_, i) => String(i)),
    ["PING"],
  ];
  const encoded = commands.map((argv) => encodeCommand(argv));
  const input = Buffer.concat([...encoded.slice(0, 5), latin1("PING  x\r\n"), ...encoded.slice(5)]);
  const expected = [...commands.slice(0, 5), ["PING", "x"], ...commands.slice(5)];

  it("split into two and into three chunks at every pair of points", () => {
    for (let i = 0; i <= input.length; i++) {
      for (let j = i; j <= input.length; j++) {
        const out = run([input.subarray(0, i), input.subarray(i, j), input.subarray(j)]);
        if (out.error !== null || out.consumed !== input.length)
          throw new Error(`cuts ${i}, ${j}: ${out.error}`);
        expect(out.commands.map((c) => c.argv)).toEqual(expected);
      }
    }
  });
});

describe("command names (argv[0] cache)", () => {
  it("argv[0] is exactly the bytes sent, whatever names came before", () => {
    const arbName = fc.oneof(
      fc.constantFrom("GET", "get", "Get", "SET", "sEt", "HSET", "ZADD", "EXPIRE", "ZRANGEBYSCORE"),
      fc.uint8Array({ maxLength: 30 }).map((u) => Buffer.from(u).toString("latin1")),
    );
    fc.assert(
      fc.property(fc.array(arbName, { minLength: 1, maxLength: 60 }), (names) => {
        const input = Buffer.concat(names.map((name) => encodeCommand([name, "x"])));
        expect(run([input]).commands.map((c) => c.argv[0])).toEqual(names);
      }),
      { numRuns: 500 },
    );
  });
});

describe("text window", () => {
  it("short and long arguments of every byte value across several windows, whole or in chunks", () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const cmds: string[][] = [];
    let size = 0;
    while (size < 600_000) {
      const argv = ["SET"];
      for (let a = 0; a < 3; a++) {
        const len = rand(4) === 0 ? 13 + rand(20) : rand(13);
        let s = "";
        for (let i = 0; i < len; i++) s += String.fromCharCode(rand(256));
        argv.push(s);
      }
      cmds.push(argv);
      size += encodeCommand(argv).length;
    }
    const input = Buffer.concat(cmds.map((argv) => encodeCommand(argv)));
    for (const size of [input.length, 64 * 1024, 100_000, 7_777]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < input.length; i += size) chunks.push(input.subarray(i, i + size));
      const out = run(chunks);
      expect(out.error).toBeNull();
      expect(out.consumed).toBe(input.length);
      expect(out.commands.map((c) => c.argv)).toEqual(cmds);
    }
  });
});
