/**
 * Helpers for the AOF process tests: starting a server with appendonly on a given directory (and
 * restarting it there), INFO parsing, waiting for rewrites, reading the AOF directory, and a
 * dataset snapshot (digest + absolute expiries) to compare before and after a restart.
 *
 * `populate` issues writes of every type the server knows; commands a build does not have yet
 * (lists, hashes, sets, zsets before their branches are merged) are skipped, so the same tests
 * cover those types automatically once they exist.
 */

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type AofManifest, parseAofManifest } from "@keyhaven/protocol";
import { expect } from "vitest";
import {
  errorText,
  infoSection,
  type RespClient,
  type ServerProcess,
  type StartOptions,
  startServer,
  waitFor,
} from "../helpers.js";

export type Kind = "keyhaven" | "redis";

/** The kind the suites run against (KEYHAVEN_TEST_TARGET=redis runs them on real Redis). */
export const TARGET: Kind = process.env.KEYHAVEN_TEST_TARGET === "redis" ? "redis" : "keyhaven";

export const AOF_DIR = "appendonlydir";
export const MANIFEST = "appendonly.aof.manifest";

/** Starts a server with appendonly yes (and DEBUG enabled) on `dir`. */
export function startAof(
  kind: Kind,
  dir: string,
  args: string[] = [],
  options: Omit<StartOptions, "dir" | "args"> = {},
): Promise<ServerProcess> {
  return startServer(kind, {
    ...options,
    dir,
    args: ["--appendonly", "yes", "--enable-debug-command", "yes", ...args],
  });
}

/**
 * Closes `c`, stops the server (SIGTERM with `how` "stop", else kill -9) and starts it again on
 * `dir` with appendonly and no other arguments; returns the new server and a client to it.
 * Before a kill it waits until the AOF buffer is written out (INFO aof_buffer_length 0): with
 * everysec, Redis and Keyhaven alike postpone the write for up to 2 s while a background fsync
 * runs, replies already sent, so acknowledged writes may be in no file yet.
 */
export async function restartAof(
  kind: Kind,
  dir: string,
  s: ServerProcess,
  c: RespClient,
  how: "stop" | "kill" = "kill",
): Promise<{ s: ServerProcess; c: RespClient }> {
  if (how === "kill") {
    await waitFor(
      async () => (await info(c)).get("aof_buffer_length") === "0",
      "the AOF buffer to be written",
      5000,
    );
  }
  c.close();
  if (how === "stop") await s.stop();
  else await s.kill();
  const restarted = await startAof(kind, dir);
  return { s: restarted, c: await restarted.client() };
}

/** INFO <section> as a map (persistence unless told). */
export function info(c: RespClient, section = "persistence"): Promise<Map<string, string>> {
  return infoSection(c, section);
}

/** Waits until no rewrite runs or is scheduled. */
export async function waitRewriteDone(c: RespClient, timeoutMs = 20_000): Promise<void> {
  await waitFor(
    async () => {
      const i = await info(c);
      return i.get("aof_rewrite_in_progress") === "0" && i.get("aof_rewrite_scheduled") === "0";
    },
    "the AOF rewrite to finish",
    timeoutMs,
  );
}

export function readManifest(dir: string): AofManifest {
  return parseAofManifest(readFileSync(join(dir, AOF_DIR, MANIFEST)));
}

export function aofFiles(dir: string): string[] {
  return readdirSync(join(dir, AOF_DIR)).sort();
}

export async function digest(c: RespClient): Promise<string> {
  return String(await c.call("DEBUG", "DIGEST"));
}

/** Every key of every database with its absolute expiry (PEXPIRETIME), for exact TTL checks. */
export async function expiries(c: RespClient, databases = 16): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let db = 0; db < databases; db++) {
    await c.call("SELECT", db);
    let cursor = "0";
    do {
      const [next, keys] = (await c.call("SCAN", cursor, "COUNT", 1000)) as [string, string[]];
      cursor = next;
      for (const k of keys) out.set(`${db}:${k}`, Number(await c.call("PEXPIRETIME", k)));
    } while (cursor !== "0");
  }
  await c.call("SELECT", 0);
  return out;
}

/** What a restart must give back: the digest and every key's absolute expiry. */
export interface Dataset {
  digest: string;
  ttls: Map<string, number>;
}

export async function dataset(c: RespClient): Promise<Dataset> {
  return { digest: await digest(c), ttls: await expiries(c) };
}

/** Checks that `c` serves `before` again: the same digest, then the same absolute expiries. */
export async function expectDataset(c: RespClient, before: Dataset): Promise<void> {
  expect(await digest(c)).toBe(before.digest);
  expect(await expiries(c)).toEqual(before.ttls);
}

/** True when the reply says the command does not exist (a type not merged yet). */
export function isUnknownCommand(reply: unknown): boolean {
  return errorText(reply)?.startsWith("ERR unknown command") === true;
}

/** Sends a command; an unknown command is skipped, any other error fails. */
export async function write(c: RespClient, ...args: (string | number)[]): Promise<unknown> {
  const reply = await c.call(...args);
  const err = errorText(reply);
  if (err !== null && !isUnknownCommand(reply)) throw new Error(`${args.join(" ")} -> ${err}`);
  return reply;
}

