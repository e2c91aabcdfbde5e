/**
 * Feeds keyspace values to the RDB writer (snapshots, SAVE) through one reused RdbFlatValue,
 * read with the types' positional accessors: no arrays, tuples or iterators per key, which
 * toRdbValue's copies cost (about 1 KB of garbage per key: frequent GC pauses during BGSAVE).
 *
 * Invariant: what of() returns is valid only until the next call, and its strings may share
 * storage with the value (hash listpack slices): write it right away. A pre-image kept for later
 * needs toRdbValue.
 */

import { RdbFlatValue } from "@keyhaven/protocol";
import { HashObject } from "../keyspace/types/hash.js";
import { ListObject } from "../keyspace/types/list.js";
import { SetObject } from "../keyspace/types/set.js";
import { StreamObject } from "../keyspace/types/stream.js";
import { ZSet } from "../keyspace/types/zset.js";
import type { Value } from "../keyspace/value.js";
import { toRdbValue } from "./rdb-convert.js";
import { streamToRdb } from "./stream-rdb.js";

export class RdbValueSource {
  private readonly flat = new RdbFlatValue();

  of(value: Value): RdbFlatValue {
    const f = this.flat;
    if (typeof value === "string") {
      f.type = "string";
      f.str = value;
      return f;
    }
    if (value instanceof StreamObject) {
      f.type = "stream";
      f.stream = streamToRdb(value);
      return f;
    }
    const items = f.items;
    let n = 0;
    f.type = value.type;
    f.ranged = false;
    if (value instanceof ListObject) {
      n = value.length;
      for (let i = 0; i < n; i++) items[i] = value.get(i);
    } else if (value instanceof SetObject) {
      n = value.size();
      for (let i = 0; i < n; i++) items[i] = value.memberAt(i);
    } else if (value instanceof HashObject) {
      n = value.size();
      const packed = value.packedBounds(f.bounds);
      if (packed !== null) {
        f.ranged = true;
        f.text = packed;
      } else {
        for (let i = 0; i < n; i++) {
          items[2 * i] = value.fieldAt(i);
          items[2 * i + 1] = value.valueAt(i);
        }
      }
    } else if (value instanceof ZSet) {
      n = value.size();
      const packed = value.packedBounds(f.bounds, f.scores);
      if (packed !== null) {
        f.ranged = true;
        f.text = packed;
      } else {
        value.readInto(items, f.scores);
      }
    } else {
      // Another implementation of the iteration contracts: copy through the generic form.
      return this.copy(toRdbValue(value));
    }
    f.count = n;
    return f;
  }

  private copy(v: ReturnType<typeof toRdbValue>): RdbFlatValue {
    const f = this.flat;
    f.type = v.type;
    f.ranged = false;
    switch (v.type) {
      case "string":
        f.str = v.value;
        break;
      case "list":
      case "set":
        for (let i = 0; i < v.value.length; i++) f.items[i] = v.value[i];
        break;
      case "zset":
        for (let i = 0; i < v.value.length; i++) {
          f.items[i] = v.value[i][0];
          f.scores[i] = v.value[i][1];
        }
        break;
      case "hash":
        for (let i = 0; i < v.value.length; i++) {
          f.items[2 * i] = v.value[i][0];
          f.items[2 * i + 1] = v.value[i][1];
        }
        break;
      case "stream":
        f.stream = v.value;
        return f;
    }
    if (v.type !== "string") f.count = v.value.length;
    return f;
  }
}
