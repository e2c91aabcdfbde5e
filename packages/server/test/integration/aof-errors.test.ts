/**
 * AOF write errors, made real by pointing the next incr file at /dev/full (every write fails with
 * ENOSPC): with everysec, aof_last_write_status turns to err and writes (and PING) are refused with
 * MISCONF while reads go on, until AOF is switched off and on again; with always, the server exits
 * rather than acknowledge writes it could not persist. Runs against Keyhaven, or real Redis with
 * KEYHAVEN_TEST_TARGET=redis.
 */

import { symlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { errorText, sleep, tempDir, waitFor } from "../helpers.js";
import {
  AOF_DIR,
  digest,
  info,
  readManifest,
  restartAof,
  startAof,
  TARGET,
  waitRewriteDone,
} from "./aof-helpers.js";

const MISCONF = "MISCONF Errors writing to the AOF file: No space left on device";

/** Makes the incr file the next rewrite opens a link to /dev/full, then runs that rewrite. */
async function breakNextIncr(dir: string, c: { call: (...a: (string | number)[]) => Promise<unknown> }) {
  const next = readManifest(dir).currIncrFileSeq + 1;
  symlinkSync("/dev/full", join(dir, AOF_DIR, `appendonly.aof.${next}.incr.aof`));
  expect(await c.call("BGREWRITEAOF")).toBe("Background append only file rewriting started");
}

describe("AOF write errors", () => {
  it("everysec: MISCONF for writes after a failed write, reads still served, recovery by turning AOF off and on", async () => {
    const dir = tempDir();
    let s = await startAof(TARGET, dir, ["--appendfsync", "everysec"]);
    let c = await s.client();
    try {
      await c.call("SET", "a", "1");
      await breakNextIncr(dir, c);
      await waitRewriteDone(c);
      // This write cannot reach the file: its reply is already on its way (everysec).
      expect(await c.call("SET", "b", "2")).toBe("OK");
      const i = await info(c);
      expect(i.get("aof_last_write_status")).toBe("err");
      expect(errorText(await c.call("SET", "c", "3"))).toBe(MISCONF);
      expect(errorText(await c.call("PING"))).toBe(MISCONF);
      expect(await c.call("GET", "a")).toBe("1");
      // The cron keeps retrying (and failing) every second.
      await sleep(1200);
      expect((await info(c)).get("aof_last_write_status")).toBe("err");
      // appendonly no, then yes: a new base from memory, a new incr file, writes accepted again.
      expect(await c.call("CONFIG", "SET", "appendonly", "no")).toBe("OK");
      expect(await c.call("SET", "d", "4")).toBe("OK");
      expect(await c.call("CONFIG", "SET", "appendonly", "yes")).toBe("OK");
      await waitRewriteDone(c);
      expect((await info(c)).get("aof_last_write_status")).toBe("ok");
      expect(await c.call("SET", "e", "5")).toBe("OK");
      expect(await c.call("PING")).toBe("PONG");
      const d = await digest(c);
      ({ s, c } = await restartAof(TARGET, dir, s, c));
      expect(await digest(c)).toBe(d);
      expect(await c.call("MGET", "a", "b", "c", "d", "e")).toEqual(["1", "2", null, "4", "5"]);
    } finally {
      c.close();
      await s.kill();
    }
  });

  it("always: a write that cannot be persisted is never acknowledged; the server exits", async () => {
    const dir = tempDir();
    const s = await startAof(TARGET, dir, ["--appendfsync", "always"]);
    const c = await s.client();
    try {
      await c.call("SET", "a", "1");
      await breakNextIncr(dir, c);
      await waitRewriteDone(c);
      const reply = await c.call("SET", "b", "2");
      expect(errorText(reply)).toBe("CONNECTION CLOSED");
      expect(await s.exited).toBe(1);
      await waitFor(
        () =>
          s
            .output()
            .includes("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting..."),
        "the exit message",
      );
    } finally {
      c.close();
      await s.kill();
    }
  });
});