/**
 * A dataset exercising what the AOF must reproduce: strings, relative and absolute expiries,
 * several databases, MULTI/EXEC, INCRBYFLOAT, a key that expires (its DEL goes to the AOF), and
 * collections when the server has them.
 */
export async function populate(
  c: RespClient,
  prefix = "",
  skip: ReadonlySet<string> = new Set(),
): Promise<void> {
  const p = prefix;
  const coll = async (...args: (string | number)[]) => {
    if (!skip.has(String(args[0]).toUpperCase())) await write(c, ...args);
  };
  await write(c, "SET", `${p}str`, "hello\r\n\0world\xff");
  await write(c, "SET", `${p}ex`, "v", "EX", 1000);
  await write(c, "SET", `${p}px`, "v", "PX", 500_000);
  await write(c, "SETEX", `${p}setex`, 700, "v");
  await write(c, "SET", `${p}pxat`, "v", "PXAT", Date.now() + 3_600_000);
  await write(c, "SET", `${p}abs`, "v");
  await write(c, "PEXPIREAT", `${p}abs`, Date.now() + 7_200_000);
  await write(c, "SET", `${p}persist`, "v", "EX", 100);
  await write(c, "PERSIST", `${p}persist`);
  await write(c, "SET", `${p}short`, "gone", "PX", 30);
  await write(c, "INCRBYFLOAT", `${p}float`, "1.1");
  await write(c, "INCRBYFLOAT", `${p}float`, "2.25e2");
  await write(c, "INCR", `${p}counter`);
  await write(c, "INCRBY", `${p}counter`, 41);
  await write(c, "APPEND", `${p}str`, "!");
  await write(c, "SETRANGE", `${p}range`, 5, "xyz");
  await write(c, "GETEX", `${p}ex`, "EX", 2000);
  await write(c, "SET", `${p}del`, "v");
  await write(c, "DEL", `${p}del`);
  await write(c, "MSET", `${p}m1`, "1", `${p}m2`, "2");
  await write(c, "MULTI");
  await write(c, "INCR", `${p}tx`);
  await write(c, "SET", `${p}tx2`, "in-multi");
  await write(c, "EXPIRE", `${p}tx2`, 5000);
  await write(c, "EXEC");
  await write(c, "SET", `${p}ren`, "r");
  await write(c, "RENAME", `${p}ren`, `${p}renamed`);
  await write(c, "COPY", `${p}renamed`, `${p}copied`, "DB", 2);
  await write(c, "SET", `${p}moved`, "m");
  await write(c, "MOVE", `${p}moved`, 4);
  await write(c, "SETBIT", `${p}bits`, 77, 1);
  await write(c, "SELECT", 7);
  await write(c, "SET", `${p}db7`, "seven");
  await write(c, "SWAPDB", 7, 8);
  await write(c, "SELECT", 3);
  await write(c, "SET", `${p}db3`, "three");
  await write(c, "SET", `${p}db3ex`, "three", "EX", 900);
  await write(c, "SELECT", 15);
  await write(c, "SET", `${p}db15`, "fifteen");
  await write(c, "SELECT", 0);
  // Collections (skipped by a build without them).
  await coll("RPUSH", `${p}list`, "a", "b", "c", "1", "2");
  await coll("LPUSH", `${p}list`, "z");
  await coll("HSET", `${p}hash`, "f1", "v1", "f2", "2");
  await coll("SADD", `${p}set`, "a", "b", "3");
  await coll("SADD", `${p}intset`, "1", "2", "3");
  await coll("ZADD", `${p}zset`, "1.5", "a", "-2", "b", "inf", "c");
  if (!skip.has("RPUSH")) await write(c, "EXPIRE", `${p}list`, 3000);
  // Let `short` expire, then touch it: the lazy expiry propagates a DEL.
  await new Promise((r) => setTimeout(r, 60));
  await write(c, "GET", `${p}short`);
}

/** The collection commands `populate` uses that the server at `c` does not have. */
export async function unsupported(c: RespClient): Promise<Set<string>> {
  const out = new Set<string>();
  for (const name of ["RPUSH", "LPUSH", "HSET", "SADD", "ZADD"]) {
    const reply = (await c.call("COMMAND", "INFO", name)) as unknown[];
    if (reply[0] === null) out.add(name);
  }
  return out;
}

/** Starts several collection keys big enough for multi-command rewrites (>64 items each). */
export async function populateBig(
  c: RespClient,
  skip: ReadonlySet<string> = new Set(),
  n = 200,
): Promise<void> {
  const items = Array.from({ length: n }, (_, i) => `item:${i}`);
  if (!skip.has("RPUSH")) await write(c, "RPUSH", "biglist", ...items);
  if (!skip.has("SADD")) await write(c, "SADD", "bigset", ...items);
  if (!skip.has("HSET")) await write(c, "HSET", "bighash", ...items.flatMap((x, i) => [x, String(i)]));
  if (!skip.has("ZADD")) await write(c, "ZADD", "bigzset", ...items.flatMap((x, i) => [String(i / 3), x]));
}

/** The collection commands a server kind (the suite's target by default) lacks, probed once. */
export async function targetUnsupported(kind: Kind = TARGET): Promise<Set<string>> {
  const s = await startServer(kind);
  const c = await s.client();
  try {
    return await unsupported(c);
  } finally {
    c.close();
    await s.kill();
  }
}
