/**
 * Parses one RDB value (what follows the type byte and key, as rdbLoadObject reads it) from an
 * RdbInput, resumably: collections are read element by element, each element committed (`mark`)
 * as soon as it is complete, so a 1M-member set arriving in thousands of chunks is parsed once.
 * Encoded blobs (intset, listpack, ziplist, zipmap) and strings are single units.
 *
 * Every encoding Redis 7.0 can load is handled; the checks are those of rdbLoadObject with deep
 * sanitization (sizes, duplicates in sets, hashes and sorted sets, NaN scores), and an empty
 * collection is reported as EMPTY_KEY, which Redis skips when loading a file (rdbLoadObject's
 * `emptykey`) and RESTORE refuses.
 *
 * Callers: RdbReader and parseDumpPayload.
 */

import { RdbFormatError, RdbUnsupportedError } from "../errors.js";
import { bytesToLatin1 } from "../resp/latin1.js";
import type { RdbInput } from "./input.js";
import { decodeIntset } from "./intset.js";
import { decodeListpack } from "./listpack.js";
import {
  QUICKLIST_NODE_CONTAINER_PACKED,
  QUICKLIST_NODE_CONTAINER_PLAIN,
  RDB_TYPE_HASH,
  RDB_TYPE_HASH_LISTPACK,
  RDB_TYPE_HASH_ZIPLIST,
  RDB_TYPE_HASH_ZIPMAP,
  RDB_TYPE_LIST,
  RDB_TYPE_LIST_QUICKLIST,
  RDB_TYPE_LIST_QUICKLIST_2,
  RDB_TYPE_LIST_ZIPLIST,
  RDB_TYPE_SET,
  RDB_TYPE_SET_INTSET,
  RDB_TYPE_SET_LISTPACK,
  RDB_TYPE_STREAM_LISTPACKS,
  RDB_TYPE_STREAM_LISTPACKS_2,
  RDB_TYPE_STRING,
  RDB_TYPE_ZSET,
  RDB_TYPE_ZSET_2,
  RDB_TYPE_ZSET_ZIPLIST,
  rdbTypeName,
} from "./opcodes.js";
import { hasRepeat, PAIRWISE_MAX } from "./repeats.js";
import { parseScore } from "./scores.js";
import { StreamValueParser } from "./stream.js";
import type { RdbValue } from "./types.js";
import { decodeZiplist } from "./ziplist.js";
import { decodeZipmap } from "./zipmap.js";

/** Returned instead of a value for an empty collection. */
export const EMPTY_KEY = Symbol("EMPTY_KEY");

/** True when one of `pairs` has `first` as its first element. */
function hasFirst(pairs: readonly (readonly [string, unknown])[], first: string): boolean {
  for (let i = 0; i < pairs.length; i++) if (pairs[i][0] === first) return true;
  return false;
}

/** True for the types this codec loads (everything but modules and 7.2's STREAM_LISTPACKS_3). */
export function isSupportedValueType(type: number): boolean {
  return (type >= 0 && type <= 5) || (type >= 9 && type <= 20);
}

export class ValueParser {
  /**
   * Whether to reject duplicate set members, hash fields and zset members (Redis always does for
   * hashtable encodings, and for the packed ones with sanitize-dump-payload). A loader that builds
   * its own Set/Map can turn this off and compare sizes instead, so as not to pay for a JS Set
   * insert per member twice.
   */
  private readonly checkDuplicates: boolean;
  private type = -1;
  /** Elements (or quicklist nodes, or pairs) still to read. */
  private remaining = 0;
  private items: string[] = [];
  private pairs: [string, number][] = [];
  private hashPairs: [string, string][] = [];
  private seen: Set<string> | null = null;
  /** Duplicates of this small collection are found by searching the elements read so far. */
  private scanDuplicates = false;
  private result: RdbValue | typeof EMPTY_KEY | null = null;
  /** The stream being read (RDB_TYPE_STREAM_LISTPACKS*), or null. */
  private stream: StreamValueParser | null = null;
  /** With `reuse`, the one string value object, overwritten by each string read; else null. */
  private readonly stringValue: { type: "string"; value: string } | null;

  /**
   * `reuse`: string values come back in the same object every time (see RdbReaderOptions'
   * reuseEntryEvents), for a caller done with each value before the next begin().
   */
  constructor(checkDuplicates = true, reuse = false) {
    this.checkDuplicates = checkDuplicates;
    this.stringValue = reuse ? { type: "string", value: "" } : null;
  }

