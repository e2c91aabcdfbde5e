/**
 * Chooses the RDB type Redis 7.0 would save a value with, and writes the value's body
 * (rdbSaveObjectType + rdbSaveObject). The choice follows the encodings Redis keeps in memory for
 * data built by the usual commands under the given thresholds:
 *
 *   string  RDB_TYPE_STRING (integer / LZF / raw, see RdbOutput.writeString)
 *   list    RDB_TYPE_LIST_QUICKLIST_2: listpack nodes filled as quicklistPushTail fills them,
 *           PLAIN nodes for elements of at least listPackedThreshold bytes
 *   set     RDB_TYPE_SET_INTSET when every member is canonical int64 text and count <=
 *           set-max-intset-entries, else RDB_TYPE_SET
 *   zset    RDB_TYPE_ZSET_LISTPACK (sorted by score, then member) when count and member sizes are
 *           within zset-max-listpack-*, else RDB_TYPE_ZSET_2 (from the highest score down, as
 *           Redis walks its skiplist from the tail)
 *   hash    RDB_TYPE_HASH_LISTPACK within hash-max-listpack-* (512 entries / 64 bytes by default,
 *           as CONFIG GET shows on Redis 7.0), else RDB_TYPE_HASH
 *
 * Callers: RdbWriter and createDumpPayload.
 */

import { RdbValueError } from "../errors.js";
import { parseCanonicalInt } from "./integers.js";
import { encodeIntset } from "./intset.js";
import { LISTPACK_MAX_SAFETY_SIZE, ListpackBuilder } from "./listpack.js";
import {
  QUICKLIST_NODE_CONTAINER_PACKED,
  QUICKLIST_NODE_CONTAINER_PLAIN,
  RDB_TYPE_HASH,
  RDB_TYPE_HASH_LISTPACK,
  RDB_TYPE_LIST_QUICKLIST_2,
  RDB_TYPE_SET,
  RDB_TYPE_SET_INTSET,
  RDB_TYPE_STRING,
  RDB_TYPE_ZSET_2,
  RDB_TYPE_ZSET_LISTPACK,
} from "./opcodes.js";
import type { RdbOutput } from "./output.js";
import { d2string } from "./scores.js";
import type { RdbEncodingOptions, RdbValue } from "./types.js";
import { RDB_ENCODING_DEFAULTS } from "./types.js";

/** quicklist.c optimization_level: node byte limits for list-max-listpack-size -1 .. -5. */
const OPTIMIZATION_LEVEL = [4096, 8192, 16384, 32768, 65536];
/** quicklist.c SIZE_SAFETY_LIMIT: positive fills still keep nodes under 8 KB. */
const SIZE_SAFETY_LIMIT = 8192;
/** quicklist.c SIZE_ESTIMATE_OVERHEAD: per-entry overhead assumed by _quicklistNodeAllowInsert. */
const SIZE_ESTIMATE_OVERHEAD = 8;

/** _quicklistNodeAllowInsert for a listpack node of `nodeBytes` bytes and `count` entries. */
function nodeAllowsInsert(nodeBytes: number, count: number, fill: number, sz: number): boolean {
  const newSz = nodeBytes + sz + SIZE_ESTIMATE_OVERHEAD;
  if (fill < 0) {
    const offset = -fill - 1;
    if (offset < OPTIMIZATION_LEVEL.length && newSz <= OPTIMIZATION_LEVEL[offset]) return true;
  }
  if (newSz > SIZE_SAFETY_LIMIT) return false;
  return count < fill;
}

