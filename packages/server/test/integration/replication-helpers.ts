/**
 * Helpers for the replication suites: starting nodes (Keyhaven, or real Redis for interop and
 * for KEYHAVEN_TEST_TARGET=redis), reading INFO fields, waiting until a replica caught up with
 * its master, comparing DEBUG DIGEST across a topology, and a random write load that uses every
 * data type the server under test implements (it asks COMMAND INFO), so the same tests cover
 * lists, hashes, sets, sorted sets and blocking pops as soon as those commands exist.
 *
 * Every wait is bounded; every process is started through test/helpers.ts, which kills it by PID
 * when the file ends.
 */

import { afterEach } from "vitest";
import {
  errorText,
  freePort,
  infoSection,
  RespClient,
  type ServerProcess,
  type StartOptions,
  sleep,
  startServer,
  startTarget,
  waitFor,
} from "../helpers.js";

export type Kind = "keyhaven" | "redis";

/** The kind startTarget() starts (real Redis with KEYHAVEN_TEST_TARGET=redis). */
export const TARGET: Kind = process.env.KEYHAVEN_TEST_TARGET === "redis" ? "redis" : "keyhaven";

export interface Node {
  kind: Kind;
  proc: ServerProcess;
  port: number;
  c: RespClient;
}

const BASE_ARGS = ["--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0"];

/**
 * The nodes a test file's tests start, each stopped when its test ends (the afterEach is
 * registered where this is created: at the file's top level). `forget` drops a node the test
 * stopped itself.
 */
export class NodesPerTest {
  private nodes: Node[] = [];

  constructor() {
    afterEach(async () => {
      await stopNodes(...this.nodes);
      this.nodes = [];
    });
  }

  start = async (args: string[] = [], kind?: Kind, options: StartOptions = {}): Promise<Node> => {
    const n = await startNode(args, kind, options);
    this.nodes.push(n);
    return n;
  };

  forget(node: Node): void {
    this.nodes = this.nodes.filter((n) => n !== node);
  }
}

/** Starts a node of `kind` (default: the test target) with a connected client. */
export async function startNode(args: string[] = [], kind?: Kind, options: StartOptions = {}): Promise<Node> {
  const all = [...BASE_ARGS, ...args];
  const proc =
    kind === undefined
      ? await startTarget({ ...options, args: all })
      : await startServer(kind, { ...options, args: all });
  const c = await proc.client();
  return { kind: kind ?? TARGET, proc, port: proc.port, c };
}

export async function stopNodes(...nodes: (Node | undefined)[]): Promise<void> {
  for (const n of nodes) {
    if (n === undefined) continue;
    n.c.close();
    await n.proc.kill();
  }
}

/** INFO <section> as a map of field -> value. */
export const info = infoSection;

/** The field names of an INFO section, in order. */
export async function infoFields(c: RespClient, section: string): Promise<string[]> {
  const text = String(await c.call("INFO", section));
  return text
    .split("\r\n")
    .filter((l) => l.includes(":") && !l.startsWith("#"))
    .map((l) => l.slice(0, l.indexOf(":")));
}

export async function stat(c: RespClient, name: string): Promise<number> {
  return Number((await info(c, "stats")).get(name));
}

/** Waits until `replica` reports its link up and the same offset as `master`. */
export async function waitInSync(master: Node, replica: Node, timeoutMs = 30_000): Promise<void> {
  let m = new Map<string, string>();
  let r = new Map<string, string>();
  await waitFor(
    async () => {
      m = await info(master.c, "replication");
      r = await info(replica.c, "replication");
      return (
        r.get("master_link_status") === "up" &&
        r.get("master_sync_in_progress") === "0" &&
        r.get("slave_repl_offset") === m.get("master_repl_offset")
      );
    },
    `replica :${replica.port} in sync with :${master.port}`,
    timeoutMs,
  ).catch((err: Error) => {
    const tail = (n: Node) => n.proc.output().split("\n").slice(-25).join("\n");
    throw new Error(
      `${err.message}\nmaster: ${[...m].join(" ")}\nreplica: ${[...r].join(" ")}\n--- master log\n${tail(master)}\n--- replica log\n${tail(replica)}`,
    );
  });
}

/** Makes `replica` a replica of `master` and waits until it caught up. */
export async function replicate(replica: Node, master: Node, timeoutMs = 30_000): Promise<void> {
  expectOk(await replica.c.call("REPLICAOF", "127.0.0.1", master.port));
  await waitInSync(master, replica, timeoutMs);
}

