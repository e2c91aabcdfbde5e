/**
 * Differential test of the core: fast-check generates command sequences over a small key space
 * (strings, keys, expiry, transactions from two connections, bitmaps) that run against a real
 * redis-server and against keyhaven-server; every reply must be identical (KEYS and a full SCAN
 * compared as sets, PTTL-like replies within the time that separates the two executions), and
 * after each sequence DEBUG DIGEST must be equal.
 *
 * Connection 0 speaks RESP2 and connection 1 RESP3 (HELLO 3), so reply shapes of both protocols
 * are compared.
 *
 * Determinism: relative expiries are at least 100 s away (or already in the past, which deletes
 * at once), absolute ones are fixed far-future or past timestamps, and active expiry is off
 * (DEBUG SET-ACTIVE-EXPIRE 0) so a key with a past TTL disappears at the same lazy lookup on
 * both servers. RANDOMKEY, OBJECT FREQ/IDLETIME and anything timing-dependent are left out.
 */

import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasRealRedis, type RespClient, type ServerProcess, startServer } from "../helpers.js";

const KEYS = ["k1", "k2", "k3", "{k}4"];
const TIME_LIMIT_MS = 30_000;

const key = fc.constantFrom(...KEYS);
const smallValue = fc.constantFrom(
  "",
  "a",
  "abc",
  "hello world",
  "0",
  "1",
  "-1",
  "42",
  "10.5",
  "1e3",
  "x\0y\xff",
  "9223372036854775807",
  "a".repeat(45),
);
const intArg = fc.constantFrom(
  "0",
  "1",
  "-1",
  "7",
  "-100",
  "9223372036854775807",
  "-9223372036854775808",
  "x",
  "1.5",
);
const floatArg = fc.constantFrom(
  "1",
  "-1.5",
  "0.1",
  "0.3",
  "3e2",
  "-0",
  "1e-3",
  "-2.5e-3",
  "abc",
  "inf",
  "5.0e3",
  "1e20",
  "123456789.123456789",
  "100000000000000000000",
  " 1",
  "0x10",
  "-0x1.8p3",
);
const offset = fc.constantFrom("0", "1", "3", "7", "-1", "-3", "10", "-100", "50", "x");
const relSeconds = fc.constantFrom("-5", "0", "100", "500", "1000", "9999999", "x");
const relMillis = fc.constantFrom("-1", "0", "100000", "500000", "x");
const absSeconds = fc.constantFrom("1", "4102444800", "4102444900");
const absMillis = fc.constantFrom("1000", "4102444800000", "4102444800500");
const expireFlags = fc.subarray(["NX", "XX", "GT", "LT"], { maxLength: 2 });
const bitOffset = fc.constantFrom("0", "1", "7", "8", "15", "31", "100", "-1");
const bit = fc.constantFrom("0", "1", "2");

/** One generated step: which connection sends it, and the argv (or a client-side pseudo-command). */
interface Step {
  conn: 0 | 1;
  argv: string[];
}

const setOptions = fc
  .tuple(
    fc.constantFrom([], ["NX"], ["XX"], ["NX", "XX"]),
    fc.constantFrom([], ["GET"]),
    fc.oneof(
      fc.constant([] as string[]),
      relSeconds.map((s) => ["EX", s]),
      relMillis.map((s) => ["PX", s]),
      absSeconds.map((s) => ["EXAT", s]),
      absMillis.map((s) => ["PXAT", s]),
      fc.constant(["KEEPTTL"]),
      fc.constant(["EX", "100", "PX", "100000"]),
    ),
  )
  .chain(([a, b, c]) =>
    fc.shuffledSubarray([...a, ...b, ...c], { minLength: a.length + b.length + c.length }),
  );

