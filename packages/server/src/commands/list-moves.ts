/**
 * List commands that take from one list and give to another or pick among several keys
 * (t_list.c lmoveGenericCommand, lmpopGenericCommand): LMOVE, RPOPLPUSH, LMPOP. Their helpers
 * are shared with the blocking forms in list-blocking.ts.
 *
 * LMPOP propagates as `LPOP|RPOP key n` (n = the number actually popped), as Redis 7.0 writes
 * it to the AOF and to replicas.
 */

import { ListObject } from "../keyspace/types/list.js";
import type { Client } from "../network/client.js";
import { is, parseInteger } from "./args.js";
import { collectionOrReply, deleteIfEmpty, modified, WRONGTYPE } from "./common.js";
import { numkeysKeys } from "./key-specs.js";
import { listElementsRemoved, listPositionOrReply, popEvent, pushEvent } from "./lists.js";
import { type CommandSpec, spec } from "./spec.js";

/**
 * lmoveGenericCommand: pops from argv[1] at one end and pushes onto argv[2] at the other,
 * replying with the element (null when the source is missing). Returns true when it moved one.
 */
export function lmoveGeneric(c: Client, fromHead: boolean, toHead: boolean): boolean {
  const argv = c.argv;
  const srcKey = argv[1];
  const dstKey = argv[2];
  const db = c.db;
  const src = collectionOrReply<ListObject>(c, srcKey, "list", true);
  if (src === undefined) return false;
  if (src === null) {
    c.out.nullBulk();
    return false;
  }
  const d = db.write(dstKey);
  if (d !== undefined && (typeof d === "string" || d.type !== "list")) {
    c.error(WRONGTYPE);
    return false;
  }
  const value = (fromHead ? src.popHead() : src.popTail())!;
  let dst = d as ListObject | undefined;
  if (dst === undefined) {
    dst = new ListObject();
    db.add(dstKey, dst);
  }
  if (toHead) dst.pushHead(value);
  else dst.pushTail(value);
  modified(c, db, dstKey, "l", pushEvent(toHead), 0);
  c.out.bulk(value);
  modified(c, db, srcKey, "l", popEvent(fromHead));
  deleteIfEmpty(c, db, srcKey, src);
  return true;
}

function lmoveCommand(c: Client): void {
  const from = listPositionOrReply(c, c.argv[3]);
  if (from === null) return;
  const to = listPositionOrReply(c, c.argv[4]);
  if (to === null) return;
  lmoveGeneric(c, from, to);
}

function rpoplpushCommand(c: Client): void {
  lmoveGeneric(c, false, true);
}

export interface MpopArgs {
  /** argv index of the first key. */
  firstKey: number;
  numKeys: number;
  head: boolean;
  count: number;
}

/** lmpopGenericCommand's parsing: numkeys at argv[numkeysIdx], keys, LEFT|RIGHT, [COUNT n]. */
export function parseMpopOrReply(c: Client, numkeysIdx: number): MpopArgs | null {
  const argv = c.argv;
  const numKeys = parseInteger(argv[numkeysIdx]);
  if (numKeys === null || numKeys < 1) {
    c.error("ERR numkeys should be greater than 0");
    return null;
  }
  const whereIdx = numkeysIdx + numKeys + 1;
  if (whereIdx >= argv.length) {
    c.error("ERR syntax error");
    return null;
  }
  const head = listPositionOrReply(c, argv[whereIdx]);
  if (head === null) return null;
  let count = -1;
  for (let j = whereIdx + 1; j < argv.length; j++) {
    if (count === -1 && is(argv[j], "count") && j + 1 < argv.length) {
      const n = parseInteger(argv[++j]);
      if (n === null || n < 1) {
        c.error("ERR count should be greater than 0");
        return null;
      }
      count = n;
    } else {
      c.error("ERR syntax error");
      return null;
    }
  }
  return { firstKey: numkeysIdx + 1, numKeys, head, count: count === -1 ? 1 : count };
}

/**
 * listPopRangeAndReplyWithKey: pops up to `count` elements, replies [key, [elements]] and
 * rewrites the command as `LPOP|RPOP key n` for propagation, as Redis replicates [B]LMPOP.
 */
export function mpopFromKey(c: Client, key: string, list: ListObject, head: boolean, count: number): void {
  const n = Math.min(count, list.length);
  const out = c.out;
  out.arrayHeader(2);
  out.bulk(key);
  out.arrayHeader(n);
  for (let i = 0; i < n; i++) out.bulk((head ? list.popHead() : list.popTail())!);
  listElementsRemoved(c, key, head, list, n);
  c.argv = [head ? "LPOP" : "RPOP", key, String(n)];
}

function lmpopCommand(c: Client): void {
  const args = parseMpopOrReply(c, 1);
  if (args === null) return;
  const argv = c.argv;
  for (let j = 0; j < args.numKeys; j++) {
    const key = argv[args.firstKey + j];
    const list = collectionOrReply<ListObject>(c, key, "list", true);
    if (list === undefined) return;
    if (list === null) continue;
    mpopFromKey(c, key, list, args.head, args.count);
    return;
  }
  c.out.nullArray();
}

export const listMoveCommands = [
  spec(
    "lmove",
    5,
    "write denyoom",
    [1, 2, 1],
    "list",
    "Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved.",
    "6.2.0",
    lmoveCommand,
  ),
  spec(
    "rpoplpush",
    3,
    "write denyoom",
    [1, 2, 1],
    "list",
    "Returns the last element of a list after removing and pushing it to another list. Deletes the list if the last element was popped.",
    "1.2.0",
    rpoplpushCommand,
  ),
  spec(
    "lmpop",
    -4,
    "write",
    [0, 0, 0],
    "list",
    "Returns multiple elements from a list after removing them. Deletes the list if the last element was popped.",
    "7.0.0",
    lmpopCommand,
    { getKeys: numkeysKeys(1) },
  ),
] satisfies CommandSpec[];