export function expectOk(reply: unknown): void {
  if (reply !== "OK") throw new Error(`expected OK, got ${errorText(reply) ?? JSON.stringify(reply)}`);
}

/**
 * Waits until every node has the same DEBUG DIGEST, and returns it. Keys that expire on the
 * master while we compare make digests differ for an instant (until the DEL reaches the
 * replicas), hence the retries.
 */
export async function sameDigest(master: Node, others: Node[], timeoutMs = 30_000): Promise<string> {
  let last = "";
  await waitFor(
    async () => {
      for (const r of others) await waitInSync(master, r, timeoutMs);
      const digests = [String(await master.c.call("DEBUG", "DIGEST"))];
      for (const r of others) digests.push(String(await r.c.call("DEBUG", "DIGEST")));
      last = digests.join(" ");
      return digests.every((d) => d === digests[0]);
    },
    "equal DEBUG DIGEST on every node",
    timeoutMs,
  ).catch((err: Error) => {
    throw new Error(`${err.message}: ${last}`);
  });
  return String(await master.c.call("DEBUG", "DIGEST"));
}

/** Which optional command families the server implements (COMMAND INFO answers nil otherwise). */
export interface Capabilities {
  lists: boolean;
  blockingPops: boolean;
  hashes: boolean;
  sets: boolean;
  zsets: boolean;
  hyperloglogs: boolean;
  geo: boolean;
  streams: boolean;
  scripts: boolean;
}

export async function capabilities(c: RespClient): Promise<Capabilities> {
  const names = ["lpush", "blpop", "hset", "sadd", "zadd", "pfadd", "geoadd", "xreadgroup", "eval"];
  const reply = (await c.call("COMMAND", "INFO", ...names)) as unknown[];
  const has = (i: number) => Array.isArray(reply) && reply[i] !== null && reply[i] !== undefined;
  return {
    lists: has(0),
    blockingPops: has(1),
    hashes: has(2),
    sets: has(3),
    zsets: has(4),
    hyperloglogs: has(5),
    geo: has(6),
    streams: has(7),
    scripts: has(8),
  };
}

/** A small deterministic PRNG (mulberry32), so a failing load can be replayed from its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface LoadOptions {
  ops: number;
  seed: number;
  /** Keys per database. */
  keys?: number;
  /** Blocking pops are served by this extra client (lists only). */
  popper?: RespClient;
}

/**
 * A random write load: strings, counters, expiries (some short enough to expire during the
 * test, on the master only), MULTI/EXEC, two databases, and every collection type the server
 * has. Replies are not checked (a WRONGTYPE is part of the game); the test compares datasets.
 */
