/**
 * `rdbchecksum` on the loading side, as Redis 7.0 does it: with `no`, an RDB whose CRC64 trailer is
 * wrong loads (start-up, DEBUG RELOAD); with `yes` it is refused and the file left untouched.
 * `rdbchecksum` cannot be changed at runtime in Redis 7.0, so each case starts its own server.
 * RESTORE verifies its payload's CRC whatever `rdbchecksum` says. Runs against real Redis too
 * (KEYHAVEN_TEST_TARGET=redis), except where Redis would exit (a corrupt DEBUG RELOAD).
 */

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { errorText, type ServerProcess, sleep, startTarget, tempDir } from "../helpers.js";
import { pipeline } from "./rdb-helpers.js";

const isRedis = process.env.KEYHAVEN_TEST_TARGET === "redis";
const started: ServerProcess[] = [];
afterAll(async () => {
  for (const s of started) await s.stop();
});

const N = 2000;
const stringAt = (i: number) => (i % 3 === 0 ? String(i * 7919) : `value:${i}:${"q".repeat(i % 50)}`);

/** The dataset's commands: N strings, a hash and a list. */
function datasetCommands(): string[][] {
  const cmds: string[][] = [];
  for (let i = 0; i < N; i++) cmds.push(["SET", `key:${i}`, stringAt(i)]);
  cmds.push(["HSET", "h", "f1", "v1", "f2", "v2"]);
  cmds.push(["RPUSH", "l", "a", "b", "c"]);
  return cmds;
}

/**
 * Flips bits in the 8-byte CRC64 trailer: a wrong, non-zero CRC (a zero trailer, which a save with
 * rdbchecksum no writes, means "no checksum" and is never checked).
 */
function corruptTrailer(bytes: Buffer): Buffer {
  const bad = Buffer.from(bytes);
  const at = bad.length - 8;
  for (let i = at; i < bad.length; i++) bad[i] ^= 0xa5;
  return bad;
}

/** A dump.rdb with the dataset, written by the target itself with a checksum. */
async function savedDump(): Promise<Buffer> {
  const server = await startTarget({ args: ["--rdbchecksum", "yes"] });
  started.push(server);
  const c = await server.client();
  await pipeline(c, datasetCommands());
  expect(await c.call("SAVE")).toBe("OK");
  c.close();
  await server.stop();
  return readFileSync(join(server.dir, "dump.rdb"));
}

async function expectDataset(c: Awaited<ReturnType<ServerProcess["client"]>>): Promise<void> {
  expect(await c.call("DBSIZE")).toBe(N + 2);
  for (const i of [0, 1, 2, 999, N - 1]) expect(await c.call("GET", `key:${i}`)).toBe(stringAt(i));
  expect(await c.call("HGET", "h", "f2")).toBe("v2");
  expect(await c.call("LRANGE", "l", "0", "-1")).toEqual(["a", "b", "c"]);
}

describe("rdbchecksum when loading", () => {
  it("at start-up: a wrong CRC trailer loads with rdbchecksum no and is refused with yes", async () => {
    const bad = corruptTrailer(await savedDump());
    const dir = tempDir();
    const file = join(dir, "dump.rdb");
    writeFileSync(file, bad);

    const lenient = await startTarget({ dir, args: ["--rdbchecksum", "no"] });
    started.push(lenient);
    const c = await lenient.client();
    await expectDataset(c);
    c.close();
    expect(await lenient.stop()).toBe(0);
    // `save ""`: stopping did not rewrite the file.
    expect(readFileSync(file).equals(bad)).toBe(true);

    const strict = await startTarget({ dir, waitReady: false, args: ["--rdbchecksum", "yes"] });
    started.push(strict);
    const code = await Promise.race([strict.exited, sleep(20_000).then(() => "timeout" as const)]);
    if (code === "timeout") throw new Error(`the server did not refuse the file:\n${strict.output()}`);
    expect(code).not.toBe(0);
    expect(readFileSync(file).equals(bad)).toBe(true);
    expect(strict.output()).toContain("RDB CRC error");
    if (!isRedis) expect(strict.output()).toMatch(/Bad RDB file '.*dump\.rdb' at byte offset \d+/);
  });

  it("DEBUG RELOAD NOSAVE loads a wrong CRC trailer with rdbchecksum no, refuses it with yes", async () => {
    // rdbchecksum is immutable (as in Redis 7.0): one server per setting.
    for (const setting of isRedis ? ["no"] : ["no", "yes"]) {
      const server = await startTarget({ args: ["--rdbchecksum", setting, "--enable-debug-command", "yes"] });
      started.push(server);
      const c = await server.client();
      await pipeline(c, datasetCommands());
      expect(await c.call("SAVE")).toBe("OK");
      const file = join(server.dir, "dump.rdb");
      writeFileSync(file, corruptTrailer(readFileSync(file)));
      if (setting === "no") {
        // The reloaded dataset must come from the file: empty the live one first.
        expect(await c.call("FLUSHALL")).toBe("OK");
        expect(await c.call("DEBUG", "RELOAD", "NOSAVE")).toBe("OK");
        await expectDataset(c);
      } else {
        // Redis exits on a corrupt DEBUG RELOAD; Keyhaven refuses it and keeps the dataset.
        expect(await c.call("SET", "extra", "1")).toBe("OK");
        expect(errorText(await c.call("DEBUG", "RELOAD", "NOSAVE"))).toBe(
          "ERR Error trying to load the RDB dump",
        );
        expect(await c.call("GET", "extra")).toBe("1");
        expect(server.output()).toContain("RDB CRC error");
      }
      c.close();
      await server.stop();
    }
  });

  it("RESTORE checks the payload CRC even with rdbchecksum no", async () => {
    const server = await startTarget({ args: ["--rdbchecksum", "no"] });
    started.push(server);
    const c = await server.client();
    expect(await c.call("SET", "src", "some value")).toBe("OK");
    const dump = await c.call("DUMP", "src");
    expect(typeof dump).toBe("string");
    // Replies decode as latin1: one char per byte.
    const payload = Buffer.from(dump as string, "latin1");
    expect(await c.call("RESTORE", "good", "0", payload)).toBe("OK");
    expect(await c.call("GET", "good")).toBe("some value");
    const bad = Buffer.from(payload);
    bad[bad.length - 1] ^= 0xff;
    expect(errorText(await c.call("RESTORE", "bad", "0", bad))).toBe(
      "ERR DUMP payload version or checksum are wrong",
    );
    expect(await c.call("EXISTS", "bad")).toBe(0);
    c.close();
  });
});
