/**
 * List commands (t_list.c): pushes, pops, index and range access, LINSERT, LREM, LTRIM, LPOS,
 * LMOVE/RPOPLPUSH and LMPOP. The blocking variants live in list-blocking.ts and share the
 * helpers exported here (`lmoveGeneric`, `mpopFromKey`, the argument parsers).
 *
 * Every write looks its keys up with write semantics before mutating, then signals the change
 * (`modified`: WATCH, wake-up of clients blocked on the key, memory, notification, dirty) and
 * deletes a list it emptied, in the order Redis notifies (event, then `del`).
 */

import { shared } from "@keyhaven/protocol";
import { ListObject } from "../keyspace/types/list.js";
import type { Client } from "../network/client.js";
import { intOrReply, is, parseInteger } from "./args.js";
import { collectionOrReply, deleteIfEmpty, existingOrReply, modified, WRONGTYPE } from "./common.js";
import { type CommandSpec, spec } from "./spec.js";

/**
 * getPositiveLongFromObjectOrReply: a non-negative integer; anything else (not an integer
 * either) replies `message`, as Redis's range helpers do when given a message.
 */
export function positiveLongOrReply(
  c: Client,
  s: string,
  message = "ERR value is out of range, must be positive",
): number | null {
  const n = parseInteger(s);
  if (n === null || n < 0) {
    c.error(message);
    return null;
  }
  return n;
}

/** rpush/lpush notification names by end. */
export function pushEvent(head: boolean): string {
  return head ? "lpush" : "rpush";
}

export function popEvent(head: boolean): string {
  return head ? "lpop" : "rpop";
}

/** getListPositionFromObjectOrReply: LEFT -> true (head), RIGHT -> false, else null after replying. */
export function listPositionOrReply(c: Client, arg: string): boolean | null {
  if (is(arg, "left")) return true;
  if (is(arg, "right")) return false;
  c.error("ERR syntax error");
  return null;
}

/** pushGenericCommand: LPUSH/RPUSH, and LPUSHX/RPUSHX when `xx`. */
function pushGeneric(c: Client, head: boolean, xx: boolean): void {
  const argv = c.argv;
  const key = argv[1];
  const db = c.db;
  const v = db.write(key);
  let list: ListObject;
  if (v === undefined) {
    if (xx) {
      c.out.raw(shared.ZERO);
      return;
    }
    list = new ListObject();
    db.add(key, list);
  } else if (typeof v === "string" || v.type !== "list") {
    c.error(WRONGTYPE);
    return;
  } else {
    list = v as ListObject;
  }
  const n = argv.length;
  if (head) for (let i = 2; i < n; i++) list.pushHead(argv[i]);
  else for (let i = 2; i < n; i++) list.pushTail(argv[i]);
  c.out.integer(list.length);
  modified(c, db, key, "l", pushEvent(head), n - 2);
}

/**
 * listElementsRemoved: the notification, deletion of an emptied list, signal and dirty count
 * after `count` elements were popped from one end.
 */
export function listElementsRemoved(
  c: Client,
  key: string,
  head: boolean,
  list: ListObject,
  count: number,
): void {
  modified(c, c.db, key, "l", popEvent(head), count);
  deleteIfEmpty(c, c.db, key, list);
}

/** popGenericCommand: LPOP/RPOP key [count]. */
function popGeneric(c: Client, head: boolean): void {
  const argv = c.argv;
  if (argv.length > 3) {
    c.error(`ERR wrong number of arguments for '${c.cmd!.fullName}' command`);
    return;
  }
  let count = -1;
  if (argv.length === 3) {
    const n = positiveLongOrReply(c, argv[2]);
    if (n === null) return;
    count = n;
  }
  const key = argv[1];
  const list = collectionOrReply<ListObject>(c, key, "list", true);
  if (list === undefined) return;
  if (list === null) {
    if (count === -1) c.out.nullBulk();
    else c.out.nullArray();
    return;
  }
  if (count === 0) {
    c.out.raw(shared.EMPTY_ARRAY);
    return;
  }
  if (count === -1) {
    c.out.bulk((head ? list.popHead() : list.popTail())!);
    listElementsRemoved(c, key, head, list, 1);
    return;
  }
  const n = Math.min(count, list.length);
  c.out.arrayHeader(n);
  for (let i = 0; i < n; i++) c.out.bulk((head ? list.popHead() : list.popTail())!);
  listElementsRemoved(c, key, head, list, n);
}

function llenCommand(c: Client): void {
  const list = collectionOrReply<ListObject>(c, c.argv[1], "list", false);
  if (list === undefined) return;
  c.out.integer(list === null ? 0 : list.length);
}

function lindexCommand(c: Client): void {
  const list = collectionOrReply<ListObject>(c, c.argv[1], "list", false);
  if (list === undefined) return;
  if (list === null) {
    c.out.nullBulk();
    return;
  }
  let index = intOrReply(c, c.argv[2]);
  if (index === null) return;
  const len = list.length;
  if (index < 0) index += len;
  if (index < 0 || index >= len) c.out.nullBulk();
  else c.out.bulk(list.get(index));
}

