/**
 * Start-up loading of dump.rdb: clients get -LOADING and INFO shows the loading_* progress while a
 * slow load runs (key-load-delay); a signal during loading exits at once without touching the file;
 * corrupt and truncated files stop start-up with a clear error (file and offset) and are left
 * byte-for-byte untouched. The -LOADING and refusal cases also run against real Redis.
 */

import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodeCommand } from "@keyhaven/protocol";
import { afterAll, describe, expect, it } from "vitest";
import {
  errorText,
  RespClient,
  type ServerProcess,
  sleep,
  startServer,
  startTarget,
  tempDir,
} from "../helpers.js";
import { infoFieldNames, persistenceInfo, pipeline, waitLoaded } from "./rdb-helpers.js";

const isRedis = process.env.KEYHAVEN_TEST_TARGET === "redis";
const started: ServerProcess[] = [];
afterAll(async () => {
  for (const s of started) await s.stop();
});

/**
 * A dir holding a dump.rdb of `n` string keys of ~170 incompressible bytes, written by the target
 * server itself. Over 2 MB: Redis only serves clients every 2 MB of a load
 * (loading-process-events-interval-bytes).
 */
async function makeDump(n: number): Promise<string> {
  const server = await startTarget({ args: ["--enable-debug-command", "yes"] });
  started.push(server);
  const c = await server.client();
  const cmds: string[][] = [];
  for (let i = 0; i < n; i++) {
    const noise = createHash("sha256").update(String(i)).digest("hex");
    cmds.push(["SET", `key:${i}`, `value:${i}:${noise}${noise.slice(0, 40)}${noise}`]);
  }
  await pipeline(c, cmds);
  expect(await c.call("SAVE")).toBe("OK");
  c.close();
  await server.stop();
  return server.dir;
}

async function connectWhenListening(server: ServerProcess, timeoutMs = 15_000): Promise<RespClient> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await RespClient.connect(server.port);
    } catch (err) {
      if (server.proc.exitCode !== null) throw new Error(`server exited:\n${server.output()}`);
      if (Date.now() > deadline) throw err;
      await sleep(20);
    }
  }
}

const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

describe("loading at start-up", () => {
  it("answers -LOADING and reports progress in INFO while a slow load runs", async () => {
    const dir = await makeDump(40_000);
    const fileSize = readFileSync(join(dir, "dump.rdb")).length;
    expect(fileSize).toBeGreaterThan(3_000_000);
    const server = await startTarget({
      dir,
      waitReady: false,
      args: ["--key-load-delay", "100", "--enable-debug-command", "yes"],
    });
    started.push(server);
    const c = await connectWhenListening(server);
    let sawLoading = false;
    for (let i = 0; i < 200 && !sawLoading; i++) {
      const r = await c.call("GET", "key:1");
      if (errorText(r) === "LOADING Redis is loading the dataset in memory") sawLoading = true;
      else await sleep(10);
    }
    expect(sawLoading).toBe(true);
    // One write: both are served in the same pass, so they see the same loading state.
    const [infoReply, dbsize] = await c.raw(
      Buffer.concat([encodeCommand(["INFO", "persistence"]), encodeCommand(["DBSIZE"])]),
      2,
    );
    const text = String(infoReply);
    const info = new Map(
      text
        .split("\r\n")
        .filter((l) => l.includes(":"))
        .map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1)] as [string, string]),
    );
    // Redis serves clients only every 2 MB of a load: it may have finished meanwhile.
    if (!isRedis) expect(info.get("loading")).toBe("1");
    if (info.get("loading") === "1") {
      expect(errorText(dbsize)).toBe("LOADING Redis is loading the dataset in memory");
      const names = infoFieldNames(text);
      expect(names.slice(-6)).toEqual([
        "loading_start_time",
        "loading_total_bytes",
        "loading_rdb_used_mem",
        "loading_loaded_bytes",
        "loading_loaded_perc",
        "loading_eta_seconds",
      ]);
      expect(Number(info.get("loading_total_bytes"))).toBe(fileSize);
      expect(Math.abs(Number(info.get("loading_start_time")) - Date.now() / 1000)).toBeLessThan(30);
      expect(Number(info.get("loading_rdb_used_mem"))).toBeGreaterThan(0);
      const loaded = Number(info.get("loading_loaded_bytes"));
      expect(loaded).toBeGreaterThanOrEqual(0);
      expect(loaded).toBeLessThanOrEqual(fileSize);
      expect(Number(info.get("loading_loaded_perc"))).toBeLessThan(100);
      expect(Number(info.get("loading_eta_seconds"))).toBeGreaterThanOrEqual(0);
    }
    await waitLoaded(c, 60_000);
    expect(await c.call("DBSIZE")).toBe(40_000);
    const after = await persistenceInfo(c);
    expect(after.get("loading")).toBe("0");
    expect(after.get("rdb_last_load_keys_loaded")).toBe("40000");
    expect(infoFieldNames(String(await c.call("INFO", "persistence")))).not.toContain("loading_total_bytes");
    c.close();
  });

  it("a SIGTERM during loading exits without saving and leaves the file untouched", async () => {
    const dir = await makeDump(40_000);
    const file = join(dir, "dump.rdb");
    const before = sha(file);
    const server = await startTarget({
      dir,
      waitReady: false,
      args: ["--key-load-delay", "200", "--save", "1 1"],
    });
    started.push(server);
    const c = await connectWhenListening(server);
    await sleep(300);
    expect(errorText(await c.call("PING"))).toBe("LOADING Redis is loading the dataset in memory");
    const t0 = Date.now();
    expect(await server.stop("SIGTERM")).toBe(0);
    // Keyhaven exits at once; Redis at its next event processing (every 2 MB loaded).
    if (!isRedis) expect(Date.now() - t0).toBeLessThan(3000);
    expect(sha(file)).toBe(before);
  });
});

