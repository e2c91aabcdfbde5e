/**
 * AOF interop with Debian's Redis 7.0: redis-check-aof accepts our AOF directories (RDB and plain
 * bases, timestamps, several incr files); a real redis-server started on a copy of our directory
 * holds the same data; we load directories written by real Redis (with and without an RDB
 * preamble) and pre-7.0 single-file AOFs (plain, and with an RDB preamble), upgrading them into
 * the directory as Redis 7 does. "Ours" is the suite's target (Keyhaven unless
 * KEYHAVEN_TEST_TARGET=redis).
 */

import { spawnSync } from "node:child_process";
import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers.js";
import {
  AOF_DIR,
  type Dataset,
  dataset,
  expectDataset,
  type Kind,
  MANIFEST,
  populate,
  populateBig,
  readManifest,
  startAof,
  TARGET,
  targetUnsupported,
  waitRewriteDone,
} from "./aof-helpers.js";

function checkAof(dir: string): { status: number | null; out: string } {
  const r = spawnSync("redis-check-aof", [join(dir, AOF_DIR, MANIFEST)], { encoding: "latin1" });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

interface Written extends Dataset {
  dir: string;
}

/**
 * Writes a dataset with `kind` (a rewrite in the middle, so base + incr both hold data), then
 * stops it with SIGTERM (`how` "stop") or SIGKILL ("kill").
 */
async function writeWith(kind: Kind, args: string[] = [], how: "stop" | "kill" = "stop"): Promise<Written> {
  const dir = tempDir();
  const s = await startAof(kind, dir, args);
  const c = await s.client();
  try {
    // Only types both sides have (collections arrive with their branches).
    await populate(c, "before:", skip);
    await populateBig(c, skip);
    expect(await c.call("BGREWRITEAOF")).toBe("Background append only file rewriting started");
    await waitRewriteDone(c);
    await populate(c, "after:", skip);
    await c.call("SET", "last", "1");
    return { dir, ...(await dataset(c)) };
  } finally {
    c.close();
    await (how === "stop" ? s.stop() : s.kill());
  }
}

/**
 * Starts `kind` on `dir` and checks it holds `expected`; then stops it (kill -9, or SIGTERM with
 * `how` "stop") and returns `dir`.
 */
async function expectLoads(
  kind: Kind,
  dir: string,
  expected: Dataset,
  args: string[] = [],
  how: "stop" | "kill" = "kill",
): Promise<string> {
  const s = await startAof(kind, dir, args);
  const c = await s.client();
  try {
    await expectDataset(c, expected);
    return dir;
  } finally {
    c.close();
    await (how === "stop" ? s.stop() : s.kill());
  }
}

/** Starts `kind` on a copy of `from` and checks it holds the same data. */
async function loadWith(kind: Kind, from: Written, args: string[] = []): Promise<string> {
  const dir = tempDir();
  cpSync(from.dir, dir, { recursive: true });
  return expectLoads(kind, dir, from, args);
}

/** A pre-7.0 single-file AOF holding what `theirs` wrote: its base, then its first incr file. */
function singleFile(theirs: Written): Buffer {
  const am = readManifest(theirs.dir);
  return Buffer.concat([
    readFileSync(join(theirs.dir, AOF_DIR, am.base!.fileName)),
    readFileSync(join(theirs.dir, AOF_DIR, am.incr[0].fileName)),
  ]);
}

/** Starts `kind` on a new directory holding just `appendonly.aof` and checks it loads `theirs`. */
async function loadSingleFile(kind: Kind, single: Buffer, theirs: Written): Promise<string> {
  const dir = tempDir();
  writeFileSync(join(dir, "appendonly.aof"), single);
  return expectLoads(kind, dir, theirs, [], "stop");
}

let skip: Set<string> = new Set();

describe("AOF interop with real Redis 7.0", () => {
  beforeAll(async () => {
    skip = await targetUnsupported();
  });

  for (const [label, args] of [
    ["RDB preamble", []],
    ["plain base", ["--aof-use-rdb-preamble", "no"]],
    ["plain base with timestamps", ["--aof-use-rdb-preamble", "no", "--aof-timestamp-enabled", "yes"]],
  ] as const) {
    it(`redis-check-aof accepts our directory and redis-server loads it (${label})`, async () => {
      const ours = await writeWith(TARGET, [...args]);
      const check = checkAof(ours.dir);
      expect(check.out).toContain("All AOF files and manifest are valid");
      expect(check.status).toBe(0);
      await loadWith("redis", ours);
    });

    it(`we load a directory written by redis-server (${label})`, async () => {
      const theirs = await writeWith("redis", [...args]);
      await loadWith(TARGET, theirs);
    });
  }

  // With appendfsync always, Keyhaven writes into bytes reserved ahead of the end (annotation
  // lines, persistence/aof-reserve.ts), which a crash leaves in the file.
  it("a directory left by SIGKILL under appendfsync always: redis-check-aof and redis-server accept it, and redis-server appends to it", async () => {
    const ours = await writeWith(TARGET, ["--appendfsync", "always"], "kill");
    const incr = join(ours.dir, AOF_DIR, readManifest(ours.dir).incr.at(-1)!.fileName);
    if (TARGET === "keyhaven")
      expect(readFileSync(incr).subarray(-64).toString("latin1")).toBe(`${"#".repeat(63)}\n`);
    const check = checkAof(ours.dir);
    expect(check.out).toContain("All AOF files and manifest are valid");
    expect(check.status).toBe(0);
    // redis-server loads it, appends (SELECT first: a line of its own), and loads it again.
    const dir = tempDir();
    cpSync(ours.dir, dir, { recursive: true });
    const s = await startAof("redis", dir, []);
    const c = await s.client();
    let more: Dataset;
    try {
      await expectDataset(c, ours);
      await c.call("SELECT", "3");
      await c.call("SET", "appended", "by redis");
      more = await dataset(c);
    } finally {
      c.close();
      await s.stop();
    }
    await expectLoads("redis", dir, more);
    await expectLoads(TARGET, dir, more);
    // Ours, restarted on the crashed directory: the same data; after more writes and a SHUTDOWN,
    // the files hold commands only.
    const again = tempDir();
    cpSync(ours.dir, again, { recursive: true });
    const k = await startAof(TARGET, again, ["--appendfsync", "always"]);
    const kc = await k.client();
    try {
      await expectDataset(kc, ours);
      await kc.call("SET", "after-restart", "1");
    } finally {
      kc.close();
      await k.stop();
    }
    const rest = readFileSync(join(again, AOF_DIR, readManifest(again).incr.at(-1)!.fileName));
    expect(rest.subarray(-2).toString("latin1")).toBe("\r\n");
    expect(rest.includes("after-restart")).toBe(true);
  });

  it("upgrades a pre-7.0 single-file AOF (plain) into the directory, as Redis 7 does", async () => {
    const theirs = await writeWith("redis", ["--aof-use-rdb-preamble", "no"]);
    const single = singleFile(theirs);
    const results: string[] = [];
    for (const kind of [TARGET, "redis"] as const) {
      const dir = await loadSingleFile(kind, single, theirs);
      expect(existsSync(join(dir, "appendonly.aof"))).toBe(false);
      results.push(readFileSync(join(dir, AOF_DIR, MANIFEST), "latin1"));
      expect(checkAof(dir).status).toBe(0);
    }
    expect(results[0]).toBe(
      "file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
    );
    expect(results[0]).toBe(results[1]);
  });

  it("loads a pre-7.0 single-file AOF with an RDB preamble and an AOF tail", async () => {
    const theirs = await writeWith("redis");
    const single = singleFile(theirs);
    for (const kind of [TARGET, "redis"] as const) await loadSingleFile(kind, single, theirs);
  });
});
