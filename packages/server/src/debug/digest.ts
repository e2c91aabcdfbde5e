/**
 * DEBUG DIGEST and DEBUG DIGEST-VALUE with Redis's exact algorithm (debug.c
 * computeDatasetDigest / xorObjectDigest), so a Keyhaven server and a real Redis holding the same
 * data print the same digest: replication and persistence tests compare them directly.
 *
 * Per key: digest = mix(key), mix(type), then the value (strings mixed; list elements mixed in
 * order; set members, hash fields+values and zset members+scores XORed, order-free; stream
 * entries mixed in order), then "!!expire!!" XORed when the key has a TTL. The dataset digest
 * mixes each non-empty db's number and XORs its keys' digests. An empty dataset is 40 zeros.
 */

import { createHash } from "node:crypto";
import { formatDouble17g } from "@keyhaven/protocol";
import type { Db } from "../keyspace/db.js";
import { StreamObject } from "../keyspace/types/stream.js";
import { StreamCursor } from "../keyspace/types/stream-cursor.js";
import { U64_MAX } from "../keyspace/types/stream-id.js";
import type { Entry, HashValue, ListValue, SetValue, Value, ZSetValue } from "../keyspace/value.js";

const TYPE_CODES = { string: 0, list: 1, set: 2, zset: 3, hash: 4, stream: 6 } as const;

function sha1(data: Buffer | string): Buffer {
  return createHash("sha1")
    .update(typeof data === "string" ? Buffer.from(data, "latin1") : data)
    .digest();
}

function xorDigest(digest: Buffer, data: Buffer | string): void {
  const h = sha1(data);
  for (let i = 0; i < 20; i++) digest[i] ^= h[i];
}

function mixDigest(digest: Buffer, data: Buffer | string): void {
  xorDigest(digest, data);
  sha1(digest).copy(digest);
}

function uint32be(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** xorObjectDigest: mixes a value (and its TTL flag) into `digest`. */
export function valueDigest(digest: Buffer, value: Value, hasExpire: boolean): void {
  const type = typeof value === "string" ? "string" : value.type;
  mixDigest(digest, uint32be(TYPE_CODES[type]));
  if (typeof value === "string") {
    mixDigest(digest, value);
  } else if (value.type === "list") {
    for (const v of (value as ListValue).values()) mixDigest(digest, v);
  } else if (value.type === "set") {
    for (const m of (value as SetValue).members()) xorDigest(digest, m);
  } else if (value.type === "zset") {
    for (const [member, score] of (value as ZSetValue).entries()) {
      const ele = Buffer.alloc(20);
      mixDigest(ele, member);
      mixDigest(ele, formatDouble17g(score));
      xorDigest(digest, ele);
    }
  } else if (value.type === "hash") {
    for (const [field, v] of (value as HashValue).entries()) {
      const ele = Buffer.alloc(20);
      mixDigest(ele, field);
      mixDigest(ele, v);
      xorDigest(digest, ele);
    }
  } else if (value instanceof StreamObject) {
    // Entries in order: "ms.seq", then each field and value, all mixed (groups are not digested).
    const cur = new StreamCursor();
    cur.seek(value, 0, 0, U64_MAX, U64_MAX, false);
    while (cur.next()) {
      mixDigest(digest, `${cur.ms}.${cur.seq}`);
      for (const item of cur.items) mixDigest(digest, item);
    }
  }
  if (hasExpire) xorDigest(digest, "!!expire!!");
}

function entryDigest(entry: Entry): Buffer {
  const digest = Buffer.alloc(20);
  mixDigest(digest, entry.key);
  valueDigest(digest, entry.value, entry.expireAt >= 0);
  return digest;
}

/** computeDatasetDigest over every database, as 40 hex chars. */
export function datasetDigest(dbs: readonly Db[]): string {
  const final = Buffer.alloc(20);
  for (const db of dbs) {
    if (db.size === 0) continue;
    mixDigest(final, uint32be(db.id));
    for (const entry of db.entries()) xorDigest(final, entryDigest(entry));
  }
  return final.toString("hex");
}

/** DEBUG DIGEST-VALUE of one key's value (40 zeros for a missing key). */
export function keyValueDigest(entry: Entry | undefined): string {
  const digest = Buffer.alloc(20);
  if (entry !== undefined) valueDigest(digest, entry.value, entry.expireAt >= 0);
  return digest.toString("hex");
}
