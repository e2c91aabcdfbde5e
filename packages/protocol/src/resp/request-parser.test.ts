import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { splitAt } from "../../test/helpers/chunks.js";
import { encodeCommand } from "./request-encoder.js";
import {
  PARSE_COMMAND,
  PARSE_ERROR,
  PARSE_NEED_MORE,
  RequestParser,
  splitInlineArgs,
} from "./request-parser.js";

type Outcome = { commands: string[][]; error: string | null; needMore: boolean };

/** Feeds `chunks` one by one and collects everything the parser yields. */
function run(chunks: Buffer[], parser = new RequestParser()): Outcome {
  const commands: string[][] = [];
  for (const chunk of chunks) {
    parser.feed(chunk);
    for (;;) {
      const status = parser.next();
      if (status === PARSE_COMMAND) commands.push(parser.argv);
      else if (status === PARSE_ERROR) return { commands, error: parser.error, needMore: false };
      else break;
    }
  }
  return { commands, error: null, needMore: parser.inCommand };
}

const bytes = (s: string) => Buffer.from(s, "latin1");

const arbArg = fc.oneof(
  fc.string({ maxLength: 20 }).map((s) => Buffer.from(s, "utf8").toString("latin1")),
  fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u).toString("latin1")),
);
const arbArgv = fc.array(arbArg, { minLength: 1, maxLength: 8 });

describe("multibulk requests", () => {
  it("parses a command with binary-safe arguments", () => {
    const out = run([bytes("*3\r\n$3\r\nSET\r\n$3\r\nk\r\n\r\n$0\r\n\r\n")]);
    expect(out.commands).toEqual([["SET", "k\r\n", ""]]);
  });

  it("parses pipelined commands and reports consumed bytes", () => {
    const parser = new RequestParser();
    const input = Buffer.concat([encodeCommand(["PING"]), encodeCommand(["GET", "a"])]);
    expect(run([input], parser).commands).toEqual([["PING"], ["GET", "a"]]);
    expect(parser.consumed).toBe(input.length);
  });

  it("skips *0 and *-1 headers", () => {
    expect(run([bytes("*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n")]).commands).toEqual([["PING"]]);
  });

  it("any argv round-trips through encodeCommand, split at any points", () => {
    fc.assert(
      fc.property(
        fc.array(arbArgv, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (cmds, cuts) => {
          const parser = new RequestParser();
          const input = Buffer.concat(cmds.map((argv) => encodeCommand(argv)));
          const out = run(splitAt(input, cuts), parser);
          expect(out.error).toBeNull();
          expect(out.commands).toEqual(cmds);
          expect(parser.consumed).toBe(input.length);
        },
      ),
    );
  });

  it("gathers a big bulk across many small chunks", () => {
    const big = "x".repeat(100_000);
    const input = Buffer.concat([encodeCommand(["SET", "k", big]), encodeCommand(["GET", "k"])]);
    const chunks: Buffer[] = [];
    for (let i = 0; i < input.length; i += 1000) chunks.push(input.subarray(i, i + 1000));
    const parser = new RequestParser();
    const out = run(chunks, parser);
    expect(out.commands).toEqual([
      ["SET", "k", big],
      ["GET", "k"],
    ]);
    expect(parser.consumed).toBe(input.length);
  });

  it("retain() keeps what is unparsed when the reader reuses one buffer for every read", () => {
    // A bulk from 32 KB up is gathered on its own; the rest stays a view of the chunk until retain.
    const arbMixedArgv = fc.oneof(
      { weight: 9, arbitrary: arbArgv },
      { weight: 1, arbitrary: fc.constant(["SET", "big", "b".repeat(40_000)]) },
    );
    fc.assert(
      fc.property(
        fc.array(arbMixedArgv, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 8 }),
        (cmds, cuts, parsedPerRead) => {
          const input = Buffer.concat(cmds.map((argv) => encodeCommand(argv)));
          const shared = Buffer.alloc(input.length);
          const parser = new RequestParser();
          const commands: string[][] = [];
          const parseSome = (max: number) => {
            for (let n = 0; n < max && parser.next() === PARSE_COMMAND; n++) commands.push(parser.argv);
          };
          splitAt(input, cuts).forEach((chunk, i) => {
            chunk.copy(shared);
            parser.feed(shared.subarray(0, chunk.length));
            // Like a blocked client, stop after a few commands and leave the rest buffered.
            parseSome(parsedPerRead[i % parsedPerRead.length]);
            parser.retain();
            shared.fill(0xaa);
          });
          parseSome(Number.POSITIVE_INFINITY);
          expect(commands).toEqual(cmds);
          expect(parser.consumed).toBe(input.length);
          expect(parser.bufferedLength).toBe(0);
        },
      ),
    );
  });

  it("retain() also keeps an unfinished inline command", () => {
    const shared = Buffer.from("SET k v1\r\nGET ");
    const parser = new RequestParser();
    const out = run([shared], parser);
    expect(out.commands).toEqual([["SET", "k", "v1"]]);
    parser.retain();
    shared.fill(0x20);
    expect(run([bytes("k\r\n")], parser).commands).toEqual([["GET", "k"]]);
  });

  it("byte-exact errors", () => {
    expect(run([bytes("*abc\r\n")]).error).toBe("Protocol error: invalid multibulk length");
    expect(run([bytes("*1048577\r\n")]).error).toBe("Protocol error: invalid multibulk length");
    expect(run([bytes("*+1\r\n")]).error).toBe("Protocol error: invalid multibulk length");
    expect(run([bytes("*01\r\n")]).error).toBe("Protocol error: invalid multibulk length");
    expect(run([bytes("*1\r\n$-1\r\n")]).error).toBe("Protocol error: invalid bulk length");
    expect(run([bytes("*1\r\n$x\r\n")]).error).toBe("Protocol error: invalid bulk length");
    expect(run([bytes("*1\r\nfoo\r\n")]).error).toBe("Protocol error: expected '$', got 'f'");
    expect(run([bytes(`*${"1".repeat(70000)}`)]).error).toBe("Protocol error: too big mbulk count string");
    expect(run([bytes(`*1\r\n$${"1".repeat(70000)}`)]).error).toBe(
      "Protocol error: too big bulk count string",
    );
    expect(run([bytes("a".repeat(70000))]).error).toBe("Protocol error: too big inline request");
    expect(run([bytes('SET "a\r\n')]).error).toBe("Protocol error: unbalanced quotes in request");
  });

  it("enforces proto-max-bulk-len, except for a trusted master stream", () => {
    const input = bytes("*1\r\n$11\r\nhello world\r\n");
    expect(run([input], new RequestParser({ maxBulkLen: 10 })).error).toBe(
      "Protocol error: invalid bulk length",
    );
    expect(run([input], new RequestParser({ maxBulkLen: 10, trusted: true })).commands).toEqual([
      ["hello world"],
    ]);
  });
});

