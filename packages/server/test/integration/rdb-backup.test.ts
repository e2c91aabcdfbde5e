/**
 * scripts/backup.sh (the seed's backup procedure: BGSAVE, poll INFO Persistence, copy dump.rdb)
 * against keyhaven-server and against a real redis-server: the backup holds the dataset, passes
 * redis-check-rdb, and a failed or timed-out backup leaves the previous one untouched.
 */

import { execFile } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, hasRealRedis, type ServerProcess, startServer, tempDir } from "../helpers.js";
import { buildModel, canonicalModel, loadModel, readRdbFile } from "./rdb-helpers.js";

const SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), "../../../../scripts/backup.sh");
const started: ServerProcess[] = [];
afterAll(async () => {
  for (const s of started) await s.stop();
});

function backup(
  port: number,
  src: string,
  dest: string,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(
      "bash",
      [SCRIPT, String(port), src, dest],
      { env: { ...process.env, ...env }, timeout: 120_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
        res({ code, stdout, stderr });
      },
    );
  });
}

const kinds = (hasRealRedis() ? ["keyhaven", "redis"] : ["keyhaven"]) as ("keyhaven" | "redis")[];

describe.each(kinds)("scripts/backup.sh against %s", (kind) => {
  it("backs up the dataset into DEST_DIR/dump.rdb", async () => {
    const server = await startServer(kind, { args: ["--enable-debug-command", "yes"] });
    started.push(server);
    const c = await server.client();
    const model = buildModel(5000, false, 11);
    await loadModel(c, model);
    const dest = join(tempDir(), "backups");
    const r = await backup(server.port, server.dir, dest);
    expect(r.stderr).toContain("backup written to");
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(join(dest, "dump.rdb"));
    expect(canonicalModel(readRdbFile(join(dest, "dump.rdb")).model)).toEqual(canonicalModel(model));
    expect(readdirSync(dest)).toEqual(["dump.rdb"]);
    // A second backup while writes continue replaces it atomically.
    await c.call("SET", "later", "1");
    expect((await backup(server.port, server.dir, dest)).code).toBe(0);
    expect(readRdbFile(join(dest, "dump.rdb")).model.get(0)?.has("later")).toBe(true);
    c.close();
  });

  it("waits for a BGSAVE already running, then takes its own", async () => {
    const server = await startServer(kind, { args: ["--enable-debug-command", "yes"] });
    started.push(server);
    const c = await server.client();
    await c.call("DEBUG", "POPULATE", "3000");
    await c.call("CONFIG", "SET", "rdb-key-save-delay", "300");
    expect(await c.call("BGSAVE")).toBe("Background saving started");
    await c.call("SET", "after-first-bgsave", "1");
    const done = backup(server.port, server.dir, join(tempDir(), "b"));
    await new Promise((r) => setTimeout(r, 500));
    await c.call("CONFIG", "SET", "rdb-key-save-delay", "0");
    const r = await done;
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("a BGSAVE is already running");
    expect(readRdbFile(r.stdout.trim()).model.get(0)?.has("after-first-bgsave")).toBe(true);
    c.close();
  });

  it("a timed-out or failed backup exits non-zero and keeps the previous backup", async () => {
    const server = await startServer(kind, { args: ["--enable-debug-command", "yes"] });
    started.push(server);
    const c = await server.client();
    await c.call("DEBUG", "POPULATE", "3000");
    const dest = tempDir();
    writeFileSync(join(dest, "dump.rdb"), "previous backup");
    await c.call("CONFIG", "SET", "rdb-key-save-delay", "5000");
    const r = await backup(server.port, server.dir, dest, { TIMEOUT: "1" });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("BGSAVE still in progress after 1s");
    expect(readFileSync(join(dest, "dump.rdb"), "latin1")).toBe("previous backup");
    await c.call("CONFIG", "SET", "rdb-key-save-delay", "0");
    const wrongPort = await backup(await freePort(), server.dir, dest);
    expect(wrongPort.code).not.toBe(0);
    expect(wrongPort.stderr).toContain("cannot reach");
    expect(readFileSync(join(dest, "dump.rdb"), "latin1")).toBe("previous backup");
    // No temporary copy left behind either.
    expect(readdirSync(dest)).toEqual(["dump.rdb"]);
    c.close();
  });
});