function lsetCommand(c: Client): void {
  const argv = c.argv;
  const key = argv[1];
  const v = c.db.write(key);
  if (v === undefined) {
    c.error("ERR no such key");
    return;
  }
  if (typeof v === "string" || v.type !== "list") {
    c.error(WRONGTYPE);
    return;
  }
  let index = intOrReply(c, argv[2]);
  if (index === null) return;
  const list = v as ListObject;
  const len = list.length;
  if (index < 0) index += len;
  if (index < 0 || index >= len) {
    c.error("ERR index out of range");
    return;
  }
  list.set(index, argv[3]);
  c.out.raw(shared.OK);
  modified(c, c.db, key, "l", "lset");
}

/**
 * addListRangeReply: the elements of [start, end] (negative indexes from the end). Writes an
 * empty array when the range is empty.
 */
export function replyListRange(c: Client, list: ListObject, start: number, end: number): void {
  const len = list.length;
  // Redis's clamping (negative from the end, then start > end || start >= len means empty),
  // with end clamped to len - 1 first so that one test remains. LTRIM, ZRANGE and
  // ZREMRANGEBYRANK clamp their ranks the same way.
  const first = start >= 0 ? start : Math.max(start + len, 0);
  const last = end < 0 ? end + len : end < len ? end : len - 1;
  if (first > last) {
    c.out.raw(shared.EMPTY_ARRAY);
    return;
  }
  const out = c.out;
  out.arrayHeader(last - first + 1);
  for (let i = first; i <= last; i++) out.bulk(list.get(i));
}

function lrangeCommand(c: Client): void {
  const argv = c.argv;
  const start = intOrReply(c, argv[2]);
  if (start === null) return;
  const end = intOrReply(c, argv[3]);
  if (end === null) return;
  const list = existingOrReply<ListObject>(c, argv[1], "list", false, shared.EMPTY_ARRAY);
  if (list !== null) replyListRange(c, list, start, end);
}

function ltrimCommand(c: Client): void {
  const argv = c.argv;
  const start = intOrReply(c, argv[2]);
  if (start === null) return;
  const end = intOrReply(c, argv[3]);
  if (end === null) return;
  const key = argv[1];
  const list = existingOrReply<ListObject>(c, key, "list", true, shared.OK);
  if (list === null) return;
  const len = list.length;
  const first = start >= 0 ? start : Math.max(start + len, 0);
  const last = end < 0 ? end + len : end < len ? end : len - 1;
  // An empty range empties the list.
  const ltrim = first > last ? len : first;
  const rtrim = first > last ? 0 : len - last - 1;
  list.removeRange(0, ltrim);
  list.removeRange(list.length - rtrim, rtrim);
  // Redis notifies "ltrim" even when nothing was removed, but only counts removed elements as dirty.
  modified(c, c.db, key, "l", "ltrim", ltrim + rtrim);
  deleteIfEmpty(c, c.db, key, list);
  c.out.raw(shared.OK);
}

function lremCommand(c: Client): void {
  const argv = c.argv;
  const count = intOrReply(c, argv[2]);
  if (count === null) return;
  const key = argv[1];
  const list = existingOrReply<ListObject>(c, key, "list", true, shared.ZERO);
  if (list === null) return;
  const removed = list.removeMatching(argv[3], count);
  if (removed > 0) {
    modified(c, c.db, key, "l", "lrem", removed);
    deleteIfEmpty(c, c.db, key, list);
  }
  c.out.integer(removed);
}

function linsertCommand(c: Client): void {
  const argv = c.argv;
  let after: boolean;
  if (is(argv[2], "after")) after = true;
  else if (is(argv[2], "before")) after = false;
  else {
    c.error("ERR syntax error");
    return;
  }
  const key = argv[1];
  const list = existingOrReply<ListObject>(c, key, "list", true, shared.ZERO);
  if (list === null) return;
  const at = list.indexOf(argv[3]);
  if (at < 0) {
    c.out.raw(shared.MINUS_ONE);
    return;
  }
  list.insertAt(after ? at + 1 : at, argv[4]);
  modified(c, c.db, key, "l", "linsert");
  c.out.integer(list.length);
}

/** -2^63: LPOS RANK's negation overflows in C, which makes it match from the first hit. */
const LONG_MIN = -(2 ** 63);

