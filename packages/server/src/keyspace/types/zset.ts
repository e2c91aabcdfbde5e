/**
 * The sorted set value (Redis's OBJ_ZSET, t_zset.c): members with double scores, ordered by
 * (score, member) with members compared as memcmp. Two encodings, as in Redis 7.0:
 *
 * - "listpack": every pair packed into one string (zset-pack.ts), scanned linearly; used while
 *   the set has at most zset-max-listpack-entries members, none longer than
 *   zset-max-listpack-value bytes;
 * - "skiplist": an order-statistic B+tree plus a member->slot Map (zset-tree.ts), O(log n)
 *   insert, delete, rank, select and range seeks.
 *
 * A set converts to "skiplist" when an add would break a limit (zsetAdd) and never converts
 * back, except that results built whole (ZUNIONSTORE, ZRANGESTORE... via fromSorted) pick the
 * encoding their final size calls for (zsetConvertToListpackIfNeeded).
 *
 * Rules kept from Redis: NaN is never stored (adds report ZADD_OUT_NAN); -0 and 0 compare equal;
 * the listpack encoding stores integral scores as integers, so -0 reads back as 0 there while
 * the skiplist keeps -0.
 *
 * Memory estimate (`mem`, deterministic, in bytes; V8 64-bit without pointer compression):
 * - ZSET_OBJECT: the ZSet object (header 24 + 4 fields);
 * - listpack: one sequential string of the packed bytes (stringMemory);
 * - skiplist: TREE_BASE (tree object, Map, slot arrays and typed-array headers) plus, per member,
 *   its string and TREE_PER_ELEMENT: the Map entry (3 words at ~75% load plus its bucket share,
 *   ~40), the member and score slots (2 x 8 at ~75% fill, ~21) and the leaf slot (4 bytes at
 *   ~75% fill plus a share of the leaf's ~200 bytes of typed-array overhead, ~7); every free
 *   slot left by a delete costs FREE_SLOT.
 *
 * Sibling files: zset-pack.ts (listpack bytes), zset-tree.ts (the B+tree), zset-cursor.ts
 * (walking by rank), zset-ranges.ts (score and lex intervals).
 *
 * Callers: commands/zset*.ts, DEBUG DIGEST and persistence (entries()), COPY (clone()).
 */

import { hasRepeat } from "@keyhaven/protocol";
import { stringMemory } from "../memory.js";
import type { ZSetValue } from "../value.js";
import { ZCursor } from "./zset-cursor.js";
import {
  compareParsed,
  flatString,
  packAll,
  parsedIs,
  parsedMember,
  parseEntry,
  pk,
  replaceRange,
  unpackAll,
} from "./zset-pack.js";
import type { LexRange, ScoreRange } from "./zset-ranges.js";
import { foundIdx, foundLeaf, ZTree } from "./zset-tree.js";

export { ZCursor } from "./zset-cursor.js";
export { LexRange, ScoreRange } from "./zset-ranges.js";

export const ZSET_OBJECT = 56;
export const TREE_BASE = 400;
export const TREE_PER_ELEMENT = 68;
export const FREE_SLOT = 16;

// zsetAdd input flags (ZADD_IN_*) and output flags (ZADD_OUT_*).
export const ZADD_IN_NX = 1;
export const ZADD_IN_XX = 2;
export const ZADD_IN_GT = 4;
export const ZADD_IN_LT = 8;
export const ZADD_IN_INCR = 16;
export const ZADD_OUT_NOP = 1;
export const ZADD_OUT_NAN = 2;
export const ZADD_OUT_ADDED = 4;
export const ZADD_OUT_UPDATED = 8;

/** The score an add left the member with (zsetAdd's *newscore), valid unless NOP/NAN. */
export const zaddResult = { score: 0 };

/** What addMany did (zaddGenericCommand's counters). */
export const zaddCounts = { added: 0, updated: 0, processed: 0 };

/** Inserts (member, score) into parallel arrays kept in (score, member) order. */
function insertSorted(members: string[], scores: number[], member: string, score: number): void {
  let lo = 0;
  let hi = members.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const s = scores[mid];
    if (s > score || (s === score && members[mid] > member)) hi = mid;
    else lo = mid + 1;
  }
  members.splice(lo, 0, member);
  scores.splice(lo, 0, score);
}