const command: fc.Arbitrary<string[]> = fc.oneof(
  // Strings
  fc.tuple(key, smallValue, setOptions).map(([k, v, o]) => ["SET", k, v, ...o]),
  key.map((k) => ["GET", k]),
  fc.tuple(key, smallValue).map(([k, v]) => ["SETNX", k, v]),
  fc.tuple(key, relSeconds, smallValue).map(([k, t, v]) => ["SETEX", k, t, v]),
  fc.tuple(key, smallValue).map(([k, v]) => ["GETSET", k, v]),
  key.map((k) => ["GETDEL", k]),
  fc
    .tuple(
      key,
      fc.oneof(
        fc.constant([] as string[]),
        relSeconds.map((s) => ["EX", s]),
        absMillis.map((s) => ["PXAT", s]),
        fc.constant(["PERSIST"]),
      ),
    )
    .map(([k, o]) => ["GETEX", k, ...o]),
  fc.tuple(key, smallValue, key, smallValue).map(([a, x, b, y]) => ["MSET", a, x, b, y]),
  fc.tuple(key, smallValue, key, smallValue).map(([a, x, b, y]) => ["MSETNX", a, x, b, y]),
  fc.array(key, { minLength: 1, maxLength: 4 }).map((ks) => ["MGET", ...ks]),
  fc.tuple(key, smallValue).map(([k, v]) => ["APPEND", k, v]),
  key.map((k) => ["STRLEN", k]),
  fc.constantFrom("INCR", "DECR").chain((c) => key.map((k) => [c, k])),
  fc.tuple(fc.constantFrom("INCRBY", "DECRBY"), key, intArg).map(([c, k, n]) => [c, k, n]),
  fc.tuple(key, floatArg).map(([k, n]) => ["INCRBYFLOAT", k, n]),
  fc.tuple(key, offset, offset).map(([k, s, e]) => ["GETRANGE", k, s, e]),
  fc.tuple(key, offset, smallValue).map(([k, o, v]) => ["SETRANGE", k, o, v]),
  fc
    .tuple(
      key,
      key,
      fc.constantFrom([], ["LEN"], ["IDX"], ["IDX", "WITHMATCHLEN"], ["IDX", "MINMATCHLEN", "2"]),
    )
    .map(([a, b, o]) => ["LCS", a, b, ...o]),
  // Keys
  fc.array(key, { minLength: 1, maxLength: 3 }).map((ks) => ["DEL", ...ks]),
  fc.array(key, { minLength: 1, maxLength: 3 }).map((ks) => ["EXISTS", ...ks]),
  key.map((k) => ["TYPE", k]),
  key.map((k) => ["OBJECT", "ENCODING", k]),
  fc.tuple(fc.constantFrom("RENAME", "RENAMENX"), key, key).map(([c, a, b]) => [c, a, b]),
  fc.tuple(key, key, fc.constantFrom([], ["REPLACE"], ["DB", "1"])).map(([a, b, o]) => ["COPY", a, b, ...o]),
  key.map((k) => ["MOVE", k, "1"]),
  fc.constant(["DBSIZE"]),
  fc.constantFrom(["KEYS", "*"], ["KEYS", "k?"], ["KEYS", "*[0-9]"], ["SCANALL"]),
  fc.constant(["SWAPDB", "0", "1"]),
  // Expiry
  fc
    .tuple(fc.constantFrom("EXPIRE", "PEXPIRE"), key, expireFlags)
    .chain(([c, k, f]) => (c === "EXPIRE" ? relSeconds : relMillis).map((t) => [c, k, t, ...f])),
  fc
    .tuple(fc.constantFrom("EXPIREAT", "PEXPIREAT"), key, expireFlags)
    .chain(([c, k, f]) => (c === "EXPIREAT" ? absSeconds : absMillis).map((t) => [c, k, t, ...f])),
  fc
    .tuple(fc.constantFrom("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME", "PERSIST"), key)
    .map(([c, k]) => [c, k]),
  // Transactions
  fc.constantFrom(["MULTI"], ["EXEC"], ["DISCARD"], ["UNWATCH"]),
  fc.array(key, { minLength: 1, maxLength: 2 }).map((ks) => ["WATCH", ...ks]),
  fc.constant(["NOSUCHCOMMAND", "x"]),
  fc.constant(["GET"]),
  // Bitmaps
  fc.tuple(key, bitOffset, bit).map(([k, o, b]) => ["SETBIT", k, o, b]),
  fc.tuple(key, bitOffset).map(([k, o]) => ["GETBIT", k, o]),
  fc
    .tuple(key, fc.constantFrom([], ["0", "-1"], ["1", "2"], ["0", "-1", "BIT"], ["2", "9", "BIT"]))
    .map(([k, r]) => ["BITCOUNT", k, ...r]),
  fc
    .tuple(key, fc.constantFrom("0", "1"), fc.constantFrom([], ["1"], ["0", "-1"], ["1", "20", "BIT"]))
    .map(([k, b, r]) => ["BITPOS", k, b, ...r]),
  fc.tuple(fc.constantFrom("AND", "OR", "XOR"), key, key, key).map(([op, d, a, b]) => ["BITOP", op, d, a, b]),
  fc.tuple(key, key).map(([d, a]) => ["BITOP", "NOT", d, a]),
  fc
    .tuple(
      key,
      fc.constantFrom(["WRAP"], ["SAT"], ["FAIL"]),
      fc.constantFrom("u8", "i8", "u4", "i16", "u1", "i64"),
      fc.constantFrom("0", "3", "#1", "13"),
      intArg,
    )
    .map(([k, [o], t, off, n]) => ["BITFIELD", k, "OVERFLOW", o, "INCRBY", t, off, n, "GET", t, off]),
  fc
    .tuple(key, fc.constantFrom("u8", "i5", "u16"), fc.constantFrom("0", "5", "#2"), intArg)
    .map(([k, t, off, n]) => ["BITFIELD", k, "SET", t, off, n]),
  fc.tuple(key, fc.constantFrom("u8", "i5")).map(([k, t]) => ["BITFIELD_RO", k, "GET", t, "0"]),
);

