/**
 * DUMP / RESTORE with Redis 7.0's options, replies and errors (cluster.c restoreCommand). Runs
 * against real Redis too (KEYHAVEN_TEST_TARGET=redis). The cross-server cases (a payload from one
 * server restored in the other) are in rdb-interop.test.ts.
 */

import { crc64 } from "@keyhaven/protocol";
import { describe, expect, it } from "vitest";
import { errorText, type RespClient, sleep, withTarget } from "../helpers.js";
import { COLLECTIONS_SKIP_REASON, collectionsAvailable } from "./rdb-helpers.js";

let c: RespClient;
// Real Redis has every type: the collection cases run there already.
const collections = process.env.KEYHAVEN_TEST_TARGET === "redis" || collectionsAvailable();

withTarget({ args: ["--enable-debug-command", "yes"] }, (t) => ({ c } = t));

async function dump(key: string): Promise<string> {
  const payload = await c.call("DUMP", key);
  expect(typeof payload).toBe("string");
  return payload as string;
}

/** A payload with a valid footer (version 10, correct CRC) around an arbitrary body. */
function withFooter(body: Buffer): string {
  const head = Buffer.concat([body, Buffer.from([10, 0])]);
  const crc = Buffer.alloc(8);
  crc.writeBigUInt64LE(crc64(head));
  return Buffer.concat([head, crc]).toString("latin1");
}

