/**
 * DEBUG's crashes and test hooks (commands/debug-hooks.ts and the subsystems' own): SEGFAULT,
 * PANIC, ASSERT and OOM end the process by Redis's signal with its bug-report headline, no reply
 * and nothing more written; REPLICATE reaches the replicas only; SET-SKIP-CHECKSUM-VALIDATION lets
 * RESTORE and RDB loads through with a wrong CRC; AOF-FLUSH-SLEEP delays AOF writes;
 * CONFIG-REWRITE-FORCE-ALL writes default values too (replies and errors compared with
 * redis-server in differential/debug.test.ts). Runs against real Redis as well
 * (KEYHAVEN_TEST_TARGET=redis), except where Redis would exit (a corrupt DEBUG RELOAD).
 */

import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodeCommand } from "@keyhaven/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  errorText,
  type RespClient,
  type ServerProcess,
  sleep,
  startTarget,
  tempDir,
  waitFor,
} from "../helpers.js";
import { NodesPerTest, waitInSync } from "./replication-helpers.js";

const isRedis = process.env.KEYHAVEN_TEST_TARGET === "redis";
const DEBUG_ON = ["--enable-debug-command", "yes"];

const started: ServerProcess[] = [];
afterAll(async () => {
  for (const s of started) await s.stop();
});

async function start(args: string[], configFile?: string): Promise<ServerProcess> {
  const server = await startTarget({ args: [...DEBUG_ON, ...args], configFile });
  started.push(server);
  return server;
}

/** Every AOF file of a server's directory, concatenated. */
function aofText(dir: string): string {
  const aofDir = join(dir, "appendonlydir");
  return readdirSync(aofDir)
    .map((f) => readFileSync(join(aofDir, f), "latin1"))
    .join("");
}

/** [subcommand, the signal Redis 7.0 dies by, a headline line of its bug report]. */
const CRASHES: [string, NodeJS.Signals, string][] = [
  ["SEGFAULT", "SIGSEGV", "crashed by signal: 11"],
  ["PANIC", "SIGABRT", "Guru Meditation: DEBUG PANIC called at Unix time"],
  ["ASSERT", "SIGABRT", "=== ASSERTION FAILED ==="],
  ["OOM", "SIGABRT", "Out Of Memory allocating"],
];

describe("DEBUG crashes", () => {
  it("SEGFAULT, PANIC, ASSERT and OOM: Redis's signal and headline, no reply, no AOF write, no save", async () => {
    await Promise.all(
      CRASHES.map(async ([sub, signal, headline]) => {
        // Save points: a clean shutdown would write dump.rdb; a crash must not.
        const server = await start(["--appendonly", "yes", "--save", "3600 1"]);
        const c = await server.client();
        expect(await c.call("SET", "acked", "1")).toBe("OK");
        // One write: SET is applied and buffered for the AOF in the same turn as the crash.
        const replies = await c.raw(
          Buffer.concat([encodeCommand(["SET", "lost", "1"]), encodeCommand(["DEBUG", sub, "extra"])]),
          2,
        );
        c.close();
        expect(replies.map(errorText)).toEqual(["CONNECTION CLOSED", "CONNECTION CLOSED"]);
        const exit = await Promise.race([server.exited.then(() => "exited"), sleep(10_000)]);
        expect(exit, `${sub} did not end the process:\n${server.output()}`).toBe("exited");
        expect({ sub, signal: server.proc.signalCode }).toEqual({ sub, signal });
        expect(server.output()).toContain(headline);
        expect(server.output()).toContain("=== REDIS BUG REPORT START: Cut & paste starting from here ===");
        const aof = aofText(server.dir);
        expect(aof).toContain("acked");
        expect(aof).not.toContain("lost");
        expect(existsSync(join(server.dir, "dump.rdb"))).toBe(false);
      }),
    );
  });
});

describe("DEBUG REPLICATE", () => {
  const nodes = new NodesPerTest();

  it("reaches the replica only: not executed on the master, not in its AOF", async () => {
    const master = await nodes.start(["--appendonly", "yes"]);
    const replica = await nodes.start(["--replicaof", "127.0.0.1", String(master.port)]);
    await waitInSync(master, replica, 10_000);
    expect(await master.c.call("SET", "shared", "1")).toBe("OK");
    expect(await master.c.call("DEBUG", "REPLICATE", "SET", "divergent", "yes")).toBe("OK");
    expect(await master.c.call("GET", "divergent")).toBeNull();
    await waitFor(
      async () => (await replica.c.call("GET", "divergent")) === "yes",
      "the replicated SET",
      5000,
    );
    expect(await replica.c.call("GET", "shared")).toBe("1");
    // The stream's offsets stay consistent: the replica acknowledged what the backlog holds.
    await waitInSync(master, replica, 5000);
    expect(await master.c.call("SET", "after", "1")).toBe("OK");
    const aof = aofText(master.proc.dir);
    expect(aof).toContain("after");
    expect(aof).not.toContain("divergent");
  });
});

