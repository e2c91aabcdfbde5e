/**
 * Test helpers for the RDB codec: reading a whole stream (in given chunkings) into entries, and
 * normalizing values so sets and hashes compare as sets and maps.
 */

import type { RdbEntry, RdbEvent, RdbReaderOptions, RdbValue } from "../../src/index.js";
import { RdbReader } from "../../src/index.js";

export interface ReadResult {
  events: RdbEvent[];
  entries: RdbEntry[];
  reader: RdbReader;
}

/** Feeds `chunks` one by one, draining events after each; then calls end(). */
export function readAll(chunks: Buffer[] | Buffer, options: RdbReaderOptions = {}): ReadResult {
  const reader = new RdbReader(options);
  const events: RdbEvent[] = [];
  for (const chunk of Array.isArray(chunks) ? chunks : [chunks]) {
    reader.feed(chunk);
    for (let ev = reader.next(); ev !== null; ev = reader.next()) events.push(ev);
  }
  reader.end();
  const entries = events.flatMap((e) => (e.kind === "entry" ? [e.entry] : []));
  return { events, entries, reader };
}

const byFirst = (a: [string, unknown], b: [string, unknown]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** Sets sorted, hashes and zsets sorted by field/member; lists and strings as they are. */
export function normalizeValue(v: RdbValue): RdbValue {
  switch (v.type) {
    case "set":
      return { type: "set", value: [...v.value].sort() };
    case "hash":
      return { type: "hash", value: [...v.value].sort(byFirst) };
    case "zset":
      return { type: "zset", value: [...v.value].sort(byFirst) };
    default:
      return v;
  }
}

export interface SimpleEntry {
  db: number;
  key: string;
  value: RdbValue;
  expireAtMs: number;
}

/** Entries keyed by "db:key" with normalized values (attributes beyond expiry dropped). */
export function entryMap(entries: SimpleEntry[]): Map<string, SimpleEntry> {
  const m = new Map<string, SimpleEntry>();
  for (const e of entries) {
    m.set(`${e.db}:${e.key}`, {
      db: e.db,
      key: e.key,
      value: normalizeValue(e.value),
      expireAtMs: e.expireAtMs,
    });
  }
  return m;
}
