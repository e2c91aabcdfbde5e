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
 *   stream  RDB_TYPE_STREAM_LISTPACKS_2, its nodes as the caller's model gives them (stream.ts)
 *
 * Callers: RdbWriter and createDumpPayload.
 */

import { RdbValueError } from "../errors.js";
import { parseCanonicalInt } from "./integers.js";
import { IntsetEncoder } from "./intset.js";
import { LISTPACK_MAX_SAFETY_SIZE, ListpackBuilder } from "./listpack.js";
import {
  QUICKLIST_NODE_CONTAINER_PACKED,
  QUICKLIST_NODE_CONTAINER_PLAIN,
  RDB_TYPE_HASH,
  RDB_TYPE_HASH_LISTPACK,
  RDB_TYPE_LIST_QUICKLIST_2,
  RDB_TYPE_SET,
  RDB_TYPE_SET_INTSET,
  RDB_TYPE_STREAM_LISTPACKS_2,
  RDB_TYPE_STRING,
  RDB_TYPE_ZSET_2,
  RDB_TYPE_ZSET_LISTPACK,
} from "./opcodes.js";
import type { RdbOutput } from "./output.js";
import { d2string } from "./scores.js";
import { type RdbStream, writeStream } from "./stream.js";
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

export function resolveEncodingOptions(opts: RdbEncodingOptions = {}): Required<RdbEncodingOptions> {
  return { ...RDB_ENCODING_DEFAULTS, ...stripUndefined(opts) };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/**
 * A value in the flat form the encoder works on, meant to be reused from key to key so that
 * feeding the writer allocates nothing: the server fills one from its keyspace values (see
 * persistence/rdb-convert.ts) where an RdbValue would need fresh arrays and tuples per key.
 * Only items[0, count) (hash: items[0, 2 * count)) are read; later slots may hold leftovers.
 */
export class RdbFlatValue {
  type: RdbValue["type"] = "string";
  /** The value of a string. */
  str = "";
  /** List elements head to tail, set members, zset members, or hash fields and values interleaved. */
  items: string[] = [];
  /** Zset scores, parallel to items. */
  scores: number[] = [];
  /** Elements (hash: fields) in use. */
  count = 0;
  /**
   * Hash and zset: when true, item i is text[bounds[2i], bounds[2i + 1]) instead of items[i], so
   * a value kept packed in one string is written without a substring per element.
   */
  ranged = false;
  text = "";
  bounds: number[] = [];
  /** The value of a stream. */
  stream: RdbStream | null = null;
}

/** Ascending (score, member) order of zset elements given as parallel arrays. */
function zsetLess(members: readonly string[], scores: readonly number[], a: number, b: number): boolean {
  if (scores[a] !== scores[b]) return scores[a] < scores[b];
  // Equal scores order by member bytes (latin1 char codes are the bytes).
  return members[a] < members[b];
}

/** Turns a ranged value's first n items into strings. */
function materialize(value: RdbFlatValue, n: number): void {
  const { items, text, bounds } = value;
  for (let i = 0; i < n; i++) items[i] = text.substring(bounds[2 * i], bounds[2 * i + 1]);
  value.ranged = false;
}

/** Whether member a sorts before member b (byte order) in a ranged value. */
function rangeLess(text: string, bounds: readonly number[], a: number, b: number): boolean {
  const as = bounds[2 * a];
  const alen = bounds[2 * a + 1] - as;
  const bs = bounds[2 * b];
  const blen = bounds[2 * b + 1] - bs;
  const n = Math.min(alen, blen);
  for (let k = 0; k < n; k++) {
    const d = text.charCodeAt(as + k) - text.charCodeAt(bs + k);
    if (d !== 0) return d < 0;
  }
  return alen < blen;
}

/**
 * Reused per writer: `prepare` decides the type (keeping what it computed on the way, e.g. the
 * intset values or the list's listpack nodes), `write` emits the body. Every buffer and array
 * here is kept from value to value, so encoding a key allocates nothing in the common cases.
 */
export class ValueEncoder {
  private readonly opts: Required<RdbEncodingOptions>;
  private value: RdbFlatValue | null = null;
  private type = -1;
  /** Holds an RdbValue given to prepare() in flat form. */
  private readonly converted = new RdbFlatValue();
  /** converted's own items and scores (list and set inputs lend theirs instead). */
  private readonly ownItems: string[] = [];
  private readonly lp = new ListpackBuilder(256);
  private readonly intset = new IntsetEncoder();
  private ints: (number | bigint)[] = [];
  /** List nodes: listpacks back to back in nodeBuf; nodeEnds[i] is where node i ends, or -1 - item index for a PLAIN node. */
  private nodeBuf: Buffer = Buffer.allocUnsafe(4096);
  private nodeBytes = 0;
  private readonly nodeEnds: number[] = [];
  private nodeCount = 0;
  /** Zset: element indexes in (score, member) order, or null when the items already are. */
  private order: number[] | null = null;

  constructor(opts: Required<RdbEncodingOptions>) {
    this.opts = opts;
  }

  /** The RDB type byte for `value`. Throws RdbValueError for values Redis cannot hold. */
  prepare(input: RdbValue | RdbFlatValue): number {
    const value = input instanceof RdbFlatValue ? input : this.flatten(input);
    this.value = value;
    switch (value.type) {
      case "string":
        this.type = RDB_TYPE_STRING;
        break;
      case "list":
        this.prepareList(value.items, value.count);
        break;
      case "set":
        this.prepareSet(value.items, value.count);
        break;
      case "zset":
        this.prepareZset(value, value.scores, value.count);
        break;
      case "hash":
        if (value.ranged) this.prepareRangedHash(value);
        else this.prepareHash(value.items, value.count);
        break;
      case "stream":
        if (value.stream === null) throw new RdbValueError("A stream value without its contents");
        this.type = RDB_TYPE_STREAM_LISTPACKS_2;
        break;
      default:
        throw new RdbValueError(`Unknown value type ${(value as { type: unknown }).type}`);
    }
    return this.type;
  }

  private flatten(v: RdbValue): RdbFlatValue {
    const f = this.converted;
    f.type = v.type;
    switch (v.type) {
      case "string":
        f.str = v.value;
        break;
      case "list":
      case "set":
        f.items = v.value;
        f.count = v.value.length;
        break;
      case "zset": {
        const pairs = v.value;
        const items = this.ownItems;
        f.items = items;
        const scores = f.scores;
        for (let i = 0; i < pairs.length; i++) {
          items[i] = pairs[i][0];
          scores[i] = pairs[i][1];
        }
        f.count = pairs.length;
        break;
      }
      case "hash": {
        const pairs = v.value;
        const items = this.ownItems;
        f.items = items;
        for (let i = 0; i < pairs.length; i++) {
          items[2 * i] = pairs[i][0];
          items[2 * i + 1] = pairs[i][1];
        }
        f.count = pairs.length;
        break;
      }
      case "stream":
        f.stream = v.value;
        break;
      default:
        f.type = (v as { type: RdbValue["type"] }).type;
    }
    return f;
  }

  private prepareList(items: readonly string[], count: number): void {
    if (count === 0) throw new RdbValueError("Cannot save an empty list");
    const { listMaxListpackSize: fill, listPackedThreshold } = this.opts;
    const lp = this.lp;
    this.nodeBytes = 0;
    this.nodeCount = 0;
    let open = false;
    for (let i = 0; i < count; i++) {
      const s = items[i];
      const sz = s.length;
      if (sz >= listPackedThreshold) {
        if (open) this.closeNode();
        open = false;
        this.nodeEnds[this.nodeCount++] = -1 - i; // a PLAIN node
        continue;
      }
      if (!open || !nodeAllowsInsert(lp.bytes, lp.count, fill, sz)) {
        if (open) this.closeNode();
        lp.reset();
        open = true;
      }
      lp.append(s);
    }
    if (open) this.closeNode();
    this.type = RDB_TYPE_LIST_QUICKLIST_2;
  }

  private closeNode(): void {
    const size = this.lp.seal();
    const need = this.nodeBytes + size;
    if (need > this.nodeBuf.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.nodeBuf.length * 2));
      this.nodeBuf.copy(grown, 0, 0, this.nodeBytes);
      this.nodeBuf = grown;
    }
    this.lp.buffer.copy(this.nodeBuf, this.nodeBytes, 0, size);
    this.nodeBytes = need;
    this.nodeEnds[this.nodeCount++] = need;
  }

  private prepareSet(members: readonly string[], count: number): void {
    if (count === 0) throw new RdbValueError("Cannot save an empty set");
    this.type = RDB_TYPE_SET;
    if (count > this.opts.setMaxIntsetEntries) return;
    const ints = this.ints;
    for (let i = 0; i < count; i++) {
      const v = parseCanonicalInt(members[i]);
      if (v === null) return;
      ints[i] = v;
    }
    this.type = RDB_TYPE_SET_INTSET;
  }

  private prepareZset(value: RdbFlatValue, scores: readonly number[], count: number): void {
    if (count === 0) throw new RdbValueError("Cannot save an empty sorted set");
    let listpack = count <= this.opts.zsetMaxListpackEntries;
    let total = 0;
    let sorted = true;
    const members = value.items;
    const ranged = value.ranged;
    const bounds = value.bounds;
    for (let i = 0; i < count; i++) {
      if (Number.isNaN(scores[i])) throw new RdbValueError("Cannot save a NaN score");
      const len = ranged ? bounds[2 * i + 1] - bounds[2 * i] : members[i].length;
      if (len > this.opts.zsetMaxListpackValue) listpack = false;
      total += len;
      if (i > 0 && sorted) {
        sorted = ranged
          ? scores[i - 1] < scores[i] ||
            (scores[i - 1] === scores[i] && rangeLess(value.text, bounds, i - 1, i))
          : !zsetLess(members, scores, i, i - 1);
      }
    }
    if (total >= LISTPACK_MAX_SAFETY_SIZE) listpack = false;
    this.order = null;
    if (!sorted) {
      // Not how the server keeps sets (they are ordered already): sort positions on a copy.
      if (ranged) materialize(value, count);
      const order = Array.from({ length: count }, (_, i) => i);
      order.sort((a, b) => (zsetLess(members, scores, a, b) ? -1 : zsetLess(members, scores, b, a) ? 1 : 0));
      this.order = order;
    }
    this.type = listpack ? RDB_TYPE_ZSET_LISTPACK : RDB_TYPE_ZSET_2;
    // Ranges are only written into listpacks (thresholds lowered since the set was built).
    if (!listpack && value.ranged) materialize(value, count);
  }

  private prepareHash(items: readonly string[], count: number): void {
    if (count === 0) throw new RdbValueError("Cannot save an empty hash");
    const max = this.opts.hashMaxListpackValue;
    let listpack = count <= this.opts.hashMaxListpackEntries;
    let total = 0;
    for (let i = 0; i < 2 * count; i++) {
      const len = items[i].length;
      if (len > max) {
        listpack = false;
        break;
      }
      total += len;
    }
    if (total >= LISTPACK_MAX_SAFETY_SIZE) listpack = false;
    this.type = listpack ? RDB_TYPE_HASH_LISTPACK : RDB_TYPE_HASH;
  }

  private prepareRangedHash(value: RdbFlatValue): void {
    const count = value.count;
    if (count === 0) throw new RdbValueError("Cannot save an empty hash");
    const max = this.opts.hashMaxListpackValue;
    const bounds = value.bounds;
    let listpack = count <= this.opts.hashMaxListpackEntries;
    let total = 0;
    for (let i = 0; i < 2 * count && listpack; i++) {
      const len = bounds[2 * i + 1] - bounds[2 * i];
      if (len > max) listpack = false;
      total += len;
    }
    if (total >= LISTPACK_MAX_SAFETY_SIZE) listpack = false;
    this.type = listpack ? RDB_TYPE_HASH_LISTPACK : RDB_TYPE_HASH;
    if (listpack) return;
    // Saved as a hash table (thresholds lowered since the hash was built): strings after all.
    materialize(value, 2 * count);
  }

  /** Writes the body of the value given to the last prepare(). */
  write(out: RdbOutput): void {
    const value = this.value;
    if (value === null) throw new RdbValueError("ValueEncoder.write() without prepare()");
    const compress = this.opts.compression;
    const items = value.items;
    const count = value.count;
    switch (this.type) {
      case RDB_TYPE_STRING:
        out.writeString(value.str, compress);
        break;
      case RDB_TYPE_LIST_QUICKLIST_2: {
        out.writeLen(this.nodeCount);
        let start = 0;
        for (let k = 0; k < this.nodeCount; k++) {
          const end = this.nodeEnds[k];
          if (end < 0) {
            out.writeLen(QUICKLIST_NODE_CONTAINER_PLAIN);
            out.writeBlob(Buffer.from(items[-1 - end], "latin1"), compress);
          } else {
            out.writeLen(QUICKLIST_NODE_CONTAINER_PACKED);
            out.writeBlob(this.nodeBuf, compress, start, end);
            start = end;
          }
        }
        break;
      }
      case RDB_TYPE_SET_INTSET: {
        const size = this.intset.encode(this.ints, count);
        out.writeBlob(this.intset.buffer, compress, 0, size);
        break;
      }
      case RDB_TYPE_SET:
        out.writeLen(count);
        for (let i = 0; i < count; i++) out.writeString(items[i], compress);
        break;
      case RDB_TYPE_ZSET_LISTPACK: {
        const lp = this.lp;
        const order = this.order;
        lp.reset();
        for (let k = 0; k < count; k++) {
          const i = order === null ? k : order[k];
          if (value.ranged) lp.appendRange(value.text, value.bounds[2 * i], value.bounds[2 * i + 1]);
          else lp.append(items[i]);
          const d = value.scores[i];
          // What append(d2string(d)) stores, without the string: an integral score is an integer entry.
          if (d > -4503599627370495 && d < 4503599627370496 && Number.isInteger(d))
            lp.appendInt(d === 0 ? 0 : d);
          else lp.append(d2string(d));
        }
        out.writeBlob(lp.buffer, compress, 0, lp.seal());
        break;
      }
      case RDB_TYPE_ZSET_2: {
        // From the highest score down, as Redis walks its skiplist from the tail.
        const order = this.order;
        out.writeLen(count);
        for (let k = count - 1; k >= 0; k--) {
          const i = order === null ? k : order[k];
          out.writeString(items[i], compress);
          out.writeDouble(value.scores[i]);
        }
        break;
      }
      case RDB_TYPE_HASH_LISTPACK: {
        const lp = this.lp;
        lp.reset();
        if (value.ranged) {
          const { text, bounds } = value;
          for (let i = 0; i < 2 * count; i++) lp.appendRange(text, bounds[2 * i], bounds[2 * i + 1]);
        } else {
          for (let i = 0; i < 2 * count; i++) lp.append(items[i]);
        }
        out.writeBlob(lp.buffer, compress, 0, lp.seal());
        break;
      }
      case RDB_TYPE_HASH:
        out.writeLen(count);
        for (let i = 0; i < 2 * count; i++) out.writeString(items[i], compress);
        break;
      case RDB_TYPE_STREAM_LISTPACKS_2:
        writeStream(out, value.stream!, this.lp, compress);
        value.stream = null;
        break;
    }
    this.order = null;
    this.value = null;
    // Do not keep the caller's array alive.
    if (value === this.converted) value.items = this.ownItems;
  }
}