  /**
   * Starts a value of `type` at the input's position: reads a whole string or blob, or a
   * collection's length. Atomic: on NEED_MORE nothing has changed. Throws RdbUnsupportedError for
   * streams and modules, RdbFormatError for unknown types and bad data.
   */
  begin(input: RdbInput, type: number, typeOffset: number): void {
    if (!isSupportedValueType(type)) {
      if (type === 6 || type === 7 || type === 21) {
        throw new RdbUnsupportedError(
          `Cannot load a value of type ${rdbTypeName(type)}: module values and Redis 7.2 streams are not supported`,
          typeOffset,
          type,
        );
      }
      throw new RdbFormatError(`Unknown RDB value type ${type}`, typeOffset);
    }
    this.type = type;
    this.result = null;
    this.stream = null;
    switch (type) {
      case RDB_TYPE_STREAM_LISTPACKS:
      case RDB_TYPE_STREAM_LISTPACKS_2:
        this.stream = new StreamValueParser(input, type === RDB_TYPE_STREAM_LISTPACKS_2);
        return;
      case RDB_TYPE_STRING:
        if (this.stringValue !== null) {
          this.stringValue.value = input.readString();
          this.result = this.stringValue;
        } else {
          this.result = { type: "string", value: input.readString() };
        }
        return;
      case RDB_TYPE_LIST:
      case RDB_TYPE_SET:
      case RDB_TYPE_ZSET:
      case RDB_TYPE_ZSET_2:
      case RDB_TYPE_HASH:
      case RDB_TYPE_LIST_QUICKLIST:
      case RDB_TYPE_LIST_QUICKLIST_2: {
        const len = input.readLen();
        this.remaining = len;
        this.items = [];
        this.pairs = [];
        this.hashPairs = [];
        // Small collections are searched linearly for each new element (resume): an RDB of
        // many 4-member hashtable sets paid a JS Set per key, ~190 bytes of garbage each. A Set
        // for bigger ones, sized by what arrives, not by `len`.
        const checked =
          this.checkDuplicates &&
          len > 1 &&
          (type === RDB_TYPE_SET ||
            type === RDB_TYPE_ZSET ||
            type === RDB_TYPE_ZSET_2 ||
            type === RDB_TYPE_HASH);
        this.scanDuplicates = checked && len <= PAIRWISE_MAX;
        this.seen = checked && len > PAIRWISE_MAX ? new Set() : null;
        if (len === 0) this.result = EMPTY_KEY;
        return;
      }
      default:
        this.result = this.readEncoded(input, type);
    }
  }

  /**
   * Reads the remaining elements, committing each. Returns the value (or EMPTY_KEY) when complete;
   * throws NEED_MORE (rewind to `mark` and resume later) or RdbFormatError.
   */
  resume(input: RdbInput): RdbValue | typeof EMPTY_KEY {
    if (this.result !== null) {
      const done = this.result;
      this.result = null;
      return done;
    }
    switch (this.type) {
      case RDB_TYPE_STREAM_LISTPACKS:
      case RDB_TYPE_STREAM_LISTPACKS_2: {
        const stream = this.stream!.resume(input);
        this.stream = null;
        return { type: "stream", value: stream };
      }
      case RDB_TYPE_LIST:
        while (this.remaining > 0) {
          this.items.push(input.readString());
          this.remaining--;
          input.mark = input.pos;
        }
        return { type: "list", value: this.items };
      case RDB_TYPE_SET: {
        const seen = this.seen;
        while (this.remaining > 0) {
          const at = input.offset;
          const member = input.readString();
          if (seen !== null ? seen.has(member) : this.scanDuplicates && this.items.includes(member))
            throw new RdbFormatError("Duplicate set members detected", at);
          seen?.add(member);
          this.items.push(member);
          this.remaining--;
          input.mark = input.pos;
        }
        this.seen = null;
        return { type: "set", value: this.items };
      }
      case RDB_TYPE_ZSET:
      case RDB_TYPE_ZSET_2: {
        const seen = this.seen;
        const binary = this.type === RDB_TYPE_ZSET_2;
        while (this.remaining > 0) {
          const at = input.offset;
          const member = input.readString();
          const score = binary ? input.readBinaryDouble() : input.readStringDouble();
          if (Number.isNaN(score)) throw new RdbFormatError("Zset with NAN score detected", at);
          if (seen !== null ? seen.has(member) : this.scanDuplicates && hasFirst(this.pairs, member))
            throw new RdbFormatError("Duplicate zset fields detected", at);
          seen?.add(member);
          this.pairs.push([member, score]);
          this.remaining--;
          input.mark = input.pos;
        }
        this.seen = null;
        return { type: "zset", value: this.pairs };
      }
      case RDB_TYPE_HASH: {
        const seen = this.seen;
        while (this.remaining > 0) {
          const at = input.offset;
          const field = input.readString();
          const value = input.readString();
          if (seen !== null ? seen.has(field) : this.scanDuplicates && hasFirst(this.hashPairs, field))
            throw new RdbFormatError("Duplicate hash fields detected", at);
          seen?.add(field);
          this.hashPairs.push([field, value]);
          this.remaining--;
          input.mark = input.pos;
        }
        this.seen = null;
        return { type: "hash", value: this.hashPairs };
      }
      default:
        return this.resumeQuicklist(input);
    }
  }