function compareZsetOrder(a: [string, number], b: [string, number]): number {
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  // Equal scores order by member bytes (latin1 char codes are the bytes).
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

export function resolveEncodingOptions(opts: RdbEncodingOptions = {}): Required<RdbEncodingOptions> {
  return { ...RDB_ENCODING_DEFAULTS, ...stripUndefined(opts) };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/**
 * Reused per writer: `prepare` decides the type (keeping what it computed on the way, e.g. the
 * intset values or the listpack), `write` emits the body.
 */
export class ValueEncoder {
  private readonly opts: Required<RdbEncodingOptions>;
  private value: RdbValue | null = null;
  private type = -1;
  private ints: (number | bigint)[] = [];
  private nodes: (Buffer | string)[] = [];
  private sorted: [string, number][] = [];

  constructor(opts: Required<RdbEncodingOptions>) {
    this.opts = opts;
  }

  /** The RDB type byte for `value`. Throws RdbValueError for values Redis cannot hold. */
  prepare(value: RdbValue): number {
    this.value = value;
    switch (value.type) {
      case "string":
        this.type = RDB_TYPE_STRING;
        break;
      case "list":
        this.prepareList(value.value);
        break;
      case "set":
        this.prepareSet(value.value);
        break;
      case "zset":
        this.prepareZset(value.value);
        break;
      case "hash":
        this.prepareHash(value.value);
        break;
      default:
        throw new RdbValueError(`Unknown value type ${(value as { type: unknown }).type}`);
    }
    return this.type;
  }

  private prepareList(items: string[]): void {
    if (items.length === 0) throw new RdbValueError("Cannot save an empty list");
    const { listMaxListpackSize: fill, listPackedThreshold } = this.opts;
    const nodes: (Buffer | string)[] = [];
    let node: ListpackBuilder | null = null;
    for (const s of items) {
      const sz = s.length;
      if (sz >= listPackedThreshold) {
        if (node !== null) nodes.push(node.finish());
        node = null;
        nodes.push(s); // a PLAIN node
        continue;
      }
      if (node === null || !nodeAllowsInsert(node.bytes, node.count, fill, sz)) {
        if (node !== null) nodes.push(node.finish());
        node = new ListpackBuilder(Math.min(8192, 64 + sz * 2));
      }
      node.append(s);
    }
    if (node !== null) nodes.push(node.finish());
    this.nodes = nodes;
    this.type = RDB_TYPE_LIST_QUICKLIST_2;
  }

  private prepareSet(members: string[]): void {
    if (members.length === 0) throw new RdbValueError("Cannot save an empty set");
    this.type = RDB_TYPE_SET;
    if (members.length > this.opts.setMaxIntsetEntries) return;
    const ints: (number | bigint)[] = new Array(members.length);
    for (let i = 0; i < members.length; i++) {
      const v = parseCanonicalInt(members[i]);
      if (v === null) return;
      ints[i] = v;
    }
    this.ints = ints;
    this.type = RDB_TYPE_SET_INTSET;
  }

  private prepareZset(pairs: [string, number][]): void {
    if (pairs.length === 0) throw new RdbValueError("Cannot save an empty sorted set");
    let listpack = pairs.length <= this.opts.zsetMaxListpackEntries;
    let total = 0;
    for (const [member, score] of pairs) {
      if (Number.isNaN(score)) throw new RdbValueError("Cannot save a NaN score");
      if (member.length > this.opts.zsetMaxListpackValue) listpack = false;
      total += member.length;
    }
    if (total >= LISTPACK_MAX_SAFETY_SIZE) listpack = false;
    this.sorted = pairs.slice().sort(compareZsetOrder);
    this.type = listpack ? RDB_TYPE_ZSET_LISTPACK : RDB_TYPE_ZSET_2;
  }

  private prepareHash(pairs: [string, string][]): void {
    if (pairs.length === 0) throw new RdbValueError("Cannot save an empty hash");
    const max = this.opts.hashMaxListpackValue;
    let listpack = pairs.length <= this.opts.hashMaxListpackEntries;
    let total = 0;
    for (const [field, value] of pairs) {
      if (field.length > max || value.length > max) {
        listpack = false;
        break;
      }
      total += field.length + value.length;
    }
    if (total >= LISTPACK_MAX_SAFETY_SIZE) listpack = false;
    this.type = listpack ? RDB_TYPE_HASH_LISTPACK : RDB_TYPE_HASH;
  }

  /** Writes the body of the value given to the last prepare(). */
  write(out: RdbOutput): void {
    const value = this.value;
    if (value === null) throw new RdbValueError("ValueEncoder.write() without prepare()");
    const compress = this.opts.compression;
    switch (this.type) {
      case RDB_TYPE_STRING:
        out.writeString(value.value as string, compress);
        break;
      case RDB_TYPE_LIST_QUICKLIST_2:
        out.writeLen(this.nodes.length);
        for (const node of this.nodes) {
          if (typeof node === "string") {
            out.writeLen(QUICKLIST_NODE_CONTAINER_PLAIN);
            out.writeBlob(Buffer.from(node, "latin1"), compress);
          } else {
            out.writeLen(QUICKLIST_NODE_CONTAINER_PACKED);
            out.writeBlob(node, compress);
          }
        }
        this.nodes = [];
        break;
      case RDB_TYPE_SET_INTSET:
        out.writeBlob(encodeIntset(this.ints), compress);
        this.ints = [];
        break;
      case RDB_TYPE_SET: {
        const members = value.value as string[];
        out.writeLen(members.length);
        for (const m of members) out.writeString(m, compress);
        break;
      }
      case RDB_TYPE_ZSET_LISTPACK: {
        const lp = new ListpackBuilder(64 + this.sorted.length * 16);
        for (const [member, score] of this.sorted) {
          lp.append(member);
          lp.append(d2string(score));
        }
        out.writeBlob(lp.finish(), compress);
        this.sorted = [];
        break;
      }
      case RDB_TYPE_ZSET_2: {
        const sorted = this.sorted;
        out.writeLen(sorted.length);
        for (let i = sorted.length - 1; i >= 0; i--) {
          out.writeString(sorted[i][0], compress);
          out.writeDouble(sorted[i][1]);
        }
        this.sorted = [];
        break;
      }
      case RDB_TYPE_HASH_LISTPACK: {
        const pairs = value.value as [string, string][];
        const lp = new ListpackBuilder(64 + pairs.length * 16);
        for (const [field, v] of pairs) {
          lp.append(field);
          lp.append(v);
        }
        out.writeBlob(lp.finish(), compress);
        break;
      }
      case RDB_TYPE_HASH: {
        const pairs = value.value as [string, string][];
        out.writeLen(pairs.length);
        for (const [field, v] of pairs) {
          out.writeString(field, compress);
          out.writeString(v, compress);
        }
        break;
      }
    }
    this.value = null;
  }
}