const step: fc.Arbitrary<Step> = fc.record({ conn: fc.constantFrom(0 as const, 1 as const), argv: command });

/** A reply as comparable text; `unordered` sorts an array of strings (KEYS). */
function canonical(reply: unknown, unordered = false): string {
  const walk = (v: unknown): unknown => {
    if (v instanceof Error) return { error: v.message };
    if (typeof v === "bigint") return { int: v.toString() };
    if (typeof v === "number") return { int: String(v) };
    if (Array.isArray(v)) return v.map(walk);
    if (v instanceof Map) return { map: [...v].map(([k, x]) => [walk(k), walk(x)]) };
    return v;
  };
  let value = reply;
  if (unordered && Array.isArray(value)) value = [...value].sort();
  return JSON.stringify(walk(value));
}

/** Commands whose reply is a time that moved between the two executions. */
const TIMED = new Set(["PTTL", "PEXPIRETIME", "EXPIRETIME"]);

interface Side {
  conns: [RespClient, RespClient];
  /** Per connection: queued commands since MULTI, or null outside MULTI (tracked client-side). */
  multi: [string[][] | null, string[][] | null];
}

async function scanAll(c: RespClient): Promise<string[]> {
  const keys = new Set<string>();
  let cursor = "0";
  for (let i = 0; i < 1000; i++) {
    const [next, batch] = (await c.call("SCAN", cursor, "COUNT", "3")) as [string, string[]];
    for (const k of batch) keys.add(k);
    cursor = next;
    if (cursor === "0") break;
  }
  return [...keys].sort();
}

