/**
 * Blocking list commands (t_list.c blockingPopGenericCommand, blmoveGenericCommand): BLPOP,
 * BRPOP, BLMPOP, BLMOVE, BRPOPLPUSH.
 *
 * A command that finds data serves itself at once, exactly like its non-blocking form, and is
 * propagated as that form (BLPOP -> LPOP key, BLMPOP -> LPOP|RPOP key n, BLMOVE -> LMOVE,
 * BRPOPLPUSH -> RPOPLPUSH), as Redis 7.0 writes them to the AOF and replicas. Otherwise the
 * client blocks through exec/blocking.ts; when a key it waits on is signalled ready, the same
 * handler runs again in "reprocessing" mode (the client still carries ClientFlag.Blocked), and
 * either serves or calls blockForKeys again, which keeps its FIFO place.
 *
 * Differences of the reprocessing run, to match Redis 7.0's serveClientsBlockedOnListKey:
 * a key that now holds another type is skipped instead of answering WRONGTYPE (7.0 only wakes
 * list waiters for lists). A timeout (or CLIENT UNBLOCK) replies a null array for every one of
 * them, BLMOVE included (replyToBlockedClientTimedOut). Inside MULTI/EXEC nothing blocks: the
 * reply is a null array, or a null bulk for BLMOVE/BRPOPLPUSH, even with timeout 0.
 */

import { clock } from "../keyspace/clock.js";
import type { ListObject } from "../keyspace/types/list.js";
import { type Client, ClientFlag } from "../network/client.js";
import { timeoutOrReply } from "./args.js";
import { WRONGTYPE } from "./common.js";
import { numkeysKeys } from "./key-specs.js";
import { lmoveGeneric, mpopFromKey, parseMpopOrReply } from "./list-moves.js";
import { listElementsRemoved, listPositionOrReply } from "./lists.js";
import { type CommandSpec, spec } from "./spec.js";

function replyNullArray(c: Client): void {
  c.out.nullArray();
}

/**
 * The list at `key` for a blocking command: the list, null when absent or empty (or, while
 * reprocessing, of another type), or undefined after replying WRONGTYPE.
 */
function blockingListOrReply(c: Client, key: string): ListObject | null | undefined {
  const v = c.db.write(key);
  if (v === undefined) return null;
  if (typeof v === "string" || v.type !== "list") {
    if (c.has(ClientFlag.Blocked)) return null;
    c.error(WRONGTYPE);
    return undefined;
  }
  return (v as ListObject).length === 0 ? null : (v as ListObject);
}

/**
 * blockingPopGenericCommand: serves from the first non-empty key in argv[firstKey..+numKeys),
 * or blocks. `count` is -1 for BLPOP/BRPOP (reply [key, element]) and >= 1 for BLMPOP
 * (reply [key, [elements]]).
 */
function blockingPopGeneric(
  c: Client,
  firstKey: number,
  numKeys: number,
  head: boolean,
  timeoutIdx: number,
  count: number,
): void {
  const argv = c.argv;
  const deadline = timeoutOrReply(c, argv[timeoutIdx], clock.ms);
  if (deadline === null) return;
  const blocking = c.server.blocking;
  // Woken by a ready key: serve that one first (serveClientsBlockedOnListKey).
  const ready = c.has(ClientFlag.Blocked) ? blocking.servingKey : null;
  for (let j = ready === null ? 0 : -1; j < numKeys; j++) {
    const key = j < 0 ? ready! : argv[firstKey + j];
    const list = blockingListOrReply(c, key);
    if (list === undefined) return;
    if (list === null) continue;
    if (count !== -1) {
      mpopFromKey(c, key, list, head, count);
      return;
    }
    const value = (head ? list.popHead() : list.popTail())!;
    c.out.arrayHeader(2);
    c.out.bulk(key);
    c.out.bulk(value);
    listElementsRemoved(c, key, head, list, 1);
    c.argv = [head ? "LPOP" : "RPOP", key];
    return;
  }
  if (!blocking.canBlock(c)) {
    c.out.nullArray();
    return;
  }
  blocking.blockForKeys(c, argv.slice(firstKey, firstKey + numKeys), deadline, replyNullArray);
}

function blpopCommand(c: Client): void {
  blockingPopGeneric(c, 1, c.argv.length - 2, true, c.argv.length - 1, -1);
}

function brpopCommand(c: Client): void {
  blockingPopGeneric(c, 1, c.argv.length - 2, false, c.argv.length - 1, -1);
}

function blmpopCommand(c: Client): void {
  const args = parseMpopOrReply(c, 2);
  if (args === null) return;
  blockingPopGeneric(c, args.firstKey, args.numKeys, args.head, 1, args.count);
}

/** blmoveGenericCommand: LMOVE when the source has data, else block on the source. */
function blmoveGeneric(c: Client, fromHead: boolean, toHead: boolean, timeoutIdx: number): void {
  const argv = c.argv;
  const deadline = timeoutOrReply(c, argv[timeoutIdx], clock.ms);
  if (deadline === null) return;
  const src = blockingListOrReply(c, argv[1]);
  if (src === undefined) return;
  if (src === null) {
    const blocking = c.server.blocking;
    if (!blocking.canBlock(c)) c.out.nullBulk();
    else blocking.blockForKeys(c, [argv[1]], deadline, replyNullArray);
    return;
  }
  if (!lmoveGeneric(c, fromHead, toHead)) return;
  c.argv = timeoutIdx === 3 ? ["RPOPLPUSH", argv[1], argv[2]] : ["LMOVE", argv[1], argv[2], argv[3], argv[4]];
}

function blmoveCommand(c: Client): void {
  const from = listPositionOrReply(c, c.argv[3]);
  if (from === null) return;
  const to = listPositionOrReply(c, c.argv[4]);
  if (to === null) return;
  blmoveGeneric(c, from, to, 5);
}

function brpoplpushCommand(c: Client): void {
  blmoveGeneric(c, false, true, 3);
}

export const listBlockingCommands = [
  spec(
    "blpop",
    -3,
    "write noscript blocking",
    [1, -2, 1],
    "list",
    "Removes and returns the first element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.",
    "2.0.0",
    blpopCommand,
  ),
  spec(
    "brpop",
    -3,
    "write noscript blocking",
    [1, -2, 1],
    "list",
    "Removes and returns the last element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.",
    "2.0.0",
    brpopCommand,
  ),
  spec(
    "blmpop",
    -5,
    "write blocking",
    [0, 0, 0],
    "list",
    "Pops the first element from one of multiple lists. Blocks until an element is available otherwise. Deletes the list if the last element was popped.",
    "7.0.0",
    blmpopCommand,
    { getKeys: numkeysKeys(2) },
  ),
  spec(
    "blmove",
    6,
    "write denyoom noscript blocking",
    [1, 2, 1],
    "list",
    "Pops an element from a list, pushes it to another list and returns it. Blocks until an element is available otherwise. Deletes the list if the last element was moved.",
    "6.2.0",
    blmoveCommand,
  ),
  spec(
    "brpoplpush",
    4,
    "write denyoom noscript blocking",
    [1, 2, 1],
    "list",
    "Pops an element from a list, pushes it to another list and returns it. Block until an element is available otherwise. Deletes the list if the last element was popped.",
    "2.2.0",
    brpoplpushCommand,
  ),
] satisfies CommandSpec[];
