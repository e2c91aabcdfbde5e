/**
 * Test aid: checks every structural invariant of a ZTree (order, leaf links, counts, cached
 * maxima, node fill), throwing on the first violation. Used by the property tests after each
 * step; not on any command path.
 */

import { INNER_CAP, INNER_MIN, type Inner, LEAF_MIN, type Leaf, type TreeNode, ZTree } from "./zset-tree.js";

export function verifyTree(t: ZTree): void {
  let count = 0;
  let prevSlot = -1;
  for (let leaf: Leaf | null = t.head; leaf !== null; leaf = leaf.next) {
    if (leaf.next !== null && leaf.next.prev !== leaf) throw new Error("broken leaf links");
    for (let i = 0; i < leaf.n; i++) {
      const slot = leaf.slots[i];
      if (t.members[slot] === null) throw new Error("free slot in a leaf");
      if (prevSlot >= 0) {
        const a = t.scores[prevSlot];
        const b = t.scores[slot];
        const am = t.members[prevSlot] as string;
        const bm = t.members[slot] as string;
        if (a > b || (a === b && am >= bm)) throw new Error("order violated");
      }
      prevSlot = slot;
      count++;
    }
  }
  if (count !== t.size || t.dict.size !== t.size) throw new Error("size mismatch");
  const check = (node: TreeNode, depth: number, isRoot: boolean): number => {
    if (depth === t.height) {
      const leaf = node as Leaf;
      if (!isRoot && leaf.n < LEAF_MIN) throw new Error(`underfull leaf ${leaf.n}`);
      return leaf.n;
    }
    const inner = node as Inner;
    if (!isRoot && inner.kids.length < INNER_MIN) throw new Error("underfull inner node");
    if (inner.kids.length > INNER_CAP || inner.kids.length !== inner.counts.length)
      throw new Error("bad inner node");
    let total = 0;
    for (let i = 0; i < inner.kids.length; i++) {
      const n = check(inner.kids[i], depth + 1, false);
      if (n !== inner.counts[i]) throw new Error("count mismatch");
      const maxSlot = ZTree.maxSlot(inner.kids[i]);
      if (inner.maxSlots[i] !== maxSlot || !Object.is(inner.maxScores[i], t.scores[maxSlot]))
        throw new Error("stale cached maximum");
      total += n;
    }
    return total;
  };
  if (check(t.root, 0, true) !== t.size) throw new Error("root count mismatch");
}