/** Sends one step to one side; returns its canonical reply text. */
async function run(side: Side, s: Step): Promise<string> {
  const c = side.conns[s.conn];
  const name = s.argv[0];
  const inMulti = side.multi[s.conn];
  if (name === "SCANALL") {
    // A full SCAN iteration cannot be queued: inside MULTI compare DBSIZE instead.
    if (inMulti !== null) return run(side, { conn: s.conn, argv: ["DBSIZE"] });
    return canonical(await scanAll(c));
  }
  const reply = await c.call(...s.argv);
  if (name === "MULTI" && reply === "OK") side.multi[s.conn] = [];
  else if ((name === "EXEC" || name === "DISCARD") && inMulti !== null) {
    side.multi[s.conn] = null;
    if (name === "EXEC" && Array.isArray(reply)) {
      // Normalize the replies of queued commands the way they are compared outside MULTI.
      return canonical(
        reply.map((r, i) => {
          const queued = inMulti[i];
          if (queued?.[0] === "KEYS" && Array.isArray(r)) return [...r].sort();
          if (queued !== undefined && TIMED.has(queued[0]) && typeof r === "number" && r > 0) return "time";
          return r;
        }),
      );
    }
  } else if (inMulti !== null && reply === "QUEUED") inMulti.push(s.argv);
  if (name === "KEYS") return canonical(reply, true);
  if (TIMED.has(name) && typeof reply === "number" && reply > 0) {
    // Within 2 s: the two servers ran this at slightly different instants.
    return `time:${Math.round(reply / (name === "EXPIRETIME" ? 10 : 10_000))}`;
  }
  return canonical(reply);
}

const enabled = hasRealRedis();
let redis: ServerProcess;
let keyhaven: ServerProcess;
let sides: [Side, Side];

beforeAll(async () => {
  if (!enabled) return;
  const args = ["--enable-debug-command", "yes"];
  [redis, keyhaven] = await Promise.all([startServer("redis", { args }), startServer("keyhaven", { args })]);
  const open = async (p: ServerProcess): Promise<Side> => ({
    conns: [await p.client(), await p.client()],
    multi: [null, null],
  });
  sides = [await open(redis), await open(keyhaven)];
  for (const side of sides) expect(await side.conns[0].call("DEBUG", "SET-ACTIVE-EXPIRE", "0")).toBe("OK");
});

afterAll(async () => {
  for (const side of sides ?? []) for (const c of side.conns) c.close();
  await Promise.all([redis?.stop(), keyhaven?.stop()]);
});

describe.skipIf(!enabled)("differential: core commands against redis-server 7.0", () => {
  it("random command sequences give identical replies and DEBUG DIGEST", async () => {
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
        for (const side of sides) {
          for (const c of side.conns) await c.call("RESET");
          // The second connection speaks RESP3, so both protocols are compared.
          await side.conns[1].call("HELLO", "3");
          side.multi = [null, null];
          await side.conns[0].call("FLUSHALL");
        }
        const history: string[] = [];
        for (const s of steps) {
          const [expected, actual] = [await run(sides[0], s), await run(sides[1], s)];
          history.push(`[${s.conn}] ${s.argv.join(" ")} -> ${expected}`);
          if (expected !== actual) {
            throw new Error(`reply differs\n${history.join("\n")}\nkeyhaven: ${actual}`);
          }
        }
        for (const side of sides) {
          for (const c of side.conns) await c.call("RESET");
          side.multi = [null, null];
        }
        const [d1, d2] = [
          await sides[0].conns[0].call("DEBUG", "DIGEST"),
          await sides[1].conns[0].call("DEBUG", "DIGEST"),
        ];
        if (d1 !== d2) throw new Error(`DEBUG DIGEST differs (${d1} vs ${d2})\n${history.join("\n")}`);
      }),
      {
        numRuns: Number(process.env.DIFF_RUNS ?? 1500),
        interruptAfterTimeLimit: TIME_LIMIT_MS,
        markInterruptAsFailure: false,
        endOnFailure: true,
      },
    );
    expect(Date.now() - started).toBeLessThan(TIME_LIMIT_MS + 15_000);
  });
});
