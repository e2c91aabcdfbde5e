import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AofFormatError } from "../errors.js";
import { encodeCommand } from "../resp/request-encoder.js";
import {
  AOF_ANNOTATION,
  AOF_BAD_FORMAT,
  AOF_COMMAND,
  AOF_UNRECOVERABLE,
  AofCommandReader,
  cAtoi,
  cStrtol,
} from "./command-reader.js";

interface Item {
  kind: "cmd" | "ann";
  argv?: string[];
  text?: string;
  start: number;
  end: number;
}

/** Reads everything, fed in the given chunk sizes; returns items and how the input ended. */
function readAll(data: Buffer, sizes: number[] = [data.length]): { items: Item[]; end: string } {
  const r = new AofCommandReader();
  const items: Item[] = [];
  const drain = () => {
    for (;;) {
      const st = r.next();
      if (st === AOF_COMMAND) items.push({ kind: "cmd", argv: r.argv, start: r.itemStart, end: r.itemEnd });
      else if (st === AOF_ANNOTATION)
        items.push({ kind: "ann", text: r.annotation, start: r.itemStart, end: r.itemEnd });
      else return;
    }
  };
  let pos = 0;
  let k = 0;
  while (pos < data.length) {
    const n = Math.max(1, sizes[k++ % sizes.length] ?? data.length);
    r.feed(data.subarray(pos, pos + n));
    pos += n;
    drain();
  }
  return { items, end: r.end() };
}

function errorOf(data: Buffer | string): AofFormatError {
  try {
    readAll(typeof data === "string" ? Buffer.from(data, "latin1") : data);
  } catch (e) {
    expect(e).toBeInstanceOf(AofFormatError);
    return e as AofFormatError;
  }
  throw new Error("expected an AofFormatError");
}

const cmd = (...argv: string[]) => encodeCommand(argv);