describe("DUMP and RESTORE", () => {
  it("round-trip strings of every encoding", async () => {
    const values = ["12345", "-7", "9223372036854775807", "short", "x".repeat(5000), "\x00\xff\r\n", ""];
    for (const [i, v] of values.entries()) {
      await c.call("SET", `s${i}`, v);
      const p = await dump(`s${i}`);
      expect(await c.call("RESTORE", `r${i}`, "0", p)).toBe("OK");
      expect(await c.call("GET", `r${i}`)).toBe(v);
      expect(await c.call("PTTL", `r${i}`)).toBe(-1);
    }
    expect(await c.call("DUMP", "missing")).toBeNull();
  });

  it("TTL, ABSTTL, REPLACE and BUSYKEY", async () => {
    await c.call("SET", "src", "value");
    const p = await dump("src");
    expect(await c.call("RESTORE", "t1", "5000", p)).toBe("OK");
    const pttl = (await c.call("PTTL", "t1")) as number;
    expect(pttl).toBeGreaterThan(4000);
    expect(pttl).toBeLessThanOrEqual(5000);
    const at = Date.now() + 100_000;
    expect(await c.call("RESTORE", "t2", String(at), p, "ABSTTL")).toBe("OK");
    expect(Math.abs(((await c.call("PEXPIRETIME", "t2")) as number) - at)).toBeLessThanOrEqual(1);
    // A past absolute TTL: OK, and no key.
    expect(await c.call("RESTORE", "t3", String(Date.now() - 1000), p, "ABSTTL")).toBe("OK");
    expect(await c.call("EXISTS", "t3")).toBe(0);
    expect(errorText(await c.call("RESTORE", "t1", "0", p))).toBe("BUSYKEY Target key name already exists.");
    await c.call("SET", "t1", "other");
    expect(await c.call("RESTORE", "t1", "0", p, "REPLACE")).toBe("OK");
    expect(await c.call("GET", "t1")).toBe("value");
    expect(await c.call("TTL", "t1")).toBe(-1);
    // REPLACE with a past TTL deletes the existing key.
    expect(await c.call("RESTORE", "t1", String(Date.now() - 1000), p, "ABSTTL", "REPLACE")).toBe("OK");
    expect(await c.call("EXISTS", "t1")).toBe(0);
    // A key that expired but was not yet deleted is not BUSY.
    await c.call("SET", "t4", "x", "PX", "1");
    await sleep(10);
    expect(await c.call("RESTORE", "t4", "0", p)).toBe("OK");
  });

  it("RESTORE looks keys up as a write (no keyspace hit/miss), DUMP as a read", async () => {
    await c.call("SET", "src", "value");
    const p = await dump("src");
    const stats = async () => {
      const text = String(await c.call("INFO", "stats"));
      return [/keyspace_hits:(\d+)/.exec(text)?.[1], /keyspace_misses:(\d+)/.exec(text)?.[1]].map(Number);
    };
    const before = await stats();
    expect(await c.call("RESTORE", "src", "0", p, "REPLACE")).toBe("OK");
    expect(await c.call("RESTORE", "fresh-key", "0", p)).toBe("OK");
    expect(await stats()).toEqual(before);
    await c.call("DUMP", "src");
    await c.call("DUMP", "nothing-here");
    expect(await stats()).toEqual([before[0] + 1, before[1] + 1]);
  });

  it("IDLETIME and FREQ", async () => {
    await c.call("SET", "src", "value");
    const p = await dump("src");
    expect(await c.call("RESTORE", "idle", "0", p, "IDLETIME", "1000")).toBe("OK");
    expect((await c.call("OBJECT", "IDLETIME", "idle")) as number).toBeGreaterThanOrEqual(1000);
    expect(await c.call("RESTORE", "freq", "0", p, "FREQ", "100")).toBe("OK");
    expect(errorText(await c.call("RESTORE", "x", "0", p, "IDLETIME", "-1"))).toBe(
      "ERR Invalid IDLETIME value, must be >= 0",
    );
    expect(errorText(await c.call("RESTORE", "x", "0", p, "FREQ", "256"))).toBe(
      "ERR Invalid FREQ value, must be >= 0 and <= 255",
    );
    expect(errorText(await c.call("RESTORE", "x", "0", p, "IDLETIME", "abc"))).toBe(
      "ERR value is not an integer or out of range",
    );
    expect(errorText(await c.call("RESTORE", "x", "0", p, "IDLETIME", "1", "FREQ", "1"))).toBe(
      "ERR syntax error",
    );
    expect(errorText(await c.call("RESTORE", "x", "0", p, "IDLETIME"))).toBe("ERR syntax error");
    expect(errorText(await c.call("RESTORE", "x", "0", p, "NOPE"))).toBe("ERR syntax error");
    await c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu");
    expect(await c.call("RESTORE", "freq2", "0", p, "FREQ", "100")).toBe("OK");
    expect(await c.call("OBJECT", "FREQ", "freq2")).toBe(100);
    await c.call("CONFIG", "SET", "maxmemory-policy", "noeviction");
  });

  it("errors on bad TTLs and bad payloads, in Redis's order", async () => {
    await c.call("SET", "src", "value");
    const p = await dump("src");
    expect(errorText(await c.call("RESTORE", "x", "-1", p))).toBe("ERR Invalid TTL value, must be >= 0");
    expect(errorText(await c.call("RESTORE", "x", "abc", p))).toBe(
      "ERR value is not an integer or out of range",
    );
    const corrupt = Buffer.from(p, "latin1");
    corrupt[corrupt.length - 1] ^= 1;
    expect(errorText(await c.call("RESTORE", "x", "0", corrupt))).toBe(
      "ERR DUMP payload version or checksum are wrong",
    );
    expect(errorText(await c.call("RESTORE", "x", "0", "short"))).toBe(
      "ERR DUMP payload version or checksum are wrong",
    );
    const newer = Buffer.from(p, "latin1");
    newer[newer.length - 10] = 99;
    expect(errorText(await c.call("RESTORE", "x", "0", newer))).toBe(
      "ERR DUMP payload version or checksum are wrong",
    );
    // A correct footer around a body that is not a value.
    expect(errorText(await c.call("RESTORE", "x", "0", withFooter(Buffer.from([0, 50, 1, 2]))))).toBe(
      "ERR Bad data format",
    );
    expect(errorText(await c.call("RESTORE", "x", "0", withFooter(Buffer.from([77, 1, 65]))))).toBe(
      "ERR Bad data format",
    );
    // BUSYKEY is checked before the TTL and the payload.
    expect(errorText(await c.call("RESTORE", "src", "-1", "junk"))).toBe(
      "BUSYKEY Target key name already exists.",
    );
    expect(errorText(await c.call("RESTORE", "x", "0"))).toBe(
      "ERR wrong number of arguments for 'restore' command",
    );
    expect(errorText(await c.call("DUMP"))).toBe("ERR wrong number of arguments for 'dump' command");
    expect(await c.call("EXISTS", "x")).toBe(0);
  });

  it.skipIf(!collections)(
    `round-trip every collection type${collections ? "" : ` (skipped until: ${COLLECTIONS_SKIP_REASON})`}`,
    async () => {
      await c.call("RPUSH", "l", "a", "b", "1", "c");
      await c.call("SADD", "si", "1", "2", "3");
      await c.call("SADD", "ss", "a", "b");
      await c.call("ZADD", "z", "1.5", "a", "-2", "b");
      await c.call("HSET", "h", "f", "v", "g", "w");
      for (const k of ["l", "si", "ss", "z", "h"]) {
        const p = await dump(k);
        expect(await c.call("RESTORE", `${k}-copy`, "0", p)).toBe("OK");
        expect(await c.call("DEBUG", "DIGEST-VALUE", `${k}-copy`)).toEqual(
          await c.call("DEBUG", "DIGEST-VALUE", k),
        );
        expect(await c.call("OBJECT", "ENCODING", `${k}-copy`)).toBe(await c.call("OBJECT", "ENCODING", k));
      }
    },
  );

  it.skipIf(!collections)(
    `refuses a collection whose members repeat, and creates nothing${collections ? "" : ` (skipped until: ${COLLECTIONS_SKIP_REASON})`}`,
    async () => {
      const str = (s: string) => [s.length, ...Buffer.from(s, "latin1")];
      const score = (x: number) => {
        const b = Buffer.alloc(8);
        b.writeDoubleLE(x);
        return [...b];
      };
      /** An RDB length (6-bit or 14-bit form). */
      const len = (n: number) => (n < 64 ? [n] : [0x40 | (n >> 8), n & 0xff]);
      /** m0, m1, ..., with the middle one again at the end. */
      const repeated = (n: number) => [...Array.from({ length: n - 1 }, (_, i) => `m${i}`), `m${n >> 1}`];
      const bodies = {
        // RDB_TYPE_SET (a hashtable set), members a, b, a.
        set: [2, 3, ...str("a"), ...str("b"), ...str("a")],
        // RDB_TYPE_HASH, fields f, f.
        hash: [4, 2, ...str("f"), ...str("v"), ...str("f"), ...str("w")],
        // RDB_TYPE_ZSET_2, members m, m.
        zset: [5, 2, ...str("m"), ...score(1), ...str("m"), ...score(2)],
        // Bigger ones: keyhaven finds these repeats with the index it builds.
        bigSet: [2, ...len(40), ...repeated(40).flatMap(str)],
        bigHash: [4, ...len(600), ...repeated(600).flatMap((f) => [...str(f), ...str("v")])],
        bigZset: [5, ...len(200), ...repeated(200).flatMap((m, i) => [...str(m), ...score(i)])],
      };
      // Redis 7.0 looks for repeated hash fields only with deep sanitization; keyhaven always does.
      await c.call("CONFIG", "SET", "sanitize-dump-payload", "yes");
      for (const [name, body] of Object.entries(bodies)) {
        expect(errorText(await c.call("RESTORE", `dup-${name}`, "0", withFooter(Buffer.from(body))))).toBe(
          "ERR Bad data format",
        );
        expect(await c.call("EXISTS", `dup-${name}`)).toBe(0);
      }
      // The same bodies without the repeat restore.
      expect(
        await c.call("RESTORE", "ok-set", "0", withFooter(Buffer.from([2, 2, ...str("a"), ...str("b")]))),
      ).toBe("OK");
      expect(await c.call("SMEMBERS", "ok-set")).toEqual(expect.arrayContaining(["a", "b"]));
      await c.call("CONFIG", "SET", "sanitize-dump-payload", "no");
    },
  );
});