describe("inline requests", () => {
  const inline = (s: string) => run([bytes(s)]).commands;

  it("splits on spaces, handles CRLF or LF, skips empty lines", () => {
    expect(inline("SET  a   b\r\n\r\nGET a\n")).toEqual([
      ["SET", "a", "b"],
      ["GET", "a"],
    ]);
  });

  it("applies Redis's quoting rules", () => {
    expect(inline('SET "a b" "\\x41\\n\\r\\t\\b\\a\\\\\\"z"\n')).toEqual([
      ["SET", "a b", 'A\n\r\t\b\x07\\"z'],
    ]);
    expect(inline("SET 'it\\'s' '\\n'\n")).toEqual([["SET", "it's", "\\n"]]);
    expect(inline('SET ab"cd"\n')).toEqual([["SET", "abcd"]]);
    expect(inline('SET "\\xZZ"\n')).toEqual([["SET", "xZZ"]]);
  });

  it("refuses a closing quote followed by a non-space", () => {
    expect(run([bytes('SET "a"b\n')]).error).toBe("Protocol error: unbalanced quotes in request");
    expect(run([bytes("SET 'a'b\n")]).error).toBe("Protocol error: unbalanced quotes in request");
  });

  it("splitInlineArgs stops at a NUL byte like the C string it mirrors", () => {
    const line = bytes("GET a\0b c");
    expect(splitInlineArgs(line, 0, line.length)).toEqual(["GET", "a"]);
  });

  it("needs more until the newline arrives, whatever the chunking", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 5 }), (cuts) => {
        const out = run(splitAt(bytes('SET k "v 1"\r\nPING\r\n'), cuts));
        expect(out.commands).toEqual([["SET", "k", "v 1"], ["PING"]]);
      }),
    );
  });
});

describe("hostile input", () => {
  it("random bytes never throw and end in commands, need-more, or a Redis protocol error", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 10 }), (chunks) => {
        const out = run(chunks.map((c) => Buffer.from(c)));
        if (out.error !== null) expect(out.error).toMatch(/^Protocol error: /);
      }),
      { numRuns: 2000 },
    );
  });

  it("mutated valid streams never throw and never buffer beyond the limits", () => {
    fc.assert(
      fc.property(
        fc.array(arbArgv, { minLength: 1, maxLength: 4 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        (cmds, mutations, cuts) => {
          const input = Buffer.from(Buffer.concat(cmds.map((argv) => encodeCommand(argv))));
          for (const [at, byte] of mutations) input[at % input.length] = byte;
          const parser = new RequestParser({ maxBulkLen: 1000 });
          const out = run(splitAt(input, cuts), parser);
          if (out.error !== null) expect(out.error).toMatch(/^Protocol error: /);
          expect(parser.bufferedLength).toBeLessThanOrEqual(Math.max(input.length, 1002));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("a huge announced bulk is refused before any payload is buffered", () => {
    const parser = new RequestParser();
    parser.feed(bytes("*1\r\n$999999999999\r\n"));
    expect(parser.next()).toBe(PARSE_ERROR);
    expect(parser.error).toBe("Protocol error: invalid bulk length");
  });

  it("a bulk longer than a V8 string is refused even when proto-max-bulk-len allows it", () => {
    for (const trusted of [false, true]) {
      const parser = new RequestParser({ maxBulkLen: 1024 * 1024 * 1024, trusted });
      parser.feed(bytes("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870900\r\n"));
      expect(parser.next()).toBe(PARSE_ERROR);
      expect(parser.error).toBe("Protocol error: invalid bulk length");
    }
    const ok = new RequestParser({ maxBulkLen: 1024 * 1024 * 1024 });
    ok.feed(bytes("*1\r\n$536870888\r\n"));
    expect(ok.next()).toBe(PARSE_NEED_MORE);
  });

  it("an unfinished command is need-more, not an error", () => {
    const parser = new RequestParser();
    parser.feed(bytes("*2\r\n$3\r\nGET\r\n$1"));
    expect(parser.next()).toBe(PARSE_NEED_MORE);
  });
});