function lposCommand(c: Client): void {
  const argv = c.argv;
  let rank = 1;
  let count = -1;
  let maxlen = 0;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j];
    const more = j + 1 < argv.length;
    if (is(opt, "rank") && more) {
      const n = intOrReply(c, argv[++j]);
      if (n === null) return;
      if (n === 0) {
        c.error(
          "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
        );
        return;
      }
      rank = n;
    } else if (is(opt, "count") && more) {
      const n = positiveLongOrReply(c, argv[++j], "ERR COUNT can't be negative");
      if (n === null) return;
      count = n;
    } else if (is(opt, "maxlen") && more) {
      const n = positiveLongOrReply(c, argv[++j], "ERR MAXLEN can't be negative");
      if (n === null) return;
      maxlen = n;
    } else {
      c.error("ERR syntax error");
      return;
    }
  }
  let fromTail = false;
  let countLimit = count;
  if (rank < 0) {
    fromTail = true;
    if (rank === LONG_MIN) {
      // Redis's rank stays negative, so every match counts and COUNT never stops the scan.
      rank = 1;
      if (countLimit > 0) countLimit = 0;
    } else {
      rank = -rank;
    }
  }
  const list = collectionOrReply<ListObject>(c, argv[1], "list", false);
  if (list === undefined) return;
  if (list === null) {
    if (count !== -1) c.out.raw(shared.EMPTY_ARRAY);
    else c.out.nullBulk();
    return;
  }
  const element = argv[2];
  const len = list.length;
  const limit = maxlen === 0 ? len : Math.min(maxlen, len);
  let matches = 0;
  if (count === -1) {
    for (let k = 0; k < limit; k++) {
      const i = fromTail ? len - 1 - k : k;
      if (list.get(i) === element && ++matches >= rank) {
        c.out.integer(i);
        return;
      }
    }
    c.out.nullBulk();
    return;
  }
  const found: number[] = [];
  for (let k = 0; k < limit; k++) {
    const i = fromTail ? len - 1 - k : k;
    if (list.get(i) === element && ++matches >= rank) {
      found.push(i);
      if (countLimit !== 0 && matches - rank + 1 >= countLimit) break;
    }
  }
  c.out.arrayHeader(found.length);
  for (const i of found) c.out.integer(i);
}

export const listCommands = [
  spec(
    "lpush",
    -3,
    "write denyoom fast",
    [1, 1, 1],
    "list",
    "Prepends one or more elements to a list. Creates the key if it doesn't exist.",
    "1.0.0",
    (c) => pushGeneric(c, true, false),
  ),
  spec(
    "rpush",
    -3,
    "write denyoom fast",
    [1, 1, 1],
    "list",
    "Appends one or more elements to a list. Creates the key if it doesn't exist.",
    "1.0.0",
    (c) => pushGeneric(c, false, false),
  ),
  spec(
    "lpushx",
    -3,
    "write denyoom fast",
    [1, 1, 1],
    "list",
    "Prepends one or more elements to a list only when the list exists.",
    "2.2.0",
    (c) => pushGeneric(c, true, true),
  ),
  spec(
    "rpushx",
    -3,
    "write denyoom fast",
    [1, 1, 1],
    "list",
    "Appends an element to a list only when the list exists.",
    "2.2.0",
    (c) => pushGeneric(c, false, true),
  ),
  spec(
    "lpop",
    -2,
    "write fast",
    [1, 1, 1],
    "list",
    "Returns the first elements in a list after removing it. Deletes the list if the last element was popped.",
    "1.0.0",
    (c) => popGeneric(c, true),
  ),
  spec(
    "rpop",
    -2,
    "write fast",
    [1, 1, 1],
    "list",
    "Returns and removes the last elements of a list. Deletes the list if the last element was popped.",
    "1.0.0",
    (c) => popGeneric(c, false),
  ),
  spec("llen", 2, "readonly fast", [1, 1, 1], "list", "Returns the length of a list.", "1.0.0", llenCommand),
  spec(
    "lindex",
    3,
    "readonly",
    [1, 1, 1],
    "list",
    "Returns an element from a list by its index.",
    "1.0.0",
    lindexCommand,
  ),
  spec(
    "lset",
    4,
    "write denyoom",
    [1, 1, 1],
    "list",
    "Sets the value of an element in a list by its index.",
    "1.0.0",
    lsetCommand,
  ),
  spec(
    "lrange",
    4,
    "readonly",
    [1, 1, 1],
    "list",
    "Returns a range of elements from a list.",
    "1.0.0",
    lrangeCommand,
  ),
  spec(
    "ltrim",
    4,
    "write",
    [1, 1, 1],
    "list",
    "Removes elements from both ends a list. Deletes the list if all elements were trimmed.",
    "1.0.0",
    ltrimCommand,
  ),
  spec(
    "lrem",
    4,
    "write",
    [1, 1, 1],
    "list",
    "Removes elements from a list. Deletes the list if the last element was removed.",
    "1.0.0",
    lremCommand,
  ),
  spec(
    "linsert",
    5,
    "write denyoom",
    [1, 1, 1],
    "list",
    "Inserts an element before or after another element in a list.",
    "2.2.0",
    linsertCommand,
  ),
  spec(
    "lpos",
    -3,
    "readonly",
    [1, 1, 1],
    "list",
    "Returns the index of matching elements in a list.",
    "6.0.6",
    lposCommand,
  ),
] satisfies CommandSpec[];
