/**
 * Conversion between keyspace values and the RDB codec's data model (RdbValue), for snapshots,
 * RDB loading, DUMP/RESTORE and AOF rewrite. Saving only needs the iteration contracts of
 * keyspace/value.ts; loading builds each type through the factory it registers in
 * `valueFactories`, so this module does not depend on the types' internals.
 */

import type { RdbValue } from "@keyhaven/protocol";
import { HashObject } from "../keyspace/types/hash.js";
import { typeLimits } from "../keyspace/types/limits.js";
import { ListObject } from "../keyspace/types/list.js";
import { SetObject } from "../keyspace/types/set.js";
import type { StreamObject } from "../keyspace/types/stream.js";
import { ZSet } from "../keyspace/types/zset.js";
import type { HashValue, ListValue, SetValue, Value, ZSetValue } from "../keyspace/value.js";
import { streamFromRdb, streamToRdb } from "./stream-rdb.js";

/**
 * Builders of collection values from RDB contents; each type module registers its own. A set,
 * sorted set or hash builder returns null when a member repeats: loaders parse with the RDB
 * parser's own check off (RdbReaderOptions.checkDuplicates), as the builders find repeats with
 * the index they build anyway, where the parser needs a JS Set of its own for a big collection.
 */
export interface ValueFactories {
  list: ((items: string[]) => ListValue) | null;
  set: ((members: string[]) => SetValue | null) | null;
  zset: ((entries: [string, number][]) => ZSetValue | null) | null;
  hash: ((entries: [string, string][]) => HashValue | null) | null;
}

export const valueFactories: ValueFactories = {
  list: (items) => ListObject.from(items),
  // Like rdbLoadObject: start as an intset when the first member allows it; adding converts.
  set: (members) => SetObject.fromMembers(members),
  zset: (entries) => {
    const n = entries.length;
    const members: string[] = new Array(n);
    const scores: number[] = new Array(n);
    for (let i = 0; i < n; i++) {
      members[i] = entries[i][0];
      scores[i] = entries[i][1];
    }
    return ZSet.fromUnsorted(
      members,
      scores,
      typeLimits.zsetMaxListpackEntries,
      typeLimits.zsetMaxListpackValue,
    );
  },
  hash: (entries) => HashObject.fromPairs(entries),
};

/** A value as the RDB writer takes it (collections materialized as arrays). */
export function toRdbValue(value: Value): RdbValue {
  if (typeof value === "string") return { type: "string", value };
  switch (value.type) {
    case "list":
      return { type: "list", value: [...(value as ListValue).values()] };
    case "set":
      return { type: "set", value: [...(value as SetValue).members()] };
    case "zset":
      return { type: "zset", value: [...(value as ZSetValue).entries()] };
    case "hash":
      return { type: "hash", value: [...(value as HashValue).entries()] };
    case "stream":
      return { type: "stream", value: streamToRdb(value as StreamObject) };
  }
}

/** Thrown when a loaded type has no registered factory (a build without that type). */
export class UnsupportedValueTypeError extends Error {
  readonly code = "KH_UNSUPPORTED_TYPE";
}

/** Thrown for a set, sorted set or hash whose members repeat, with rdbLoadObject's message. */
export class RepeatedMemberError extends Error {
  readonly code = "KH_REPEATED_MEMBER";
}

/** A keyspace value from RDB contents. Throws RepeatedMemberError, UnsupportedValueTypeError. */
export function fromRdbValue(v: RdbValue): Value {
  switch (v.type) {
    case "string":
      return v.value;
    case "list":
      return build(valueFactories.list, "list", v.value, "");
    case "set":
      return build(valueFactories.set, "set", v.value, "Duplicate set members detected");
    case "zset":
      return build(valueFactories.zset, "zset", v.value, "Duplicate zset fields detected");
    case "hash":
      return build(valueFactories.hash, "hash", v.value, "Duplicate hash fields detected");
    case "stream":
      return streamFromRdb(v.value);
  }
}

function build<T, V>(factory: ((x: T) => V | null) | null, type: string, contents: T, repeated: string): V {
  if (factory === null) throw new UnsupportedValueTypeError(`no ${type} implementation is registered`);
  const value = factory(contents);
  if (value === null) throw new RepeatedMemberError(repeated);
  return value;
}
