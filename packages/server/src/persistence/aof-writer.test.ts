/**
 * Unit tests of the AOF write pipeline: SELECT and `#TS:` emission, the per-turn write, the
 * everysec postponement behind a running fsync (and aof_delayed_fsync after 2 s), write errors
 * (MISCONF, the written part kept, exit with always) and file switches.
 */

import { closeSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeCommand } from "@keyhaven/protocol";
import { afterAll, describe, expect, it } from "vitest";
import { clock } from "../keyspace/clock.js";
import type { Logger } from "../util/logger.js";
import { AofWriter, type AofWriterHost } from "./aof-writer.js";

const dir = mkdtempSync(join(tmpdir(), "kh-aof-writer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const logs: string[] = [];
const logger: Logger = {
  debug: () => {},
  verbose: () => {},
  notice: (o, m) => logs.push(typeof o === "string" ? o : (m ?? "")),
  warning: (o, m) => logs.push(typeof o === "string" ? o : (m ?? "")),
  isLevelEnabled: () => true,
  setLevel: () => {},
};

class FatalExit extends Error {}

function host(): AofWriterHost & { flushes: number } {
  return {
    logger,
    flushes: 0,
    snapshotActive: () => false,
    scheduleFlush() {
      this.flushes++;
    },
    fatal: (message: string): never => {
      throw new FatalExit(message);
    },
  };
}

let n = 0;
function writerOnFile(policy: "always" | "everysec" | "no"): {
  w: AofWriter;
  path: string;
  h: ReturnType<typeof host>;
} {
  const h = host();
  const w = new AofWriter(h);
  const path = join(dir, `f${n++}.aof`);
  w.switchFile(AofWriter.openNew(path));
  w.fsyncPolicy = policy;
  w.accepting = true;
  return { w, path, h };
}

const set = (k: string, v: string) => encodeCommand(["SET", k, v]);

describe("AofWriter", () => {
  it("writes SELECT when the database changes, and nothing while not accepting", () => {
    const { w, path, h } = writerOnFile("no");
    w.feed(0, set("a", "1"));
    w.feed(0, set("b", "2"));
    w.feed(3, set("c", "3"));
    w.accepting = false;
    w.feed(5, set("d", "4"));
    expect(h.flushes).toBe(3);
    expect(w.flush(false)).toBe(true);
    const expected = Buffer.concat([
      encodeCommand(["SELECT", "0"]),
      set("a", "1"),
      set("b", "2"),
      encodeCommand(["SELECT", "3"]),
      set("c", "3"),
    ]);
    expect(readFileSync(path).equals(expected)).toBe(true);
    expect(w.currentSize).toBe(expected.length);
    expect(w.lastIncrSize).toBe(expected.length);
    expect(w.bufferLength).toBe(0);
    closeSync(w.fd);
  });

  it("feedArgv writes the same bytes as feed(encodeCommand(argv)), SELECT and growth included", () => {
    const commands: [number, string[]][] = [
      [0, ["SET", "k", "v"]],
      [0, ["SET", "", ""]],
      [1, ["HSET", "h", ..."abcdefghijkl".split("")]],
      // Lengths at digit-count edges, a value longer than the char-by-char limit and one larger
      // than the kept buffer (the buffer grows).
      [1, ["SET", "x".repeat(9), "y".repeat(10)]],
      [1, ["SET", "x".repeat(99), "y".repeat(100)]],
      [2, ["SET", "big", "z".repeat(70_000)]],
      // Stored bytes above 0x7f, and a char above 0xff (latin1Write keeps its low byte).
      [2, ["SET", "\u00e9\u00ff\u0080", "a\u0101b"]],
    ];
    const viaArgv = writerOnFile("no");
    const viaBuffer = writerOnFile("no");
    for (const [db, argv] of commands) {
      viaArgv.w.feedArgv(db, argv);
      viaBuffer.w.feed(db, encodeCommand(argv));
    }
    expect(viaArgv.h.flushes).toBe(commands.length);
    expect(viaArgv.w.bufferLength).toBe(viaBuffer.w.bufferLength);
    viaArgv.w.flush(false);
    viaBuffer.w.flush(false);
    const got = readFileSync(viaArgv.path);
    expect(got.length).toBeGreaterThan(70_000);
    expect(got.equals(readFileSync(viaBuffer.path))).toBe(true);
    closeSync(viaArgv.w.fd);
    closeSync(viaBuffer.w.fd);
  });

  it("annotates each new second with #TS when timestamps are on", () => {
    const { w, path } = writerOnFile("no");
    w.timestamps = true;
    const saved = clock.ms;
    try {
      clock.ms = 1_700_000_000_000;
      w.feed(0, set("a", "1"));
      w.feed(0, set("b", "1"));
      clock.ms = 1_700_000_001_500;
      w.feed(0, set("c", "1"));
      w.flush(false);
    } finally {
      clock.ms = saved;
    }
    const text = readFileSync(path, "latin1");
    expect(text.match(/#TS:\d+\r\n/g)).toEqual(["#TS:1700000000\r\n", "#TS:1700000001\r\n"]);
    expect(text.indexOf("#TS:1700000001")).toBeGreaterThan(text.indexOf("$1\r\nb"));
    closeSync(w.fd);
  });

  it("everysec: postpones a write while an fsync runs, then forces it after 2 s (aof_delayed_fsync)", () => {
    const { w, path } = writerOnFile("everysec");
    const saved = clock.ms;
    try {
      clock.ms = 1_800_000_000_000;
      w.feed(0, set("a", "1"));
      // Pretend the background fsync of the file is still running.
      w.pendingFsyncs = 1;
      expect(w.flush(false)).toBe(false);
      expect(w.bufferLength).toBeGreaterThan(0);
      clock.ms += 1000;
      expect(w.flush(false)).toBe(false);
      clock.ms += 1000;
      expect(w.flush(false)).toBe(true);
      expect(w.delayedFsync).toBe(1);
      expect(logs.some((l) => l.startsWith("Asynchronous AOF fsync is taking too long"))).toBe(true);
      expect(readFileSync(path).length).toBe(w.currentSize);
      // A forced flush (rewrite start, shutdown) never waits.
      w.feed(0, set("b", "2"));
      expect(w.flush(true)).toBe(true);
      expect(w.bufferLength).toBe(0);
    } finally {
      clock.ms = saved;
      w.pendingFsyncs = 0;
    }
    closeSync(w.fd);
  });

  it("no-appendfsync-on-rewrite: no fsync while a snapshot runs; always fsyncs every turn otherwise", () => {
    const { w, h } = writerOnFile("always");
    let snapshot = true;
    h.snapshotActive = () => snapshot;
    w.noFsyncOnRewrite = true;
    w.feed(0, set("a", "1"));
    w.flush(false);
    expect(w.currentSize).toBeGreaterThan(0);
    expect(w.fsyncOffset).toBe(0);
    snapshot = false;
    w.feed(0, set("b", "1"));
    w.flush(false);
    expect(w.fsyncOffset).toBe(w.currentSize);
    closeSync(w.fd);
  });

  it("a failed write keeps the buffer, reports MISCONF, and succeeds once the file works again", () => {
    const h = host();
    const w = new AofWriter(h);
    w.fsyncPolicy = "everysec";
    w.accepting = true;
    w.switchFile(AofWriter.openAppend("/dev/full"));
    w.feed(0, set("a", "1"));
    expect(w.flush(false)).toBe(false);
    expect(w.lastWriteStatus).toBe("err");
    expect(w.deniedReason()).toBe("MISCONF Errors writing to the AOF file: No space left on device");
    const pending = w.bufferLength;
    expect(pending).toBeGreaterThan(0);
    expect(logs).toContain("Error writing to the AOF file: No space left on device");
    // The disk is back (here: another file): the retry writes everything and clears the error.
    const path = join(dir, `f${n++}.aof`);
    closeSync(w.fd);
    w.fd = AofWriter.openNew(path);
    expect(w.flush(false)).toBe(true);
    expect(w.lastWriteStatus).toBe("ok");
    expect(w.deniedReason()).toBeNull();
    expect(readFileSync(path).length).toBe(pending);
    expect(logs).toContain("AOF write error looks solved, Redis can write again.");
    closeSync(w.fd);
  });

  it("always: a write error is fatal (the reply must not leave)", () => {
    const h = host();
    const w = new AofWriter(h);
    w.fsyncPolicy = "always";
    w.accepting = true;
    w.switchFile(AofWriter.openAppend("/dev/full"));
    w.feed(0, set("a", "1"));
    expect(() => w.flush(false)).toThrow(FatalExit);
    closeSync(w.fd);
  });

  it("switching files sends the next command's SELECT again only when asked, and resets the incr size", () => {
    const { w } = writerOnFile("no");
    w.feed(2, set("a", "1"));
    w.flush(false);
    const size = w.currentSize;
    const next = join(dir, `f${n++}.aof`);
    w.selectedDb = -1;
    w.switchFile(AofWriter.openNew(next));
    expect(w.lastIncrSize).toBe(0);
    w.feed(2, set("b", "2"));
    w.flush(false);
    expect(readFileSync(next).equals(Buffer.concat([encodeCommand(["SELECT", "2"]), set("b", "2")]))).toBe(
      true,
    );
    expect(w.currentSize).toBe(size + w.lastIncrSize);
    w.closeFile();
    expect(w.fd).toBe(-1);
  });

  it("always: bytes are reserved past the commands, and cut off when the file or the policy is left", async () => {
    const commandsOf = (path: string, size: number) => readFileSync(path).subarray(0, size);
    const expected = Buffer.concat([encodeCommand(["SELECT", "0"]), set("a", "1")]);
    // Leaving `always` for everysec.
    const first = writerOnFile("always");
    first.w.feed(0, set("a", "1"));
    first.w.flush(false);
    expect(readFileSync(first.path).length).toBeGreaterThan(expected.length);
    expect(commandsOf(first.path, expected.length).equals(expected)).toBe(true);
    first.w.setFsyncPolicy("everysec");
    expect(readFileSync(first.path).equals(expected)).toBe(true);
    first.w.closeFile();
    // Leaving the file for another, and closing that one.
    const second = writerOnFile("always");
    second.w.feed(0, set("a", "1"));
    second.w.flush(false);
    const next = join(dir, `f${n++}.aof`);
    second.w.switchFile(AofWriter.openNew(next));
    expect(readFileSync(second.path).equals(expected)).toBe(true);
    second.w.selectedDb = -1;
    second.w.feed(0, set("a", "1"));
    second.w.flush(false);
    expect(readFileSync(next).length).toBeGreaterThan(expected.length);
    second.w.closeFile();
    expect(readFileSync(next).equals(expected)).toBe(true);
  });
});