/** A valid dump written by keyhaven-server (so the tests below do not depend on the target). */
async function validDump(): Promise<Buffer> {
  const server = await startServer("keyhaven", { args: ["--enable-debug-command", "yes"] });
  started.push(server);
  const c = await server.client();
  const cmds: string[][] = [];
  for (let i = 0; i < 500; i++) cmds.push(["SET", `key:${i}`, `value:${i}:${"y".repeat(i % 64)}`]);
  await pipeline(c, cmds);
  expect(await c.call("SAVE")).toBe("OK");
  c.close();
  await server.stop();
  return readFileSync(join(server.dir, "dump.rdb"));
}

async function startOn(bytes: Buffer): Promise<{ server: ServerProcess; file: string; code: number | null }> {
  const dir = tempDir();
  const file = join(dir, "dump.rdb");
  writeFileSync(file, bytes);
  const server = await startTarget({ dir, waitReady: false, args: ["--save", "1 1"] });
  started.push(server);
  const code = await Promise.race([server.exited, sleep(20_000).then(() => "timeout" as const)]);
  if (code === "timeout") throw new Error(`server did not refuse the file:\n${server.output()}`);
  return { server, file, code };
}

describe("corrupt and truncated files", () => {
  it("a truncated dump.rdb stops start-up with the file and offset, and is left untouched", async () => {
    const good = await validDump();
    const cut = good.subarray(0, Math.floor(good.length * 0.6));
    const { server, file, code } = await startOn(cut);
    expect(code).not.toBe(0);
    expect(readFileSync(file).equals(cut)).toBe(true);
    if (!isRedis) {
      expect(server.output()).toContain(file);
      expect(server.output()).toMatch(/at byte offset \d+: Unexpected EOF reading RDB file/);
      expect(server.output()).toContain("The file was left untouched");
    }
  });

  it("a corrupted byte is refused (checksum), the file is left untouched", async () => {
    const good = await validDump();
    const bad = Buffer.from(good);
    bad[Math.floor(bad.length / 2)] ^= 0x5a;
    const { server, file, code } = await startOn(bad);
    expect(code).not.toBe(0);
    expect(readFileSync(file).equals(bad)).toBe(true);
    if (!isRedis) expect(server.output()).toMatch(/Bad RDB file '.*dump\.rdb' at byte offset \d+/);
  });

  it("a file that is not an RDB is refused", async () => {
    const { server, code } = await startOn(Buffer.from("this is not an RDB file at all\n"));
    expect(code).not.toBe(0);
    if (!isRedis) expect(server.output()).toContain("Wrong signature trying to load DB from file");
  });

  it("an empty dump.rdb is refused (a truncated file, not an empty dataset)", async () => {
    const { code } = await startOn(Buffer.alloc(0));
    expect(code).not.toBe(0);
  });
});