export async function randomLoad(c: RespClient, caps: Capabilities, options: LoadOptions): Promise<void> {
  const rand = rng(options.seed);
  const nkeys = options.keys ?? 200;
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const key = (prefix: string) => `${prefix}:${Math.floor(rand() * nkeys)}`;
  const int = (n: number) => String(Math.floor(rand() * n));
  const makers: (() => (string | number)[])[] = [
    () => ["SET", key("s"), `v${int(1e6)}`],
    () => [
      "SET",
      key("s"),
      "x".repeat(Math.floor(rand() * 300)),
      "PX",
      String(50 + Math.floor(rand() * 3000)),
    ],
    () => ["INCRBY", key("n"), int(100)],
    () => ["INCRBYFLOAT", key("f"), (rand() * 10).toFixed(3)],
    () => ["APPEND", key("s"), int(1000)],
    () => ["DEL", key("s")],
    () => ["PEXPIRE", key("s"), String(20 + Math.floor(rand() * 2000))],
    () => ["EXPIRE", key("n"), "1000"],
    () => ["PERSIST", key("n")],
    () => ["SETRANGE", key("s"), int(20), "zz"],
    () => ["GETDEL", key("n")],
    () => ["MSET", key("s"), "a", key("n"), int(50)],
    () => ["SETEX", key("s"), "2", "short"],
    () => ["RENAME", key("s"), key("s")],
  ];
  if (caps.lists) {
    makers.push(
      () => ["LPUSH", key("l"), int(1000), int(1000)],
      () => ["RPUSH", key("l"), int(1000)],
      () => ["LPOP", key("l")],
      () => ["LMOVE", key("l"), key("l"), "LEFT", "RIGHT"],
      () => ["LTRIM", key("l"), "0", "10"],
    );
  }
  if (caps.hashes) {
    makers.push(
      () => ["HSET", key("h"), `f${int(20)}`, int(1000), `f${int(20)}`, "v"],
      () => ["HDEL", key("h"), `f${int(20)}`],
      () => ["HINCRBY", key("h"), `c${int(5)}`, int(10)],
    );
  }
  if (caps.sets) {
    makers.push(
      () => ["SADD", key("t"), int(50), int(50)],
      () => ["SREM", key("t"), int(50)],
      () => ["SPOP", key("t")],
    );
  }
  if (caps.zsets) {
    makers.push(
      () => ["ZADD", key("z"), String(rand() * 100), `m${int(30)}`],
      () => ["ZINCRBY", key("z"), "1.5", `m${int(30)}`],
      () => ["ZPOPMIN", key("z")],
      () => ["ZREM", key("z"), `m${int(30)}`],
    );
  }
  if (caps.hyperloglogs) {
    makers.push(
      () => ["PFADD", key("p"), `e${int(5000)}`, `e${int(5000)}`, `e${int(5000)}`],
      // A stale cached count makes PFCOUNT a write, propagated like one.
      () => ["PFCOUNT", key("p")],
      () => ["PFMERGE", key("p"), key("p")],
    );
  }
  if (caps.geo) {
    const lon = () => (rand() * 20).toFixed(6);
    const lat = () => (40 + rand() * 10).toFixed(6);
    makers.push(
      // Propagated as the ZADD it becomes.
      () => ["GEOADD", key("g"), lon(), lat(), `m${int(30)}`],
      // Stored geohash scores are exact on every server (STOREDIST distances would depend on libm).
      () => ["GEOSEARCHSTORE", key("g"), key("g"), "FROMLONLAT", lon(), lat(), "BYRADIUS", "300", "km"],
    );
  }
  if (caps.scripts) {
    makers.push(
      // Effects replication: the script's writes propagate, wrapped in MULTI/EXEC.
      () => [
        "EVAL",
        "redis.call('INCRBY', KEYS[1], ARGV[1]) redis.call('SET', KEYS[2], ARGV[2]) return redis.call('GET', KEYS[1])",
        "2",
        key("n"),
        key("s"),
        int(100),
        `lua${int(1000)}`,
      ],
      // A script that fails half-way keeps (and propagates) the writes made before the error.
      () => ["EVAL", "redis.call('APPEND', KEYS[1], 'x') return redis.call('INCR', KEYS[1])", "1", key("s")],
      // A random pick inside a script propagates as the element it removed.
      () => ["EVAL", "return redis.call('SPOP', KEYS[1])", "1", key("t")],
    );
  }
  if (caps.streams) {
    // Explicit IDs grow with the op counter (so they always go after the last one) and let
    // XDEL/XACK/XCLAIM name entries that exist; `*` IDs and `~` trims are propagated as the
    // exact ID and trim Redis rewrites them to; group reads propagate as XCLAIM / XGROUP SETID.
    let op = 1;
    const id = () => `${1 + Math.floor(rand() * op)}-0`;
    const consumer = () => `c${int(3)}`;
    makers.push(
      () => ["XADD", key("x"), `${++op}-*`, "f", int(100), "g", "v"],
      () => ["XADD", key("x"), "MAXLEN", "~", "5", `${++op}-0`, "f", int(100)],
      () => ["XADD", key("x"), "*", "f", int(100)],
      () => ["XTRIM", key("x"), "MAXLEN", pick(["~", "="]), int(8)],
      () => ["XTRIM", key("x"), "MINID", "~", id()],
      () => ["XDEL", key("x"), id(), id()],
      () => ["XGROUP", "CREATE", key("x"), "g", pick(["0", "$"]), "MKSTREAM"],
      () => ["XGROUP", "SETID", key("x"), "g", pick(["0", "$", id()])],
      () => ["XGROUP", "DELCONSUMER", key("x"), "g", consumer()],
      () => ["XREADGROUP", "GROUP", "g", consumer(), "COUNT", "3", "STREAMS", key("x"), ">"],
      () => ["XREADGROUP", "GROUP", "g", consumer(), "COUNT", "2", "NOACK", "STREAMS", key("x"), ">"],
      () => ["XREADGROUP", "GROUP", "g", consumer(), "STREAMS", key("x"), "0"],
      () => ["XACK", key("x"), "g", id(), id()],
      () => [
        "XCLAIM",
        key("x"),
        "g",
        consumer(),
        "0",
        id(),
        id(),
        ...pick([["JUSTID"], ["FORCE"], []]),
        ...(rand() < 0.5 ? [] : ["LASTID", id()]),
      ],
      () => ["XAUTOCLAIM", key("x"), "g", consumer(), "0", "0", "COUNT", "3"],
      () => ["XSETID", key("x"), `${op + 1000000}-0`],
    );
  }
  const pending: Promise<unknown>[] = [];
  const flush = async () => {
    await Promise.all(pending.splice(0));
  };
  let blocked: Promise<unknown> | null = null;
  for (let i = 0; i < options.ops; i++) {
    const r = rand();
    if (r < 0.03) {
      await flush();
      await c.call("SELECT", pick(["0", "1"]));
      continue;
    }
    if (r < 0.08) {
      // A transaction: propagated as MULTI ... EXEC.
      await flush();
      await c.call("MULTI");
      const n = 1 + Math.floor(rand() * 4);
      for (let j = 0; j < n; j++) await c.call(...pick(makers)());
      await c.call("EXEC");
      continue;
    }
    if (r < 0.1 && caps.blockingPops && options.popper !== undefined && blocked === null) {
      // A blocking pop on another connection, served by a later push (propagated as a pop).
      const k = key("l");
      blocked = options.popper.call("BLPOP", k, "0.2").then(() => {
        blocked = null;
      });
      pending.push(c.call("RPUSH", k, int(100)));
      continue;
    }
    pending.push(c.call(...pick(makers)()));
    if (pending.length >= 32) await flush();
  }
  await flush();
  if (blocked !== null) await blocked;
  await c.call("SELECT", "0");
}

