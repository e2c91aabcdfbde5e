/**
 * The "skiplist" encoding of a sorted set: what Redis keeps as a dict plus a zskiplist with span
 * counts (t_zset.c zslInsert/zslGetRank/zslGetElementByRank), built here as an order-statistic
 * B+tree over element slots, which is leaner and friendlier to V8 than one object per node.
 *
 *   dict: member -> slot            members[slot], scores[slot]   (struct of arrays)
 *   root ─ Inner{kids, counts} ─ ... ─ Leaf{slots: Int32Array} <-> Leaf <-> Leaf (linked)
 *
 * Invariants:
 * - every live element has one slot; `members[slot]` is its member and `scores[slot]` its score
 *   (never NaN). A free slot has `members[slot] === null` and `scores[slot]` holding the next
 *   free slot (a free list). A slot never changes while its member lives, which is what makes
 *   ZSCAN's guarantee hold (a cursor is a slot index).
 * - leaves hold slots in ascending (score, member) order, memcmp order for members (JS `<` on
 *   latin1 strings), and are linked in that order; `counts[i]` of an inner node is the number of
 *   elements under `kids[i]`, so rank and select are O(log n).
 * - every non-root leaf holds at least LEAF_MIN slots, every non-root inner node at least
 *   INNER_MIN kids (deletes merge or redistribute), so memory stays proportional to the size.
 *
 * Only zset.ts uses this file. Descents write their result into module-level variables (no
 * allocation per call); nothing here is re-entrant, which is fine on one thread.
 */

import { stringMemory } from "../memory.js";

/**
 * Slots per leaf. 128 Int32s (512 bytes) amortize the ~150 bytes of a typed array's overhead to
 * about 1 byte per element while keeping an insert's memmove short.
 */
export const LEAF_CAP = 128;
export const LEAF_MIN = LEAF_CAP >> 2;
/** Kids per inner node: 1M elements fit in three levels. */
export const INNER_CAP = 64;
export const INNER_MIN = INNER_CAP >> 2;
/** Deepest tree the path arrays allow (64^15 is far beyond any Map's capacity). */
const MAX_HEIGHT = 16;

export class Leaf {
  slots: Int32Array;
  n: number;
  next: Leaf | null;
  prev: Leaf | null;
  constructor() {
    this.slots = new Int32Array(LEAF_CAP);
    this.n = 0;
    this.next = null;
    this.prev = null;
  }
}

/**
 * An inner node: per kid, its element count and its maximum element (slot and score, cached so
 * a descent compares against contiguous numbers instead of chasing down to a leaf per probe).
 */
export class Inner {
  kids: (Leaf | Inner)[];
  counts: number[];
  maxSlots: number[];
  maxScores: number[];
  constructor(kids: (Leaf | Inner)[], counts: number[], maxSlots: number[], maxScores: number[]) {
    this.kids = kids;
    this.counts = counts;
    this.maxSlots = maxSlots;
    this.maxScores = maxScores;
  }
}

export type TreeNode = Leaf | Inner;

/** What a descent looks for (a predicate false then true along the order). */
const SEEK_KEY = 0; // element >= (score, member)
const SEEK_SCORE_GE = 1; // element.score >= score (> when ex)
const SEEK_SCORE_GT = 2; // element.score > score (>= when ex): one past the last <= max
const SEEK_LEX_GE = 3; // element.member >= member (> when ex); lexInf -1/1 for "-"/"+"
const SEEK_LEX_GT = 4; // element.member > member (>= when ex)

// Descent state and results (module-level: no allocation per operation).
let seekKind = 0;
let seekScore = 0;
let seekMember = "";
let seekEx = false;
let seekLexInf = 0;
/** Leaf and index found by the last descent (index may equal leaf.n: past its end). */
export let foundLeaf: Leaf = new Leaf();
export let foundIdx = 0;
const pathNodes: Inner[] = new Array(MAX_HEIGHT);
const pathIdx = new Int32Array(MAX_HEIGHT);