describe("DEBUG test hooks", () => {
  // One server for the hooks (each start costs about a second): a config file, the AOF on.
  let server: ServerProcess;
  let c: RespClient;
  const configFile = join(tempDir(), "hooks.conf");
  beforeAll(async () => {
    writeFileSync(configFile, "# hand-written\n");
    server = await start(["--appendonly", "yes"], configFile);
    c = await server.client();
  });
  afterAll(() => c?.close());

  it("SET-SKIP-CHECKSUM-VALIDATION: RESTORE and RDB loads accept a wrong CRC while set", async () => {
    expect(await c.call("SET", "src", "some value")).toBe("OK");
    const payload = Buffer.from((await c.call("DUMP", "src")) as string, "latin1");
    const bad = Buffer.from(payload);
    bad[bad.length - 1] ^= 0xff;
    const refused = "ERR DUMP payload version or checksum are wrong";
    expect(errorText(await c.call("RESTORE", "restored", "0", bad))).toBe(refused);
    expect(await c.call("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1")).toBe("OK");
    expect(await c.call("RESTORE", "restored", "0", bad)).toBe("OK");
    expect(await c.call("GET", "restored")).toBe("some value");

    // An RDB file with a wrong (non-zero) CRC trailer loads while skipping.
    expect(await c.call("SAVE")).toBe("OK");
    const file = join(server.dir, "dump.rdb");
    const rdb = readFileSync(file);
    for (let i = rdb.length - 8; i < rdb.length; i++) rdb[i] ^= 0xa5;
    writeFileSync(file, rdb);
    expect(await c.call("FLUSHALL")).toBe("OK");
    expect(await c.call("DEBUG", "RELOAD", "NOSAVE")).toBe("OK");
    expect(await c.call("GET", "restored")).toBe("some value");

    expect(await c.call("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "0")).toBe("OK");
    expect(errorText(await c.call("RESTORE", "again", "0", bad))).toBe(refused);
    if (!isRedis) {
      // Redis exits on a corrupt DEBUG RELOAD; Keyhaven refuses it and keeps the dataset.
      expect(errorText(await c.call("DEBUG", "RELOAD", "NOSAVE"))).toBe(
        "ERR Error trying to load the RDB dump",
      );
      expect(await c.call("GET", "src")).toBe("some value");
    }
  });

  it("AOF-FLUSH-SLEEP delays each AOF write, and 0 ends it", async () => {
    expect(await c.call("DEBUG", "AOF-FLUSH-SLEEP", "300000")).toBe("OK");
    let t0 = performance.now();
    expect(await c.call("SET", "slow", "1")).toBe("OK");
    expect(performance.now() - t0).toBeGreaterThanOrEqual(280);
    // Nothing to write, nothing to wait for.
    t0 = performance.now();
    expect(await c.call("GET", "slow")).toBe("1");
    expect(performance.now() - t0).toBeLessThan(250);
    expect(await c.call("DEBUG", "AOF-FLUSH-SLEEP", "0")).toBe("OK");
    t0 = performance.now();
    expect(await c.call("SET", "fast", "1")).toBe("OK");
    expect(performance.now() - t0).toBeLessThan(250);
    expect(aofText(server.dir)).toContain("slow");
  });

  it("CONFIG-REWRITE-FORCE-ALL writes default values too", async () => {
    expect(await c.call("CONFIG", "REWRITE")).toBe("OK");
    // A plain rewrite leaves out options at their default...
    expect(readFileSync(configFile, "latin1")).not.toMatch(/^hz 10$/m);
    expect(await c.call("DEBUG", "CONFIG-REWRITE-FORCE-ALL")).toBe("OK");
    // ...a forced one writes every option.
    const text = readFileSync(configFile, "latin1");
    for (const line of ["hz 10", "maxclients 10000", "databases 16", "maxmemory-policy noeviction"])
      expect(text).toMatch(new RegExp(`^${line}$`, "m"));
    expect(text).toMatch(/^appendonly yes$/m);
    expect(text).toMatch(/^# hand-written$/m);
  });
});
