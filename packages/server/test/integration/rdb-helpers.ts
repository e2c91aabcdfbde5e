/**
 * Helpers shared by the rdb-*.test.ts suites: building datasets with pipelined commands, a model
 * of the dataset to compare files and servers against, reading an RDB file back with the protocol
 * package's RdbReader, and polling INFO persistence.
 *
 * Collections (lists, hashes, sets, sorted sets) join the datasets once their types are merged and
 * registered for RDB loading (`collectionsAvailable()`); until then the suites use strings only and
 * the collection cases are skipped with that reason.
 */

import { readFileSync } from "node:fs";
import { encodeCommand, RdbReader, type RdbValue, RespError } from "@keyhaven/protocol";
import { Config } from "../../src/config/config.js";
import { createServer } from "../../src/index.js";
import { valueFactories } from "../../src/persistence/rdb-convert.js";
import { type RespClient, sleep } from "../helpers.js";

/** True once every collection type can be loaded from RDB (the types branch is merged and wired). */
export function collectionsAvailable(): boolean {
  // Registration may happen when the type modules load or when a server is created: do both.
  createServer(new Config(), { dataNode: false });
  return (
    valueFactories.list !== null &&
    valueFactories.set !== null &&
    valueFactories.zset !== null &&
    valueFactories.hash !== null
  );
}

export const COLLECTIONS_SKIP_REASON =
  "collection types are not registered for RDB loading yet (persistence/rdb-convert.ts valueFactories)";

/** One key of a model dataset. `expireAt` is absolute ms, -1 for none. */
export interface ModelEntry {
  value: RdbValue;
  expireAt: number;
}
/** Databases by number, keys by name. */
export type Model = Map<number, Map<string, ModelEntry>>;

export function modelSet(model: Model, db: number, key: string, entry: ModelEntry): void {
  let m = model.get(db);
  if (m === undefined) {
    m = new Map();
    model.set(db, m);
  }
  m.set(key, entry);
}

/** The commands that create `entry` at `key` (in the currently selected database). */
export function commandsFor(key: string, e: ModelEntry): string[][] {
  const v = e.value;
  const out: string[][] = [];
  switch (v.type) {
    case "string":
      out.push(["SET", key, v.value]);
      break;
    case "list":
      out.push(["RPUSH", key, ...v.value]);
      break;
    case "set":
      out.push(["SADD", key, ...v.value]);
      break;
    case "zset":
      out.push(["ZADD", key, ...v.value.flatMap(([m, s]) => [String(s), m])]);
      break;
    case "hash":
      out.push(["HSET", key, ...v.value.flat()]);
      break;
  }
  if (e.expireAt >= 0) out.push(["PEXPIREAT", key, String(e.expireAt)]);
  return out;
}

/**
 * A deterministic mixed dataset of `n` keys over databases 0..2: short and long (compressible)
 * strings, integers, binary bytes, some keys with a TTL an hour away; with `collections`, also
 * small and large lists, sets (intset and hashtable), sorted sets and hashes.
 */
export function buildModel(n: number, collections: boolean, seed = 1): Model {
  const model: Model = new Map();
  const ttlBase = Date.now() + 3_600_000;
  let x = seed;
  const rnd = () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x;
  };
  for (let i = 0; i < n; i++) {
    const db = i % 10 === 0 ? 2 : i % 3 === 0 ? 1 : 0;
    const key = `key:${i}`;
    const kind = collections ? i % 12 : i % 6;
    let value: RdbValue;
    switch (kind) {
      case 0:
        value = { type: "string", value: String(rnd()) };
        break;
      case 1:
        value = { type: "string", value: `value-${i}-${"abc".repeat(rnd() % 40)}` };
        break;
      case 2:
        value = {
          type: "string",
          value: String.fromCharCode(...Array.from({ length: 12 }, () => rnd() % 256)),
        };
        break;
      case 3:
        value = { type: "string", value: "-".repeat(200 + (rnd() % 300)) };
        break;
      case 4:
        value = { type: "string", value: String(-(rnd() % 100000)) };
        break;
      case 5:
        value = { type: "string", value: `v${i}` };
        break;
      case 6:
        value = { type: "list", value: Array.from({ length: 1 + (rnd() % 8) }, (_, j) => `item${j}`) };
        break;
      case 7:
        value = { type: "set", value: Array.from({ length: 1 + (rnd() % 8) }, (_, j) => String(j * 7)) };
        break;
      case 8:
        value = { type: "set", value: Array.from({ length: 1 + (rnd() % 8) }, (_, j) => `m${j}`) };
        break;
      case 9:
        value = {
          type: "zset",
          value: Array.from({ length: 1 + (rnd() % 8) }, (_, j) => [`z${j}`, j * 1.5]),
        };
        break;
      case 10:
        value = {
          type: "hash",
          value: Array.from({ length: 1 + (rnd() % 8) }, (_, j) => [`f${j}`, `v${j}`]),
        };
        break;
      default:
        // A few big ones (hashtable / several quicklist nodes), the rest small.
        value =
          i % 1200 === 11
            ? { type: "list", value: Array.from({ length: 700 }, (_, j) => `long-list-element-${j}`) }
            : i % 1200 === 611
              ? { type: "hash", value: Array.from({ length: 600 }, (_, j) => [`field${j}`, `value${j}`]) }
              : i % 1200 === 1199
                ? { type: "zset", value: Array.from({ length: 200 }, (_, j) => [`member${j}`, j / 3]) }
                : { type: "set", value: Array.from({ length: 5 }, (_, j) => `s${i}-${j}`) };
    }
    modelSet(model, db, key, { value, expireAt: i % 7 === 0 ? ttlBase + i : -1 });
  }
  return model;
}