export class ZTree {
  readonly dict = new Map<string, number>();
  members: (string | null)[] = [];
  scores: number[] = [];
  private freeHead = -1;
  /** The top node (read by zset-tree-check.ts). */
  root: TreeNode;
  /** Levels of inner nodes above the leaves (0: the root is a leaf). */
  height = 0;
  head: Leaf;
  tail: Leaf;
  size = 0;
  /** Sum of stringMemory() over the members (for the memory estimate). */
  memberMem = 0;

  constructor() {
    const leaf = new Leaf();
    this.root = leaf;
    this.head = leaf;
    this.tail = leaf;
  }

  /** A tree holding `n` pairs already in ascending order (members used as given). */
  static fromSorted(members: readonly string[], scores: ArrayLike<number>, n: number): ZTree {
    const t = new ZTree();
    const ordered = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const m = members[i];
      t.members.push(m);
      t.scores.push(scores[i]);
      t.dict.set(m, i);
      t.memberMem += stringMemory(m.length);
      ordered[i] = i;
    }
    t.size = n;
    t.rebuild(ordered, n);
    return t;
  }

  // ---- slots ---------------------------------------------------------------------------

  private allocSlot(member: string, score: number): number {
    let slot = this.freeHead;
    if (slot >= 0) {
      this.freeHead = this.scores[slot];
      this.members[slot] = member;
      this.scores[slot] = score;
    } else {
      slot = this.members.length;
      this.members.push(member);
      this.scores.push(score);
    }
    return slot;
  }

  private freeSlot(slot: number): void {
    this.members[slot] = null;
    this.scores[slot] = this.freeHead;
    this.freeHead = slot;
  }

  /** Number of slots (live and free): the end of the ZSCAN cursor space. */
  get slotCount(): number {
    return this.members.length;
  }

  // ---- ordered search ------------------------------------------------------------------

  /** Whether the element in `slot` (whose score is `s`) satisfies the current seek predicate. */
  private satisfies(slot: number, s: number): boolean {
    switch (seekKind) {
      case SEEK_KEY: {
        if (s !== seekScore) return s > seekScore;
        return (this.members[slot] as string) >= seekMember;
      }
      case SEEK_SCORE_GE:
        return seekEx ? s > seekScore : s >= seekScore;
      case SEEK_SCORE_GT:
        return seekEx ? s >= seekScore : s > seekScore;
      case SEEK_LEX_GE:
        if (seekLexInf !== 0) return seekLexInf < 0;
        return seekEx
          ? (this.members[slot] as string) > seekMember
          : (this.members[slot] as string) >= seekMember;
      default:
        if (seekLexInf !== 0) return seekLexInf < 0;
        return seekEx
          ? (this.members[slot] as string) >= seekMember
          : (this.members[slot] as string) > seekMember;
    }
  }

  /** The slot of a subtree's maximum, found by walking down (structural changes only). */
  static maxSlot(node: TreeNode): number {
    while (node instanceof Inner) node = node.kids[node.kids.length - 1];
    return node.slots[node.n - 1];
  }

  /** An inner node over `kids`, with their counts and maxima. */
  private makeInner(kids: TreeNode[], counts: number[]): Inner {
    const maxSlots = kids.map(ZTree.maxSlot);
    return new Inner(
      kids,
      counts,
      maxSlots,
      maxSlots.map((slot) => this.scores[slot]),
    );
  }

  /** Re-reads kid i's maximum into its parent's cache. */
  private refreshMax(parent: Inner, i: number): void {
    const slot = ZTree.maxSlot(parent.kids[i]);
    parent.maxSlots[i] = slot;
    parent.maxScores[i] = this.scores[slot];
  }

  /**
   * `leaf` (reached by the last descent) has a new last element: updates the cached maxima on
   * the path, as far up as the leaf's subtree ends its parent's.
   */
  private leafMaxChanged(leaf: Leaf): void {
    const slot = leaf.slots[leaf.n - 1];
    const score = this.scores[slot];
    for (let level = this.height - 1; level >= 0; level--) {
      const node = pathNodes[level];
      const i = pathIdx[level];
      node.maxSlots[i] = slot;
      node.maxScores[i] = score;
      if (i !== node.kids.length - 1) break;
    }
  }

  /**
   * Finds the first element satisfying the seek predicate: returns its rank (size when none)
   * and leaves its leaf/index in foundLeaf/foundIdx and the inner path in pathNodes/pathIdx.
   */
  private descend(): number {
    let node = this.root;
    let rank = 0;
    for (let level = 0; level < this.height; level++) {
      const inner = node as Inner;
      const kids = inner.kids;
      const maxSlots = inner.maxSlots;
      const maxScores = inner.maxScores;
      let lo = 0;
      let hi = kids.length - 1;
      // First kid whose maximum satisfies; the last kid when none does (the answer is its end).
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.satisfies(maxSlots[mid], maxScores[mid])) hi = mid;
        else lo = mid + 1;
      }
      const counts = inner.counts;
      for (let i = 0; i < lo; i++) rank += counts[i];
      pathNodes[level] = inner;
      pathIdx[level] = lo;
      node = kids[lo];
    }
    const leaf = node as Leaf;
    const slots = leaf.slots;
    let lo = 0;
    let hi = leaf.n;
    const scores = this.scores;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const slot = slots[mid];
      if (this.satisfies(slot, scores[slot])) hi = mid;
      else lo = mid + 1;
    }
    foundLeaf = leaf;
    foundIdx = lo;
    return rank + lo;
  }

  /** Rank of the first element >= (score, member) (size when none). */
  lowerBoundKey(score: number, member: string): number {
    seekKind = SEEK_KEY;
    seekScore = score;
    seekMember = member;
    return this.descend();
  }

  /** Rank of the first element with score >= min (> when ex); size when none. */
  firstScoreGte(min: number, ex: boolean): number {
    seekKind = SEEK_SCORE_GE;
    seekScore = min;
    seekEx = ex;
    return this.descend();
  }

  /** Rank of the first element with score > max (>= when ex); size when none. */
  firstScoreAbove(max: number, ex: boolean): number {
    seekKind = SEEK_SCORE_GT;
    seekScore = max;
    seekEx = ex;
    return this.descend();
  }

  /** Rank of the first element with member >= min (> when ex); inf -1 is "-", 1 is "+". */
  firstLexGte(min: string, ex: boolean, inf: number): number {
    seekKind = SEEK_LEX_GE;
    seekMember = min;
    seekEx = ex;
    seekLexInf = inf;
    return this.descend();
  }

  /** Rank of the first element with member > max (>= when ex); inf -1 is "-", 1 is "+". */
  firstLexAbove(max: string, ex: boolean, inf: number): number {
    seekKind = SEEK_LEX_GT;
    seekMember = max;
    seekEx = ex;
    seekLexInf = inf;
    return this.descend();
  }

  /** zslGetElementByRank: positions foundLeaf/foundIdx on `rank` (0-based, must be < size). */
  select(rank: number): void {
    let node = this.root;
    for (let level = 0; level < this.height; level++) {
      const inner = node as Inner;
      const counts = inner.counts;
      let i = 0;
      while (rank >= counts[i]) rank -= counts[i++];
      pathNodes[level] = inner;
      pathIdx[level] = i;
      node = inner.kids[i];
    }
    foundLeaf = node as Leaf;
    foundIdx = rank;
  }

  /** zslGetRank: 0-based rank of a live slot. */
  rankOf(slot: number): number {
    return this.lowerBoundKey(this.scores[slot], this.members[slot] as string);
  }

  // ---- mutation ------------------------------------------------------------------------

  /** Adds a member that is not present. */
  insert(member: string, score: number): void {
    const slot = this.allocSlot(member, score);
    this.dict.set(member, slot);
    this.size++;
    this.memberMem += stringMemory(member.length);
    this.insertSlot(slot);
  }

  private insertSlot(slot: number): void {
    this.lowerBoundKey(this.scores[slot], this.members[slot] as string);
    const leaf = foundLeaf;
    const idx = foundIdx;
    for (let level = 0; level < this.height; level++) pathNodes[level].counts[pathIdx[level]]++;
    const slots = leaf.slots;
    if (idx < leaf.n) slots.copyWithin(idx + 1, idx, leaf.n);
    slots[idx] = slot;
    leaf.n++;
    if (idx === leaf.n - 1 && this.height > 0) this.leafMaxChanged(leaf);
    if (leaf.n === LEAF_CAP) this.splitLeaf(leaf);
  }

  private splitLeaf(leaf: Leaf): void {
    const right = new Leaf();
    const half = leaf.n >> 1;
    right.slots.set(leaf.slots.subarray(half, leaf.n));
    right.n = leaf.n - half;
    leaf.n = half;
    right.next = leaf.next;
    right.prev = leaf;
    if (leaf.next !== null) leaf.next.prev = right;
    else this.tail = right;
    leaf.next = right;
    this.addSibling(this.height - 1, leaf, half, right, right.n);
  }

  /**
   * After `left` (the kid at pathIdx[level] of pathNodes[level]) was split, records `right`
   * after it; splits the parent in turn when it overflows, growing a new root at the top.
   */
  private addSibling(
    level: number,
    left: TreeNode,
    leftCount: number,
    right: TreeNode,
    rightCount: number,
  ): void {
    if (level < 0) {
      this.root = this.makeInner([left, right], [leftCount, rightCount]);
      this.height++;
      return;
    }
    const parent = pathNodes[level];
    const i = pathIdx[level];
    parent.counts[i] = leftCount;
    parent.kids.splice(i + 1, 0, right);
    parent.counts.splice(i + 1, 0, rightCount);
    parent.maxSlots.splice(i + 1, 0, 0);
    parent.maxScores.splice(i + 1, 0, 0);
    this.refreshMax(parent, i);
    this.refreshMax(parent, i + 1);
    if (parent.kids.length <= INNER_CAP) return;
    const half = parent.kids.length >> 1;
    const sibling = new Inner(
      parent.kids.splice(half),
      parent.counts.splice(half),
      parent.maxSlots.splice(half),
      parent.maxScores.splice(half),
    );
    this.addSibling(level - 1, parent, sum(parent.counts), sibling, sum(sibling.counts));
  }

  /** Removes a member; returns its score, or undefined when absent. */
  delete(member: string): number | undefined {
    const slot = this.dict.get(member);
    if (slot === undefined) return undefined;
    const score = this.scores[slot];
    this.dict.delete(member);
    this.size--;
    this.memberMem -= stringMemory(member.length);
    this.lowerBoundKey(score, member);
    this.removeAt(foundLeaf, foundIdx);
    this.freeSlot(slot);
    return score;
  }

  /**
   * zslUpdateScore: changes a live member's score, in place when its neighbours in the same
   * leaf still bracket the new score, else by removing and re-inserting it.
   */
  updateScore(member: string, score: number): void {
    const slot = this.dict.get(member) as number;
    this.lowerBoundKey(this.scores[slot], member);
    const leaf = foundLeaf;
    const idx = foundIdx;
    const scores = this.scores;
    if (
      idx > 0 &&
      idx < leaf.n - 1 &&
      scores[leaf.slots[idx - 1]] < score &&
      scores[leaf.slots[idx + 1]] > score
    ) {
      scores[slot] = score;
      return;
    }
    this.removeAt(leaf, idx);
    scores[slot] = score;
    this.insertSlot(slot);
  }

  /** Removes the slot at leaf/idx (the path of the last descent leads to `leaf`). */
  private removeAt(leaf: Leaf, idx: number): void {
    for (let level = 0; level < this.height; level++) pathNodes[level].counts[pathIdx[level]]--;
    leaf.slots.copyWithin(idx, idx + 1, leaf.n);
    leaf.n--;
    if (this.height === 0) return;
    if (idx === leaf.n) this.leafMaxChanged(leaf);
    if (leaf.n < LEAF_MIN) this.rebalanceLeaf();
  }

  private rebalanceLeaf(): void {
    const level = this.height - 1;
    const parent = pathNodes[level];
    const i = pathIdx[level];
    const li = i > 0 ? i - 1 : i;
    const left = parent.kids[li] as Leaf;
    const right = parent.kids[li + 1] as Leaf;
    if (left === undefined || right === undefined) return;
    if (left.n + right.n < LEAF_CAP) {
      left.slots.set(right.slots.subarray(0, right.n), left.n);
      left.n += right.n;
      left.next = right.next;
      if (right.next !== null) right.next.prev = left;
      else this.tail = left;
      parent.counts[li] += parent.counts[li + 1];
      parent.kids.splice(li + 1, 1);
      parent.counts.splice(li + 1, 1);
      parent.maxSlots.splice(li, 1);
      parent.maxScores.splice(li, 1);
      this.afterInnerShrink(level);
      return;
    }
    // Redistribute so both halves hold about the same number of slots.
    const total = left.n + right.n;
    const want = total >> 1;
    if (left.n > want) {
      const move = left.n - want;
      right.slots.copyWithin(move, 0, right.n);
      right.slots.set(left.slots.subarray(want, left.n), 0);
      left.n = want;
      right.n += move;
    } else {
      const move = want - left.n;
      left.slots.set(right.slots.subarray(0, move), left.n);
      right.slots.copyWithin(0, move, right.n);
      left.n = want;
      right.n -= move;
    }
    parent.counts[li] = left.n;
    parent.counts[li + 1] = right.n;
    this.refreshMax(parent, li);
  }

  /** pathNodes[level] lost a kid: merge or redistribute it with a sibling, or shrink the root. */
  private afterInnerShrink(level: number): void {
    const node = pathNodes[level];
    if (level === 0) {
      if (node.kids.length === 1) {
        this.root = node.kids[0];
        this.height--;
      }
      return;
    }
    if (node.kids.length >= INNER_MIN) return;
    const parent = pathNodes[level - 1];
    const i = pathIdx[level - 1];
    const li = i > 0 ? i - 1 : i;
    const left = parent.kids[li] as Inner;
    const right = parent.kids[li + 1] as Inner;
    if (left === undefined || right === undefined) return;
    if (left.kids.length + right.kids.length <= INNER_CAP) {
      for (let k = 0; k < right.kids.length; k++) {
        left.kids.push(right.kids[k]);
        left.counts.push(right.counts[k]);
        left.maxSlots.push(right.maxSlots[k]);
        left.maxScores.push(right.maxScores[k]);
      }
      parent.counts[li] += parent.counts[li + 1];
      parent.kids.splice(li + 1, 1);
      parent.counts.splice(li + 1, 1);
      parent.maxSlots.splice(li, 1);
      parent.maxScores.splice(li, 1);
      this.afterInnerShrink(level - 1);
      return;
    }
    const want = (left.kids.length + right.kids.length) >> 1;
    if (left.kids.length > want) {
      right.kids.unshift(...left.kids.splice(want));
      right.counts.unshift(...left.counts.splice(want));
      right.maxSlots.unshift(...left.maxSlots.splice(want));
      right.maxScores.unshift(...left.maxScores.splice(want));
    } else {
      const move = want - left.kids.length;
      left.kids.push(...right.kids.splice(0, move));
      left.counts.push(...right.counts.splice(0, move));
      left.maxSlots.push(...right.maxSlots.splice(0, move));
      left.maxScores.push(...right.maxScores.splice(0, move));
    }
    parent.counts[li] = sum(left.counts);
    parent.counts[li + 1] = sum(right.counts);
    this.refreshMax(parent, li);
  }

  // ---- bulk operations -----------------------------------------------------------------

  /**
   * Rebuilds the tree from slots already in ascending order (bulk load: leaves filled evenly,
   * no leaf or inner node under its minimum).
   */
  rebuild(ordered: ArrayLike<number>, count: number): void {
    const leafCount = Math.max(1, Math.ceil(count / (LEAF_CAP - 1)));
    let level: TreeNode[] = [];
    let counts: number[] = [];
    let prev: Leaf | null = null;
    let pos = 0;
    for (let k = 0; k < leafCount; k++) {
      const leaf = new Leaf();
      const take = Math.floor((count * (k + 1)) / leafCount) - pos;
      for (let j = 0; j < take; j++) leaf.slots[j] = ordered[pos + j];
      leaf.n = take;
      pos += take;
      leaf.prev = prev;
      if (prev !== null) prev.next = leaf;
      else this.head = leaf;
      prev = leaf;
      level.push(leaf);
      counts.push(take);
    }
    this.tail = prev as Leaf;
    let height = 0;
    while (level.length > 1) {
      const groups = Math.ceil(level.length / INNER_CAP);
      const next: TreeNode[] = [];
      const nextCounts: number[] = [];
      let at = 0;
      for (let g = 0; g < groups; g++) {
        const end = Math.floor((level.length * (g + 1)) / groups);
        const kids = level.slice(at, end);
        const kc = counts.slice(at, end);
        next.push(this.makeInner(kids, kc));
        nextCounts.push(sum(kc));
        at = end;
      }
      level = next;
      counts = nextCounts;
      height++;
    }
    this.root = level[0];
    this.height = height;
  }

  /** Removes ranks [start, end] (inclusive, valid); frees their slots. */
  deleteRankRange(start: number, end: number): void {
    const k = end - start + 1;
    if (k <= 0) return;
    if (k * 4 < this.size) {
      // Few: one by one, each O(log n).
      for (let i = 0; i < k; i++) {
        this.select(start);
        const slot = foundLeaf.slots[foundIdx];
        const member = this.members[slot] as string;
        this.dict.delete(member);
        this.memberMem -= stringMemory(member.length);
        this.size--;
        this.removeAt(foundLeaf, foundIdx);
        this.freeSlot(slot);
      }
      return;
    }
    // Many: one pass that keeps the rest, then a bulk load (O(n), paid for by the k > n/4 removed).
    const kept = new Int32Array(this.size - k);
    let w = 0;
    let rank = 0;
    for (let leaf: Leaf | null = this.head; leaf !== null; leaf = leaf.next) {
      for (let i = 0; i < leaf.n; i++, rank++) {
        const slot = leaf.slots[i];
        if (rank < start || rank > end) {
          kept[w++] = slot;
          continue;
        }
        const member = this.members[slot] as string;
        this.dict.delete(member);
        this.memberMem -= stringMemory(member.length);
        this.freeSlot(slot);
      }
    }
    this.size = w;
    this.rebuild(kept, w);
  }

  /** Slots in ascending order. */
  orderedSlots(): Int32Array {
    const out = new Int32Array(this.size);
    let w = 0;
    for (let leaf: Leaf | null = this.head; leaf !== null; leaf = leaf.next) {
      out.set(leaf.slots.subarray(0, leaf.n), w);
      w += leaf.n;
    }
    return out;
  }

  /** A deep copy (members are immutable strings and shared). */
  clone(): ZTree {
    const copy = new ZTree();
    const ordered = this.orderedSlots();
    for (let i = 0; i < ordered.length; i++) {
      const slot = ordered[i];
      copy.members.push(this.members[slot] as string);
      copy.scores.push(this.scores[slot]);
      copy.dict.set(this.members[slot] as string, i);
      ordered[i] = i;
    }
    copy.size = this.size;
    copy.memberMem = this.memberMem;
    copy.rebuild(ordered, ordered.length);
    return copy;
  }
}

function sum(a: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}
