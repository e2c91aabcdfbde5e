/**
 * Crash safety of RDB snapshots: the server is killed with SIGKILL while a snapshot is half
 * written (rdb-key-save-delay keeps it going), once for a BGSAVE and once for a save started by a
 * save point. The half-written file is a temporary one: after a restart the previous good
 * dump.rdb, byte for byte, is what loads, with its data, and a new BGSAVE works. Runs against real
 * Redis too (KEYHAVEN_TEST_TARGET=redis), whose fork child is killed with it (a machine crash).
 */

import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type RespClient, type ServerProcess, sleep, startTarget } from "../helpers.js";
import { persistenceInfo, pipeline, waitBgsaveDone, waitLoaded } from "./rdb-helpers.js";

const started: ServerProcess[] = [];
afterAll(async () => {
  for (const s of started) await s.stop();
});

const KEYS = 3000;
/** ~1 KB per value: the snapshot reaches the disk in several writes before it ends. */
const pad = "p".repeat(1000);
const goodValue = (i: number) => `good:${i}:${pad}`;

const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

function tempFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.startsWith("temp-"));
}

/** The server's child processes (Redis's fork child); Keyhaven has none. */
function childPids(pid: number): number[] {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
    return text === "" ? [] : text.split(/\s+/).map(Number);
  } catch {
    return [];
  }
}

/** SIGKILL of the server and of any child it forked, as a machine crash would stop both. */
async function crash(server: ServerProcess): Promise<void> {
  const children = childPids(server.pid);
  await server.kill();
  for (const pid of children) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

/**
 * A server holding the good dataset saved in dump.rdb (SAVE, no delay), then changed (every value
 * rewritten, keys added) so any snapshot taken afterwards differs from the good file.
 */
async function serverWithGoodDump(): Promise<{ server: ServerProcess; c: RespClient; goodSha: string }> {
  const server = await startTarget({ args: ["--save", ""] });
  started.push(server);
  const c = await server.client();
  await pipeline(
    c,
    Array.from({ length: KEYS }, (_, i) => ["SET", `key:${i}`, goodValue(i)]),
  );
  expect(await c.call("SAVE")).toBe("OK");
  const goodSha = sha(join(server.dir, "dump.rdb"));
  const changes: string[][] = [];
  for (let i = 0; i < KEYS; i++) changes.push(["SET", `key:${i}`, `new:${i}:${pad}`]);
  for (let i = 0; i < 100; i++) changes.push(["SET", `added:${i}`, "x"]);
  await pipeline(c, changes);
  // About 1.5 s for the whole snapshot: long enough to kill it mid-way.
  expect(await c.call("CONFIG", "SET", "rdb-key-save-delay", "500")).toBe("OK");
  return { server, c, goodSha };
}

/** Waits (bounded) until a snapshot is running and its temporary file holds some bytes. */
async function waitMidSnapshot(c: RespClient, dir: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await persistenceInfo(c);
    if (info.get("rdb_bgsave_in_progress") === "1") {
      const temp = tempFiles(dir);
      if (temp.length > 0 && statSync(join(dir, temp[0]), { throwIfNoEntry: false })?.size) return;
    }
    if (Date.now() > deadline) throw new Error(`no snapshot in progress: ${JSON.stringify([...info])}`);
    await sleep(20);
  }
}

/** After the crash: the good file is intact and is what a restarted server loads. */
async function expectGoodRestart(dir: string, goodSha: string): Promise<void> {
  const file = join(dir, "dump.rdb");
  expect(existsSync(file)).toBe(true);
  expect(sha(file)).toBe(goodSha);
  const server = await startTarget({ dir, args: ["--save", ""] });
  started.push(server);
  const c = await server.client();
  await waitLoaded(c);
  expect(await c.call("DBSIZE")).toBe(KEYS);
  for (const i of [0, 1, Math.floor(KEYS / 2), KEYS - 1])
    expect(await c.call("GET", `key:${i}`)).toBe(goodValue(i));
  expect(await c.call("EXISTS", "added:0")).toBe(0);
  // The leftover temporary file does not get in the way of the next save.
  expect(await c.call("SET", "after", "1")).toBe("OK");
  expect(await c.call("BGSAVE")).toBe("Background saving started");
  const info = await waitBgsaveDone(c);
  expect(info.get("rdb_last_bgsave_status")).toBe("ok");
  expect(sha(file)).not.toBe(goodSha);
  c.close();
  await server.stop();
}

describe("RDB crash safety (SIGKILL while a snapshot is half written)", () => {
  it("during a BGSAVE, the previous dump.rdb survives and loads", async () => {
    const { server, c, goodSha } = await serverWithGoodDump();
    expect(await c.call("BGSAVE")).toBe("Background saving started");
    await waitMidSnapshot(c, server.dir);
    c.close();
    await crash(server);
    expect(tempFiles(server.dir).length).toBeGreaterThan(0);
    await expectGoodRestart(server.dir, goodSha);
  });

  it("during a save started by a save point, the previous dump.rdb survives and loads", async () => {
    const { server, c, goodSha } = await serverWithGoodDump();
    // The changes made by serverWithGoodDump are enough for "1 1": the cron starts a save.
    expect(await c.call("CONFIG", "SET", "save", "1 1")).toBe("OK");
    await waitMidSnapshot(c, server.dir);
    c.close();
    await crash(server);
    expect(tempFiles(server.dir).length).toBeGreaterThan(0);
    await expectGoodRestart(server.dir, goodSha);
  });
});
