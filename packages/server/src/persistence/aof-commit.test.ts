/**
 * Unit tests of appendfsync always's pipelined group commit (the reply gate): replies wait for
 * the fsync that covers the writes before them, turns during a running fsync form the next
 * group, a client that got more output meanwhile waits for the later fsync, and without
 * appendfsync always replies pass at once.
 */

import { closeSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Client } from "../network/client.js";
import type { Server } from "../server.js";
import type { Logger } from "../util/logger.js";
import { GroupCommit } from "./aof-commit.js";
import { AofWriter } from "./aof-writer.js";

const dir = mkdtempSync(join(tmpdir(), "kh-aof-commit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const quiet: Logger = {
  debug: () => {},
  verbose: () => {},
  notice: () => {},
  warning: () => {},
  isLevelEnabled: () => false,
  setLevel: () => {},
};

/** A client as the gate sees it: its pending output size. */
function fakeClient(name: string): Client & { name: string; out: { pendingBytes: number } } {
  return { name, out: { pendingBytes: 0 } } as unknown as Client & {
    name: string;
    out: { pendingBytes: number };
  };
}

let n = 0;
function setup(policy: "always" | "everysec") {
  const flushed: string[][] = [];
  let wake: (() => void) | null = null;
  const server = {
    flushClients(clients: Client[]) {
      if (clients.length === 0) return;
      flushed.push(clients.map((c) => (c as unknown as { name: string }).name));
      for (const c of clients) (c as unknown as { out: { pendingBytes: number } }).out.pendingBytes = 0;
    },
    scheduleBeforeSleep() {
      wake?.();
    },
  } as unknown as Server;
  const writer = new AofWriter({
    logger: quiet,
    snapshotActive: () => false,
    scheduleFlush() {},
    fatal: (m: string): never => {
      throw new Error(m);
    },
  });
  writer.groupCommit = true;
  writer.fsyncPolicy = policy;
  writer.accepting = true;
  writer.switchFile(AofWriter.openNew(join(dir, `c${n++}.aof`)));
  const gate = new GroupCommit(server, writer).gate;
  /** One turn: a write fed and flushed, then the gate with these clients (output added). */
  const turn = (...clients: ReturnType<typeof fakeClient>[]) => {
    writer.feedArgv(0, ["SET", "k", String(n++)]);
    writer.flush(false);
    for (const c of clients) c.out.pendingBytes += 5;
    gate(clients);
  };
  /** Resolves when the running fsync ended (the gate asked for a beforeSleep). */
  const fsynced = () =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("fsync did not end in 5 s")), 5000);
      wake = () => {
        clearTimeout(timer);
        wake = null;
        resolve();
      };
    });
  return { writer, gate, turn, flushed, fsynced };
}

describe("GroupCommit (appendfsync always)", () => {
  it("holds replies until the fsync covering their writes ends; later turns form the next group", async () => {
    const { writer, gate, turn, flushed, fsynced } = setup("always");
    const a = fakeClient("a");
    const b = fakeClient("b");
    const firstDone = fsynced();
    turn(a);
    const coveredByFirst = writer.writtenBytes;
    expect(flushed).toEqual([]);
    expect(writer.syncedBytes).toBe(0);
    // A turn while the fsync runs: b waits, and a (pipelining) gets more output too (the
    // server does not hand a to the gate again: it is still queued for its flush).
    turn(b);
    a.out.pendingBytes += 5;
    expect(flushed).toEqual([]);
    await firstDone;
    expect(writer.syncedBytes).toBe(coveredByFirst);
    expect(writer.syncedBytes).toBeLessThan(writer.writtenBytes);
    // The next turn's end releases the group, but a's later reply needs the second fsync.
    const secondDone = fsynced();
    gate([]);
    expect(flushed).toEqual([]);
    await secondDone;
    expect(writer.syncedBytes).toBe(writer.writtenBytes);
    gate([]);
    expect(flushed).toEqual([["b", "a"]]);
    // Nothing left to fsync: replies pass at once.
    const c = fakeClient("c");
    c.out.pendingBytes = 5;
    gate([c]);
    expect(flushed.at(-1)).toEqual(["c"]);
    closeSync(writer.fd);
  });

  it("a client whose output did not change is released with its group", async () => {
    const { writer, gate, turn, flushed, fsynced } = setup("always");
    const a = fakeClient("a");
    const done = fsynced();
    turn(a);
    await done;
    gate([]);
    expect(flushed).toEqual([["a"]]);
    expect(writer.fsyncOffset).toBe(writer.currentSize);
    closeSync(writer.fd);
  });

  it("without appendfsync always, replies are not held", () => {
    const { writer, turn, flushed } = setup("everysec");
    const a = fakeClient("a");
    turn(a);
    expect(flushed).toEqual([["a"]]);
    closeSync(writer.fd);
  });
});