/** Sends many commands pipelined in batches and checks every reply is not an error. */
export async function pipeline(c: RespClient, commands: string[][], batch = 2000): Promise<unknown[]> {
  const replies: unknown[] = [];
  for (let i = 0; i < commands.length; i += batch) {
    const part = commands.slice(i, i + batch);
    const bytes = Buffer.concat(part.map((cmd) => encodeCommand(cmd)));
    const got = await c.raw(bytes, part.length);
    for (let j = 0; j < got.length; j++) {
      if (got[j] instanceof RespError) {
        throw new Error(`${part[j].join(" ").slice(0, 80)} -> ${(got[j] as RespError).message}`);
      }
    }
    replies.push(...got);
  }
  return replies;
}

/** Creates every key of `model` on the server (then SELECTs db 0 again). */
export async function loadModel(c: RespClient, model: Model): Promise<void> {
  const commands: string[][] = [];
  for (const [db, keys] of model) {
    commands.push(["SELECT", String(db)]);
    for (const [key, e] of keys) commands.push(...commandsFor(key, e));
  }
  commands.push(["SELECT", "0"]);
  await pipeline(c, commands);
}

/** A copy of a model, so a test can mutate its expectations. */
export function cloneModel(model: Model): Model {
  const out: Model = new Map();
  for (const [db, keys] of model) out.set(db, new Map([...keys].map(([k, e]) => [k, { ...e }])));
  return out;
}

/** Reads an RDB file with the protocol reader into a model (expired keys included, as saved). */
export function readRdbFile(path: string): { model: Model; aux: Map<string, string> } {
  const reader = new RdbReader();
  const model: Model = new Map();
  const aux = new Map<string, string>();
  const bytes = readFileSync(path);
  for (let off = 0; off < bytes.length; off += 65536) {
    reader.feed(bytes.subarray(off, off + 65536));
    for (let ev = reader.next(); ev !== null; ev = reader.next()) {
      if (ev.kind === "aux") aux.set(ev.name, ev.value);
      if (ev.kind !== "entry") continue;
      const e = ev.entry;
      if (model.get(e.db)?.has(e.key)) throw new Error(`key '${e.key}' saved twice in db ${e.db}`);
      modelSet(model, e.db, e.key, { value: e.value, expireAt: e.expireAtMs });
    }
  }
  reader.end();
  return { model, aux };
}

/** A value in a canonical form: sets and hashes sorted (their order is not part of the data). */
function canonical(v: RdbValue): unknown {
  switch (v.type) {
    case "set":
      return { type: "set", value: [...v.value].sort() };
    case "hash":
      return { type: "hash", value: [...v.value].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)) };
    case "zset":
      return {
        type: "zset",
        value: [...v.value].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
      };
    default:
      return v;
  }
}

/** Both models in a canonical form that `toEqual` compares exactly (empty databases dropped). */
export function canonicalModel(model: Model): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [db, keys] of [...model].sort((a, b) => a[0] - b[0])) {
    if (keys.size === 0) continue;
    const d: Record<string, unknown> = {};
    for (const k of [...keys.keys()].sort()) {
      const e = keys.get(k)!;
      d[k] = { value: canonical(e.value), expireAt: e.expireAt };
    }
    out[`db${db}`] = d;
  }
  return out;
}

/** INFO persistence as a field map. */
export async function persistenceInfo(c: RespClient): Promise<Map<string, string>> {
  const text = String(await c.call("INFO", "persistence"));
  const m = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0 && !line.startsWith("#")) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

/** The ordered field names of an INFO section's text. */
export function infoFieldNames(text: string): string[] {
  return text
    .split("\r\n")
    .filter((l) => l.includes(":") && !l.startsWith("#"))
    .map((l) => l.slice(0, l.indexOf(":")));
}

/** Waits (bounded) until no BGSAVE is in progress; returns the final INFO persistence. */
export async function waitBgsaveDone(c: RespClient, timeoutMs = 60_000): Promise<Map<string, string>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await persistenceInfo(c);
    if (info.get("rdb_bgsave_in_progress") === "0") return info;
    if (Date.now() > deadline) throw new Error("BGSAVE did not finish in time");
    await sleep(50);
  }
}

/** Waits (bounded) until the server answers PING with PONG (not -LOADING). */
export async function waitLoaded(c: RespClient, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await c.call("PING");
    if (r === "PONG") return;
    if (Date.now() > deadline) throw new Error(`server still loading: ${String(r)}`);
    await sleep(25);
  }
}