// Decoded view of a listpack set, refilled by decodeSmall (used within one method call only).
let dOff = new Int32Array(256);
let dScore = new Float64Array(256);

function decodeSmall(lp: string, n: number): void {
  if (dOff.length <= n) {
    dOff = new Int32Array(n * 2 + 1);
    dScore = new Float64Array(n * 2 + 1);
  }
  let off = 0;
  for (let i = 0; i < n; i++) {
    dOff[i] = off;
    parseEntry(lp, off);
    dScore[i] = pk.score;
    off = pk.next;
  }
  dOff[n] = off;
}

/** zzlIsInRange: decodes the listpack of `n` > 0 entries and tells whether it can hold an element of `r`. */
function smallInScoreRange(lp: string, n: number, r: ScoreRange): boolean {
  decodeSmall(lp, n);
  return r.gteMin(dScore[n - 1]) && r.lteMax(dScore[0]);
}

/** The lex predicates applied to the member of entry i of the decoded listpack. */
function smallGteMin(lp: string, i: number, r: LexRange): boolean {
  if (r.minInf !== 0) return r.minInf < 0;
  parseEntry(lp, dOff[i]);
  const cmp = compareParsed(lp, r.min);
  return r.minex ? cmp > 0 : cmp >= 0;
}

function smallLteMax(lp: string, i: number, r: LexRange): boolean {
  if (r.maxInf !== 0) return r.maxInf > 0;
  parseEntry(lp, dOff[i]);
  const cmp = compareParsed(lp, r.max);
  return r.maxex ? cmp < 0 : cmp <= 0;
}