  /** RDB_TYPE_LIST_QUICKLIST (ziplist nodes) and RDB_TYPE_LIST_QUICKLIST_2 (listpack or plain nodes). */
  private resumeQuicklist(input: RdbInput): RdbValue | typeof EMPTY_KEY {
    const v2 = this.type === RDB_TYPE_LIST_QUICKLIST_2;
    while (this.remaining > 0) {
      const at = input.offset;
      let container = QUICKLIST_NODE_CONTAINER_PACKED;
      if (v2) {
        container = input.readLen();
        if (container !== QUICKLIST_NODE_CONTAINER_PACKED && container !== QUICKLIST_NODE_CONTAINER_PLAIN) {
          throw new RdbFormatError("Quicklist integrity check failed: bad node container", at);
        }
      }
      const blobAt = input.offset;
      input.readBlob();
      const { blobBuf, blobStart, blobEnd } = input;
      if (blobEnd === blobStart)
        throw new RdbFormatError("Quicklist integrity check failed: empty node", blobAt);
      if (container === QUICKLIST_NODE_CONTAINER_PLAIN) {
        this.items.push(bytesToLatin1(blobBuf, blobStart, blobEnd));
      } else if (v2) {
        decodeListpack(blobBuf, blobStart, blobEnd, blobAt, this.items);
      } else {
        decodeZiplist(blobBuf, blobStart, blobEnd, blobAt, this.items);
      }
      // Empty packed nodes are skipped silently, as Redis does; an all-empty list is an empty key.
      this.remaining--;
      input.mark = input.pos;
    }
    return this.items.length === 0 ? EMPTY_KEY : { type: "list", value: this.items };
  }

  /** The single-blob encodings. */
  private readEncoded(input: RdbInput, type: number): RdbValue | typeof EMPTY_KEY {
    const at = input.offset;
    input.readBlob();
    const { blobBuf, blobStart, blobEnd } = input;
    const flat: string[] = [];
    switch (type) {
      case RDB_TYPE_SET_INTSET:
        decodeIntset(blobBuf, blobStart, blobEnd, at, flat);
        return { type: "set", value: flat };
      case RDB_TYPE_SET_LISTPACK:
        decodeListpack(blobBuf, blobStart, blobEnd, at, flat);
        if (flat.length === 0) return EMPTY_KEY;
        if (this.checkDuplicates && hasRepeat(flat, 0, 1))
          throw new RdbFormatError("Set listpack with duplicate members", at);
        return { type: "set", value: flat };
      case RDB_TYPE_LIST_ZIPLIST:
        decodeZiplist(blobBuf, blobStart, blobEnd, at, flat);
        return flat.length === 0 ? EMPTY_KEY : { type: "list", value: flat };
      case RDB_TYPE_HASH_ZIPMAP:
        decodeZipmap(blobBuf, blobStart, blobEnd, at, flat);
        if (this.checkDuplicates && hasRepeat(flat, 0, 2))
          throw new RdbFormatError("Hash zipmap with dup elements", at);
        return { type: "hash", value: toHashPairs(flat) };
      case RDB_TYPE_HASH_ZIPLIST:
      case RDB_TYPE_HASH_LISTPACK: {
        if (type === RDB_TYPE_HASH_ZIPLIST) decodeZiplist(blobBuf, blobStart, blobEnd, at, flat);
        else decodeListpack(blobBuf, blobStart, blobEnd, at, flat);
        if (flat.length % 2 !== 0)
          throw new RdbFormatError("Hash encoding with an odd number of entries", at);
        if (flat.length === 0) return EMPTY_KEY;
        if (this.checkDuplicates && hasRepeat(flat, 0, 2))
          throw new RdbFormatError("Hash with dup elements", at);
        return { type: "hash", value: toHashPairs(flat) };
      }
      default: {
        // RDB_TYPE_ZSET_ZIPLIST, RDB_TYPE_ZSET_LISTPACK: member, score, member, score...
        if (type === RDB_TYPE_ZSET_ZIPLIST) decodeZiplist(blobBuf, blobStart, blobEnd, at, flat);
        else decodeListpack(blobBuf, blobStart, blobEnd, at, flat);
        if (flat.length % 2 !== 0)
          throw new RdbFormatError("Zset encoding with an odd number of entries", at);
        if (flat.length === 0) return EMPTY_KEY;
        if (this.checkDuplicates && hasRepeat(flat, 0, 2))
          throw new RdbFormatError("Zset with dup elements", at);
        const pairs: [string, number][] = new Array(flat.length / 2);
        for (let i = 0; i < flat.length; i += 2) {
          const score = parseScore(flat[i + 1]);
          if (Number.isNaN(score)) throw new RdbFormatError("Zset with a bad score", at);
          pairs[i / 2] = [flat[i], score];
        }
        return { type: "zset", value: pairs };
      }
    }
  }
}

function toHashPairs(flat: string[]): [string, string][] {
  const pairs: [string, string][] = new Array(flat.length / 2);
  for (let i = 0; i < flat.length; i += 2) pairs[i / 2] = [flat[i], flat[i + 1]];
  return pairs;
}