describe("AofCommandReader", () => {
  it("reads commands and annotations with their offsets", () => {
    const a = cmd("SELECT", "0");
    const ts = Buffer.from("#TS:1700000000\r\n");
    const b = cmd("SET", "k", "a\r\nb\0\xff");
    const { items, end } = readAll(Buffer.concat([a, ts, b]));
    expect(end).toBe("complete");
    expect(items).toEqual([
      { kind: "cmd", argv: ["SELECT", "0"], start: 0, end: a.length },
      { kind: "ann", text: "TS:1700000000", start: a.length, end: a.length + ts.length },
      {
        kind: "cmd",
        argv: ["SET", "k", "a\r\nb\0\xff"],
        start: a.length + ts.length,
        end: a.length + ts.length + b.length,
      },
    ]);
  });

  it("gives the same items for any chunking (property)", () => {
    const arg = fc.string({
      unit: fc.integer({ min: 0, max: 255 }).map((n) => String.fromCharCode(n)),
      maxLength: 40,
    });
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.array(arg, { minLength: 1, maxLength: 5 }),
            fc.nat().map((n) => `#TS:${n}`),
          ),
          { maxLength: 12 },
        ),
        fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 8 }),
        (entries, sizes) => {
          const data = Buffer.concat(
            entries.map((e) =>
              typeof e === "string" ? Buffer.from(`${e}\r\n`, "latin1") : encodeCommand(e),
            ),
          );
          const whole = readAll(data);
          const chunked = readAll(data, sizes);
          expect(chunked).toEqual(whole);
          expect(whole.end).toBe("complete");
          expect(whole.items.map((i) => (i.kind === "cmd" ? i.argv : `#${i.text}`))).toEqual(
            entries.map((e) => (typeof e === "string" ? `#${e.slice(1)}` : e)),
          );
        },
      ),
    );
  });

  it("reports a cut at any byte inside a command as truncated, after the complete ones", () => {
    const a = cmd("SET", "a", "1");
    const b = cmd("SET", "bb", "22");
    const data = Buffer.concat([a, b]);
    for (let cut = 0; cut <= data.length; cut++) {
      const { items, end } = readAll(data.subarray(0, cut));
      const complete = cut >= a.length + b.length ? 2 : cut >= a.length ? 1 : 0;
      expect(items.length).toBe(complete);
      expect(end).toBe(cut === a.length || cut === data.length || cut === 0 ? "complete" : "truncated");
    }
  });

  it("accepts what Redis's fgets/atoi/strtol accept", () => {
    // Leading spaces and '+', no CRLF check after a bulk, an annotation without a line end.
    const { items, end } = readAll(Buffer.from("* +2\r\n$ 3\r\nGET\nX$1\r\nk\r\n#TS:5", "latin1"));
    // (the unterminated annotation at the very end is consumed by end(), not returned)
    expect(items.map((i) => i.argv ?? i.text)).toEqual([["GET", "k"]]);
    expect(end).toBe("complete");
    expect(readAll(Buffer.from("*1\r\n$0\r\n\r\n")).items[0].argv).toEqual([""]);
  });

  it("refuses malformed items with the offset of the bad line", () => {
    const ok = cmd("SET", "a", "1");
    let err = errorOf(Buffer.concat([ok, Buffer.from("+OK\r\n")]));
    expect(err.reason).toBe(AOF_BAD_FORMAT);
    expect(err.offset).toBe(ok.length);
    err = errorOf(Buffer.concat([ok, Buffer.from("*0\r\n")]));
    expect([err.reason, err.offset]).toEqual([AOF_BAD_FORMAT, ok.length]);
    err = errorOf(Buffer.concat([ok, Buffer.from("*1\r\n:3\r\n")]));
    expect([err.reason, err.offset]).toEqual([AOF_BAD_FORMAT, ok.length + 4]);
    err = errorOf("*1\r\n$-1\r\n");
    expect(err.offset).toBe(4);
    err = errorOf("*\0\r\n*1\r\n$1\r\nx\r\n");
    expect(err.reason).toBe(AOF_UNRECOVERABLE);
    // A cut-short last line is still checked for its first byte (fmterr comes first in Redis).
    expect(errorOf("*1\r\nx").reason).toBe(AOF_BAD_FORMAT);
    expect(errorOf("*0").reason).toBe(AOF_BAD_FORMAT);
    expect(readAll(Buffer.from("*1\r\n$5")).end).toBe("truncated");
    expect(readAll(Buffer.from("*")).end).toBe("truncated");
    expect(readAll(Buffer.from("*\0")).end).toBe("truncated");
  });

  it("splits lines longer than 1023 bytes as fgets does", () => {
    // A 1023-byte annotation's tail becomes the next line, which is not a command.
    const long = Buffer.from(`#${"x".repeat(1100)}\r\n`);
    expect(errorOf(long).offset).toBe(1023);
    const ok = Buffer.from(`#${"x".repeat(1020)}\r\n`);
    expect(readAll(ok).items.length).toBe(1);
  });

  it("refuses input after a failure", () => {
    const r = new AofCommandReader();
    r.feed(Buffer.from("?\r\n"));
    expect(() => r.next()).toThrow(AofFormatError);
    expect(() => r.next()).toThrow(AofFormatError);
    expect(() => r.end()).toThrow(AofFormatError);
  });

  it("parses integers like C's atoi and strtol", () => {
    const b = (s: string) => Buffer.from(s, "latin1");
    const atoi = (s: string) => cAtoi(b(s), 0, s.length);
    const strtol = (s: string) => cStrtol(b(s), 0, s.length);
    expect(atoi("12\r\n")).toBe(12);
    expect(atoi("  -7x")).toBe(-7);
    expect(atoi("abc")).toBe(0);
    expect(atoi("4294967297")).toBe(1);
    expect(atoi("99999999999999999999999")).toBe(-1);
    expect(strtol("-0")).toBe(0);
    expect(strtol("123456789012345678")).toBe(Number.MAX_SAFE_INTEGER);
    expect(strtol("1\x002")).toBe(1);
  });
});