/** Polls INFO until `name` in `section` satisfies `check`. */
export async function waitInfo(
  c: RespClient,
  section: string,
  name: string,
  check: (v: string | undefined) => boolean,
  timeoutMs = 20_000,
): Promise<void> {
  let last: string | undefined;
  await waitFor(
    async () => {
      last = (await info(c, section)).get(name);
      return check(last);
    },
    `${name} (last: ${last})`,
    timeoutMs,
  );
}

/** A port nothing listens on (to point a replica at a master that is not there). */
export const freePortFor = freePort;

export { errorText, RespClient, sleep, waitFor };

/**
 * The consumer-group state of every stream in databases 0 and 1 (DEBUG DIGEST covers entries
 * only): each group's name, last-delivered ID and pending count (XINFO GROUPS) and its PEL
 * summary, which replicas get through the XCLAIM and XGROUP SETID forms XREADGROUP/XCLAIM/
 * XAUTOCLAIM propagate. Not compared, because Redis 7.0 itself does not replicate them: the read
 * counter (entries-read, lag; XCLAIM LASTID moves the ID only) and consumers that a read or
 * claim created without delivering anything (nothing is propagated then).
 */
async function streamGroups(c: RespClient): Promise<unknown> {
  const out: Record<string, unknown> = {};
  for (const db of ["0", "1"]) {
    await c.call("SELECT", db);
    let cursor = "0";
    const keys: string[] = [];
    do {
      const [next, batch] = (await c.call("SCAN", cursor, "COUNT", "1000", "TYPE", "stream")) as [
        string,
        string[],
      ];
      keys.push(...batch);
      cursor = next;
    } while (cursor !== "0");
    for (const k of keys.sort()) {
      const groups = (await c.call("XINFO", "GROUPS", k)) as unknown[][];
      const state = [];
      for (const g of groups) state.push([g[1], g[5], g[7], await c.call("XPENDING", k, String(g[1]))]);
      out[`${db}:${k}`] = state;
    }
  }
  await c.call("SELECT", "0");
  return out;
}

/** Waits until every node has the master's stream group state (see streamGroups). */
export async function sameStreamGroups(master: Node, others: Node[], timeoutMs = 30_000): Promise<void> {
  let last = "";
  await waitFor(
    async () => {
      const want = (await streamGroups(master.c)) as Record<string, unknown>;
      for (const n of others) {
        const got = (await streamGroups(n.c)) as Record<string, unknown>;
        const keys = [...new Set([...Object.keys(want), ...Object.keys(got)])];
        const diff = keys.filter((k) => JSON.stringify(got[k]) !== JSON.stringify(want[k]));
        if (diff.length > 0) {
          last = diff
            .slice(0, 3)
            .map((k) => `${k}: ${n.kind} ${JSON.stringify(got[k])}, master ${JSON.stringify(want[k])}`)
            .join("\n");
          return false;
        }
      }
      return true;
    },
    "equal stream groups on every node",
    timeoutMs,
  ).catch((err: Error) => {
    throw new Error(`${err.message}: ${last}`);
  });
}
