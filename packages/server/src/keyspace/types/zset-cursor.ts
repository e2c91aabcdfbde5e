/**
 * A cursor over a sorted set by rank, for either encoding (the zzlNext/zzlPrev walks over a
 * listpack and the forward/backward walks of the skiplist). zset.ts hands them out; command
 * handlers use them for ranges, pops, random access and iteration. A cursor is only valid
 * until the set changes.
 */

import { parsedMember, parseEntry, pk } from "./zset-pack.js";
import { foundIdx, foundLeaf, type Leaf, type ZTree } from "./zset-tree.js";

/**
 * Walks a set by rank in either direction (the zzlNext/zzlPrev and skiplist forward/backward
 * walks). `member` and `score` describe the current element after a successful move.
 */
export class ZCursor {
  rank = -1;
  member = "";
  score = 0;
  private readonly tree: ZTree | null;
  private readonly lp: string;
  private readonly count: number;
  private offs: Int32Array | null = null;
  private leaf: Leaf | null = null;
  private idx = 0;

  constructor(tree: ZTree | null, lp: string, n: number) {
    this.tree = tree;
    this.lp = lp;
    this.count = this.tree === null ? n : this.tree.size;
    if (this.tree === null) {
      const offs = new Int32Array(n);
      let off = 0;
      for (let i = 0; i < n; i++) {
        offs[i] = off;
        parseEntry(lp, off);
        off = pk.next;
      }
      this.offs = offs;
    }
  }

  private load(): void {
    if (this.tree !== null) {
      const slot = (this.leaf as Leaf).slots[this.idx];
      this.member = this.tree.members[slot] as string;
      this.score = this.tree.scores[slot];
    } else {
      parseEntry(this.lp, (this.offs as Int32Array)[this.rank]);
      this.member = parsedMember(this.lp);
      this.score = pk.score;
    }
  }

  /** Moves to `rank`; false (and no element) when out of bounds. */
  seek(rank: number): boolean {
    if (rank < 0 || rank >= this.count) return false;
    this.rank = rank;
    if (this.tree !== null) {
      this.tree.select(rank);
      this.leaf = foundLeaf;
      this.idx = foundIdx;
    }
    this.load();
    return true;
  }

  next(): boolean {
    if (this.rank + 1 >= this.count) return false;
    this.rank++;
    if (this.tree !== null) {
      let leaf = this.leaf as Leaf;
      if (++this.idx >= leaf.n) {
        leaf = leaf.next as Leaf;
        this.leaf = leaf;
        this.idx = 0;
      }
    }
    this.load();
    return true;
  }

  prev(): boolean {
    if (this.rank <= 0) return false;
    this.rank--;
    if (this.tree !== null) {
      if (--this.idx < 0) {
        const leaf = (this.leaf as Leaf).prev as Leaf;
        this.leaf = leaf;
        this.idx = leaf.n - 1;
      }
    }
    this.load();
    return true;
  }

  /** Moves forward (or backward when `reverse`). */
  step(reverse: boolean): boolean {
    return reverse ? this.prev() : this.next();
  }
}