/** Sorts parallel arrays (in place) by (score, member), members as memcmp (JS `<` on latin1 strings). */
export function sortPairs(members: string[], scores: number[]): void {
  const n = members.length;
  // Already in order is the common case (an RDB's listpacks and skiplists are saved sorted).
  let sorted = true;
  for (let i = 1; sorted && i < n; i++) {
    const d = scores[i - 1] - scores[i];
    sorted = d < 0 || (d === 0 && members[i - 1] < members[i]);
  }
  if (sorted) return;
  const idx = new Array<number>(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  idx.sort((a, b) => {
    const d = scores[a] - scores[b];
    if (d < 0) return -1;
    if (d > 0) return 1;
    const ma = members[a];
    const mb = members[b];
    return ma < mb ? -1 : ma > mb ? 1 : 0;
  });
  const m2 = members.slice();
  const s2 = scores.slice();
  for (let i = 0; i < n; i++) {
    members[i] = m2[idx[i]];
    scores[i] = s2[idx[i]];
  }
}

export class ZSet implements ZSetValue {
  /** The packed pairs while listpack-encoded ("" once converted). */
  private lp = "";
  /** Number of packed pairs. */
  private n = 0;
  /** The tree once skiplist-encoded, else null. */
  tree: ZTree | null = null;
  accountedMem = 0;

  get type(): "zset" {
    return "zset";
  }

  get mem(): number {
    const t = this.tree;
    if (t === null) return ZSET_OBJECT + stringMemory(this.lp.length);
    return (
      ZSET_OBJECT + TREE_BASE + t.size * TREE_PER_ELEMENT + t.memberMem + (t.slotCount - t.size) * FREE_SLOT
    );
  }

  encoding(): string {
    return this.tree === null ? "listpack" : "skiplist";
  }

  size(): number {
    return this.tree === null ? this.n : this.tree.size;
  }

  /**
   * Builds a set from pairs already in ascending (score, member) order, choosing the encoding
   * as zsetConvertToListpackIfNeeded would for a result of this size.
   */
  static fromSorted(
    members: readonly string[],
    scores: ArrayLike<number>,
    n: number,
    maxEntries: number,
    maxValue: number,
  ): ZSet {
    const zs = new ZSet();
    let maxLen = 0;
    for (let i = 0; i < n; i++) if (members[i].length > maxLen) maxLen = members[i].length;
    if (n <= maxEntries && maxLen <= maxValue) {
      zs.lp = packAll(members, scores, n);
      zs.n = n;
    } else {
      const flat: string[] = new Array(n);
      for (let i = 0; i < n; i++) flat[i] = flatString(members[i]);
      zs.tree = ZTree.fromSorted(flat, scores, n);
    }
    return zs;
  }

  /**
   * Builds a set from members with scores in any order (RDB loading, tests), with the encoding a
   * set of that size calls for, or null when a member repeats (a corrupt RDB or DUMP payload,
   * which loaders refuse). The arrays are reordered in place.
   */
  static fromUnsorted(
    members: string[],
    scores: number[],
    maxEntries: number,
    maxValue: number,
  ): ZSet | null {
    sortPairs(members, scores);
    const zs = ZSet.fromSorted(members, scores, members.length, maxEntries, maxValue);
    // The skiplist encoding's dict keeps one copy of a repeated member; a listpack is searched.
    const repeats = zs.tree !== null ? zs.tree.dict.size !== members.length : hasRepeat(members);
    return repeats ? null : zs;
  }

  /** Converts to the skiplist encoding (zsetConvert); a no-op when already there. */
  convertToSkiplist(): void {
    if (this.tree !== null) return;
    const members: string[] = [];
    const scores: number[] = [];
    unpackAll(this.lp, members, scores);
    this.tree = ZTree.fromSorted(members, scores, members.length);
    this.lp = "";
    this.n = 0;
  }

  // ---- single members ------------------------------------------------------------------

  /** Offset of member's entry in the listpack, or -1; pk holds the parsed entry. */
  private smallFind(member: string): number {
    const lp = this.lp;
    for (let off = 0; off < lp.length; off = pk.next) {
      parseEntry(lp, off);
      if (parsedIs(lp, member)) return off;
    }
    return -1;
  }

  private smallInsert(member: string, score: number): void {
    const lp = this.lp;
    let off = 0;
    for (; off < lp.length; off = pk.next) {
      parseEntry(lp, off);
      if (pk.score > score || (pk.score === score && compareParsed(lp, member) > 0)) break;
    }
    this.lp = replaceRange(lp, off, off, member, score);
    this.n++;
  }

  /** zsetScore: the member's score, or undefined. */
  score(member: string): number | undefined {
    const t = this.tree;
    if (t !== null) {
      const slot = t.dict.get(member);
      return slot === undefined ? undefined : t.scores[slot];
    }
    return this.smallFind(member) >= 0 ? pk.score : undefined;
  }

  /**
   * zsetAdd: adds or updates a member under the ZADD_IN_* flags; returns ZADD_OUT_* flags and
   * leaves the resulting score in zaddResult. Converts to skiplist first when a new member
   * would exceed the listpack limits.
   */
  add(member: string, score: number, flags: number, maxEntries: number, maxValue: number): number {
    if (Number.isNaN(score)) return ZADD_OUT_NAN;
    if (this.tree === null) {
      const off = this.smallFind(member);
      if (off >= 0) {
        if ((flags & ZADD_IN_NX) !== 0) return ZADD_OUT_NOP;
        const cur = pk.score;
        if ((flags & ZADD_IN_INCR) !== 0) {
          score += cur;
          if (Number.isNaN(score)) return ZADD_OUT_NAN;
        }
        if (((flags & ZADD_IN_LT) !== 0 && score >= cur) || ((flags & ZADD_IN_GT) !== 0 && score <= cur))
          return ZADD_OUT_NOP;
        zaddResult.score = score;
        if (score === cur) return 0;
        this.lp = replaceRange(this.lp, off, pk.next, null, 0);
        this.n--;
        this.smallInsert(member, score);
        return ZADD_OUT_UPDATED;
      }
      if ((flags & ZADD_IN_XX) !== 0) return ZADD_OUT_NOP;
      if (this.n + 1 <= maxEntries && member.length <= maxValue) {
        this.smallInsert(member, score);
        zaddResult.score = score;
        return ZADD_OUT_ADDED;
      }
      this.convertToSkiplist();
    }
    const t = this.tree as ZTree;
    const slot = t.dict.get(member);
    if (slot !== undefined) {
      if ((flags & ZADD_IN_NX) !== 0) return ZADD_OUT_NOP;
      const cur = t.scores[slot];
      if ((flags & ZADD_IN_INCR) !== 0) {
        score += cur;
        if (Number.isNaN(score)) return ZADD_OUT_NAN;
      }
      if (((flags & ZADD_IN_LT) !== 0 && score >= cur) || ((flags & ZADD_IN_GT) !== 0 && score <= cur))
        return ZADD_OUT_NOP;
      zaddResult.score = score;
      if (score === cur) return 0;
      t.updateScore(member, score);
      return ZADD_OUT_UPDATED;
    }
    if ((flags & ZADD_IN_XX) !== 0) return ZADD_OUT_NOP;
    t.insert(member, score);
    zaddResult.score = score;
    return ZADD_OUT_ADDED;
  }

  /**
   * zsetAdd for the pairs (scores[i], argv[first + 2i]) in order, without INCR (which takes a
   * single pair and may fail on NaN). Counts go to zaddCounts. While listpack-encoded the pairs
   * are applied to a decoded copy that is packed once, rather than rebuilding the packed string
   * per member; the set converts where a single add would have.
   */
  addMany(
    argv: readonly string[],
    first: number,
    scores: readonly number[],
    flags: number,
    maxEntries: number,
    maxValue: number,
  ): void {
    let added = 0;
    let updated = 0;
    let processed = 0;
    const k = scores.length;
    let i = 0;
    if (this.tree === null && k > 1) {
      const ms: string[] = [];
      const ss: number[] = [];
      const lp = this.lp;
      for (let off = 0; off < lp.length; off = pk.next) {
        parseEntry(lp, off);
        ms.push(parsedMember(lp));
        ss.push(pk.score);
      }
      for (; i < k; i++) {
        const member = argv[first + 2 * i];
        const score = scores[i];
        const pos = ms.indexOf(member);
        if (pos >= 0) {
          if ((flags & ZADD_IN_NX) !== 0) continue;
          const cur = ss[pos];
          if (((flags & ZADD_IN_LT) !== 0 && score >= cur) || ((flags & ZADD_IN_GT) !== 0 && score <= cur))
            continue;
          processed++;
          zaddResult.score = score;
          if (score === cur) continue;
          ms.splice(pos, 1);
          ss.splice(pos, 1);
          insertSorted(ms, ss, member, score);
          updated++;
          continue;
        }
        if ((flags & ZADD_IN_XX) !== 0) continue;
        if (ms.length + 1 > maxEntries || member.length > maxValue) break;
        insertSorted(ms, ss, member, score);
        zaddResult.score = score;
        added++;
        processed++;
      }
      this.lp = packAll(ms, ss, ms.length);
      this.n = ms.length;
    }
    for (; i < k; i++) {
      const out = this.add(argv[first + 2 * i], scores[i], flags, maxEntries, maxValue);
      if ((out & ZADD_OUT_ADDED) !== 0) added++;
      if ((out & ZADD_OUT_UPDATED) !== 0) updated++;
      if ((out & ZADD_OUT_NOP) === 0) processed++;
    }
    zaddCounts.added = added;
    zaddCounts.updated = updated;
    zaddCounts.processed = processed;
  }

  /** zsetDel: removes a member; returns whether it was there. */
  remove(member: string): boolean {
    const t = this.tree;
    if (t !== null) return t.delete(member) !== undefined;
    const off = this.smallFind(member);
    if (off < 0) return false;
    this.lp = replaceRange(this.lp, off, pk.next, null, 0);
    this.n--;
    return true;
  }

  /** zsetRank: 0-based ascending rank, or -1 when absent. */
  rank(member: string): number {
    const t = this.tree;
    if (t !== null) {
      const slot = t.dict.get(member);
      return slot === undefined ? -1 : t.rankOf(slot);
    }
    const lp = this.lp;
    let rank = 0;
    for (let off = 0; off < lp.length; off = pk.next, rank++) {
      parseEntry(lp, off);
      if (parsedIs(lp, member)) return rank;
    }
    return -1;
  }

  // ---- ranges --------------------------------------------------------------------------

  /**
   * zslIsInLexRange / zzlIsInLexRange: whether the set (of `size` > 0 elements, or none) can hold
   * an element of `r`, judged from its first and last members. Fills decodeSmall for a listpack.
   */
  private isInLexRange(r: LexRange, size: number): boolean {
    if (size === 0 || r.isEmpty()) return false;
    const t = this.tree;
    if (t !== null) {
      const last = t.members[t.tail.slots[t.tail.n - 1]] as string;
      const first = t.members[t.head.slots[0]] as string;
      return r.gteMin(last) && r.lteMax(first);
    }
    const lp = this.lp;
    decodeSmall(lp, size);
    return smallGteMin(lp, size - 1, r) && smallLteMax(lp, 0, r);
  }

  /** zslFirstInRange / zzlFirstInRange: rank of the first element in range, or -1. */
  firstInScoreRange(r: ScoreRange): number {
    const size = this.size();
    if (size === 0 || r.isEmpty()) return -1;
    const t = this.tree;
    if (t !== null) {
      const rank = t.firstScoreGte(r.min, r.minex);
      if (rank >= size) return -1;
      return r.lteMax(t.scores[foundLeaf.slots[foundIdx]]) ? rank : -1;
    }
    if (!smallInScoreRange(this.lp, size, r)) return -1;
    for (let i = 0; i < size; i++) if (r.gteMin(dScore[i])) return r.lteMax(dScore[i]) ? i : -1;
    return -1;
  }

  /** zslLastInRange / zzlLastInRange: rank of the last element in range, or -1. */
  lastInScoreRange(r: ScoreRange): number {
    const size = this.size();
    if (size === 0 || r.isEmpty()) return -1;
    const t = this.tree;
    if (t !== null) {
      const rank = t.firstScoreAbove(r.max, r.maxex) - 1;
      if (rank < 0) return -1;
      t.select(rank);
      return r.gteMin(t.scores[foundLeaf.slots[foundIdx]]) ? rank : -1;
    }
    if (!smallInScoreRange(this.lp, size, r)) return -1;
    for (let i = size - 1; i >= 0; i--) if (r.lteMax(dScore[i])) return r.gteMin(dScore[i]) ? i : -1;
    return -1;
  }

  /** zslFirstInLexRange / zzlFirstInLexRange: rank of the first element in range, or -1. */
  firstInLexRange(r: LexRange): number {
    const size = this.size();
    if (!this.isInLexRange(r, size)) return -1;
    const t = this.tree;
    if (t !== null) {
      const rank = t.firstLexGte(r.min, r.minex, r.minInf);
      if (rank >= size) return -1;
      return r.lteMax(t.members[foundLeaf.slots[foundIdx]] as string) ? rank : -1;
    }
    const lp = this.lp;
    for (let i = 0; i < size; i++) if (smallGteMin(lp, i, r)) return smallLteMax(lp, i, r) ? i : -1;
    return -1;
  }

  /** zslLastInLexRange / zzlLastInLexRange: rank of the last element in range, or -1. */
  lastInLexRange(r: LexRange): number {
    const size = this.size();
    if (!this.isInLexRange(r, size)) return -1;
    const t = this.tree;
    if (t !== null) {
      const rank = t.firstLexAbove(r.max, r.maxex, r.maxInf) - 1;
      if (rank < 0) return -1;
      t.select(rank);
      return r.gteMin(t.members[foundLeaf.slots[foundIdx]] as string) ? rank : -1;
    }
    const lp = this.lp;
    for (let i = size - 1; i >= 0; i--) if (smallLteMax(lp, i, r)) return smallGteMin(lp, i, r) ? i : -1;
    return -1;
  }

  /** ZCOUNT: elements within the score range. */
  countInScoreRange(r: ScoreRange): number {
    const first = this.firstInScoreRange(r);
    if (first < 0) return 0;
    if (this.tree !== null) return this.lastInScoreRange(r) - first + 1;
    // zzl: walk from the first while <= max (decodeSmall was filled by firstInScoreRange).
    let i = first;
    while (i < this.n && r.lteMax(dScore[i])) i++;
    return i - first;
  }

  /** ZLEXCOUNT: elements within the lex range. */
  countInLexRange(r: LexRange): number {
    const first = this.firstInLexRange(r);
    if (first < 0) return 0;
    if (this.tree !== null) {
      const last = this.lastInLexRange(r);
      return last < 0 ? 0 : last - first + 1;
    }
    let i = first;
    while (i < this.n && smallLteMax(this.lp, i, r)) i++;
    return i - first;
  }

  /** Removes ranks [start, end] (0-based, inclusive, within bounds). */
  deleteRange(start: number, end: number): void {
    if (end < start) return;
    const t = this.tree;
    if (t !== null) {
      t.deleteRankRange(start, end);
      return;
    }
    decodeSmall(this.lp, this.n);
    this.lp = replaceRange(this.lp, dOff[start], dOff[end + 1], null, 0);
    this.n -= end - start + 1;
  }

  /**
   * Copies members and scores in ascending order into members[0, n) and scores[0, n), returning
   * n. Snapshots call this for every skiplist-encoded set (a listpack is written from
   * packedBounds): one cursor per set, nothing per member.
   */
  readInto(members: string[], scores: number[]): number {
    if (this.tree !== null) {
      let n = 0;
      const c = this.cursor();
      for (let ok = c.seek(0); ok; ok = c.next()) {
        members[n] = c.member;
        scores[n++] = c.score;
      }
      return n;
    }
    const lp = this.lp;
    let off = 0;
    for (let i = 0; i < this.n; i++) {
      parseEntry(lp, off);
      members[i] = parsedMember(lp);
      scores[i] = pk.score;
      off = pk.next;
    }
    return this.n;
  }

  /**
   * While a listpack: fills bounds with [start, end) of every member in ascending order (member i
   * at 2i and 2i + 1) and scores with their scores, and returns the packed string the bounds
   * index; null for a skiplist. Snapshots write the members from it without substrings.
   */
  packedBounds(bounds: number[], scores: number[]): string | null {
    if (this.tree !== null) return null;
    const lp = this.lp;
    let off = 0;
    for (let i = 0; i < this.n; i++) {
      parseEntry(lp, off);
      bounds[2 * i] = pk.moff;
      bounds[2 * i + 1] = pk.moff + pk.mlen;
      scores[i] = pk.score;
      off = pk.next;
    }
    return lp;
  }

  /** A cursor over the elements by rank (invalidated by any change to the set). */
  cursor(): ZCursor {
    return new ZCursor(this.tree, this.lp, this.n);
  }

  // ---- whole-set views -----------------------------------------------------------------

  /**
   * ZSCAN over the skiplist encoding: visits slots from `cursor`, pushing member and score of
   * live ones until `count` were found (or 10x that many slots were visited). Returns the next
   * cursor, 0 at the end. A member keeps its slot while it lives, so one present during a
   * whole iteration is returned exactly once.
   */
  scanSlots(cursor: number, count: number, members: string[], scores: number[]): number {
    const t = this.tree as ZTree;
    const end = t.slotCount;
    let slot = cursor;
    let visits = 0;
    const maxVisits = count * 10;
    let found = 0;
    while (slot < end && found < count && visits < maxVisits) {
      const m = t.members[slot];
      if (m !== null) {
        members.push(m);
        scores.push(t.scores[slot]);
        found++;
      }
      slot++;
      visits++;
    }
    return slot >= end ? 0 : slot;
  }

  *entries(): IterableIterator<[string, number]> {
    const c = this.cursor();
    for (let ok = c.seek(0); ok; ok = c.next()) yield [c.member, c.score];
  }

  clone(): ZSet {
    const copy = new ZSet();
    if (this.tree !== null) copy.tree = this.tree.clone();
    else {
      copy.lp = this.lp; // strings are immutable: the copy shares the packed bytes
      copy.n = this.n;
    }
    return copy;
  }
}
