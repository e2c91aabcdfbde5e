/**
 * Set commands (t_set.c): SADD/SREM/SMOVE, membership, SRANDMEMBER/SPOP, the set algebra
 * (SINTER, SINTERCARD, SUNION, SDIFF and their STORE forms) and SSCAN.
 *
 * Reply shapes follow Redis 7.0: SMEMBERS, SPOP with a count and the set algebra are RESP3 sets,
 * SRANDMEMBER with a count is an array (it may repeat members). Results of the algebra are built
 * as a fresh set that starts as an intset, like Redis's dstset, so an all-integer result replies
 * in ascending order exactly as Redis does.
 *
 * Randomness is propagated deterministically: SPOP becomes SREM (one per popped member, wrapped
 * in MULTI/EXEC by the propagator when several), or DEL when it empties the set.
 */

import { shared } from "@keyhaven/protocol";
import { SetObject } from "../keyspace/types/set.js";
import type { Client } from "../network/client.js";
import { globMatch } from "../util/glob.js";
import { is, parseInteger } from "./args.js";
import { collectionOrReply, deleteIfEmpty, existingOrReply, modified, WRONGTYPE } from "./common.js";
import { randomCountOrReply, uniqueRandomPositions } from "./hashes.js";
import { numkeysKeys } from "./key-specs.js";
import { positiveLongOrReply } from "./lists.js";
import { parseCursorOrReply, parseScanOptions, replyScan } from "./scan.js";
import { type CommandSpec, spec } from "./spec.js";

function readSet(c: Client, key: string): SetObject | null | undefined {
  return collectionOrReply<SetObject>(c, key, "set", false);
}

function saddCommand(c: Client): void {
  const argv = c.argv;
  const key = argv[1];
  const db = c.db;
  const v = db.write(key);
  let set: SetObject;
  if (v === undefined) {
    set = SetObject.forMember(argv[2]);
    db.add(key, set);
  } else if (typeof v === "string" || v.type !== "set") {
    c.error(WRONGTYPE);
    return;
  } else {
    set = v as SetObject;
  }
  let added = 0;
  for (let i = 2; i < argv.length; i++) if (set.add(argv[i])) added++;
  if (added > 0) modified(c, db, key, "s", "sadd", added);
  c.out.integer(added);
}

function sremCommand(c: Client): void {
  const argv = c.argv;
  const key = argv[1];
  const set = existingOrReply<SetObject>(c, key, "set", true, shared.ZERO);
  if (set === null) return;
  let removed = 0;
  for (let i = 2; i < argv.length; i++) {
    if (set.remove(argv[i])) {
      removed++;
      if (set.size() === 0) break;
    }
  }
  if (removed > 0) {
    modified(c, c.db, key, "s", "srem", removed);
    deleteIfEmpty(c, c.db, key, set);
  }
  c.out.integer(removed);
}

function smoveCommand(c: Client): void {
  const [, srcKey, dstKey, member] = c.argv;
  const db = c.db;
  const s = db.write(srcKey);
  const d = db.write(dstKey);
  if (s === undefined) {
    c.out.raw(shared.ZERO);
    return;
  }
  if (
    typeof s === "string" ||
    s.type !== "set" ||
    (d !== undefined && (typeof d === "string" || d.type !== "set"))
  ) {
    c.error(WRONGTYPE);
    return;
  }
  const src = s as SetObject;
  if (src === d) {
    c.out.raw(src.has(member) ? shared.ONE : shared.ZERO);
    return;
  }
  if (!src.remove(member)) {
    c.out.raw(shared.ZERO);
    return;
  }
  modified(c, db, srcKey, "s", "srem");
  deleteIfEmpty(c, db, srcKey, src);
  let dst = d as SetObject | undefined;
  if (dst === undefined) {
    dst = SetObject.forMember(member);
    db.add(dstKey, dst);
  }
  if (dst.add(member)) modified(c, db, dstKey, "s", "sadd");
  else c.server.signalModifiedKey(db, dstKey);
  c.out.raw(shared.ONE);
}

function sismemberCommand(c: Client): void {
  const set = readSet(c, c.argv[1]);
  if (set === undefined) return;
  c.out.raw(set?.has(c.argv[2]) ? shared.ONE : shared.ZERO);
}

function smismemberCommand(c: Client): void {
  const argv = c.argv;
  const set = readSet(c, argv[1]);
  if (set === undefined) return;
  c.out.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) c.out.raw(set?.has(argv[i]) ? shared.ONE : shared.ZERO);
}

function scardCommand(c: Client): void {
  const set = readSet(c, c.argv[1]);
  if (set === undefined) return;
  c.out.integer(set === null ? 0 : set.size());
}

function replyWholeSet(c: Client, set: SetObject, asSet: boolean): void {
  const n = set.size();
  if (asSet) c.out.setHeader(n);
  else c.out.arrayHeader(n);
  for (let i = 0; i < n; i++) c.out.bulk(set.memberAt(i));
}

function smembersCommand(c: Client): void {
  const set = readSet(c, c.argv[1]);
  if (set === undefined) return;
  if (set === null) c.out.setHeader(0);
  else replyWholeSet(c, set, true);
}

function srandmemberCommand(c: Client): void {
  const argv = c.argv;
  if (argv.length > 3) {
    c.error("ERR syntax error");
    return;
  }
  if (argv.length === 2) {
    const set = readSet(c, argv[1]);
    if (set === undefined) return;
    if (set === null) c.out.nullBulk();
    else c.out.bulk(set.memberAt(set.randomPosition()));
    return;
  }
  const l = randomCountOrReply(c, argv[2]);
  if (l === null) return;
  const set = readSet(c, argv[1]);
  if (set === undefined) return;
  const count = Math.abs(l);
  if (set === null || count === 0) {
    c.out.raw(shared.EMPTY_ARRAY);
    return;
  }
  const size = set.size();
  if (l < 0) {
    c.out.arrayHeader(count);
    for (let i = 0; i < count; i++) c.out.bulk(set.memberAt(set.randomPosition()));
    return;
  }
  if (count >= size) {
    replyWholeSet(c, set, false);
    return;
  }
  const picks = uniqueRandomPositions(size, count);
  c.out.arrayHeader(count);
  for (const pos of picks) c.out.bulk(set.memberAt(pos));
}

/** SPOP_MOVE_STRATEGY_MUL: when few members remain, Redis rebuilds the set from them. */
const SPOP_MOVE_STRATEGY_MUL = 5;

function spopWithCount(c: Client): void {
  const argv = c.argv;
  const count = positiveLongOrReply(c, argv[2]);
  if (count === null) return;
  const key = argv[1];
  const db = c.db;
  const set = collectionOrReply<SetObject>(c, key, "set", true);
  if (set === undefined) return;
  if (set === null || count === 0) {
    c.out.setHeader(0);
    return;
  }
  const size = set.size();
  if (count >= size) {
    // Redis replies through sunionDiffGenericCommand here, whose read lookup counts a hit.
    db.read(key);
    replyWholeSet(c, set, true);
    modified(c, db, key, "s", "spop", count);
    db.delete(key);
    c.server.notify("g", "del", key, db.id);
    c.server.dirty++;
    c.argv = ["DEL", key];
    return;
  }
  const propagator = c.server.propagator;
  const propagate = propagator.active;
  c.out.setHeader(count);
  for (let i = 0; i < count; i++) {
    const m = set.removeAt(set.randomPosition());
    c.out.bulk(m);
    if (propagate) propagator.alsoPropagate(db.id, ["SREM", key, m]);
  }
  c.preventPropagation = true;
  const remaining = size - count;
  if (remaining * SPOP_MOVE_STRATEGY_MUL <= count && !set.isIntset) {
    // Redis builds a new set from the few remaining members (setTypeCreate), which may bring
    // back the intset encoding.
    const rebuilt = SetObject.forMember(set.memberAt(0));
    for (let i = 0; i < remaining; i++) rebuilt.add(set.memberAt(i));
    db.overwrite(db.peek(key)!, rebuilt);
  }
  modified(c, db, key, "s", "spop", count + 1);
}

function spopCommand(c: Client): void {
  const argv = c.argv;
  if (argv.length === 3) {
    spopWithCount(c);
    return;
  }
  if (argv.length > 3) {
    c.error("ERR syntax error");
    return;
  }
  const key = argv[1];
  const set = collectionOrReply<SetObject>(c, key, "set", true);
  if (set === undefined) return;
  if (set === null) {
    c.out.nullBulk();
    return;
  }
  const m = set.removeAt(set.randomPosition());
  c.out.bulk(m);
  modified(c, c.db, key, "s", "spop");
  deleteIfEmpty(c, c.db, key, set);
  c.argv = ["SREM", key, m];
}

/**
 * The sets named by argv[first..first+n): an array with null for missing keys, or undefined
 * after replying WRONGTYPE for the first key of another type.
 */
function lookupSets(c: Client, first: number, n: number): (SetObject | null)[] | undefined {
  const argv = c.argv;
  const sets: (SetObject | null)[] = [];
  for (let j = 0; j < n; j++) {
    const set = collectionOrReply<SetObject>(c, argv[first + j], "set", false);
    if (set === undefined) return undefined;
    sets.push(set);
  }
  return sets;
}

/**
 * Stores `result` at `dstKey` (setKey, dropping any TTL) or deletes `dstKey` when the result is
 * empty, with Redis's notifications; replies the stored size.
 */
function storeSetResult(c: Client, dstKey: string, result: SetObject, event: string): void {
  const db = c.db;
  const n = result.size();
  if (n > 0) {
    db.set(dstKey, result);
    modified(c, db, dstKey, "s", event);
  } else if (db.write(dstKey) !== undefined) {
    db.delete(dstKey);
    c.server.signalDeletedKey(db, dstKey);
    c.server.notify("g", "del", dstKey, db.id);
    c.server.dirty++;
  }
  c.out.integer(n);
}

/**
 * sinterGenericCommand: SINTER (dstKey null), SINTERSTORE, and SINTERCARD (`cardinalityOnly`,
 * stopping at `limit` when > 0).
 */
function sinterGeneric(
  c: Client,
  first: number,
  n: number,
  dstKey: string | null,
  cardinalityOnly: boolean,
  limit: number,
): void {
  const found = lookupSets(c, first, n);
  if (found === undefined) return;
  const result = cardinalityOnly ? null : new SetObject();
  let cardinality = 0;
  if (!found.includes(null)) {
    const sets = (found as SetObject[]).sort((a, b) => a.size() - b.size());
    const smallest = sets[0];
    const size = smallest.size();
    outer: for (let i = 0; i < size; i++) {
      const m = smallest.memberAt(i);
      for (let j = 1; j < sets.length; j++) {
        if (sets[j] !== smallest && !sets[j].has(m)) continue outer;
      }
      cardinality++;
      result?.add(m);
      if (limit > 0 && cardinality >= limit) break;
    }
  }
  if (cardinalityOnly) c.out.integer(cardinality);
  else if (dstKey !== null) storeSetResult(c, dstKey, result!, "sinterstore");
  else replyWholeSet(c, result!, true);
}

function sinterCommand(c: Client): void {
  sinterGeneric(c, 1, c.argv.length - 1, null, false, 0);
}

function sinterstoreCommand(c: Client): void {
  sinterGeneric(c, 2, c.argv.length - 2, c.argv[1], false, 0);
}

function sintercardCommand(c: Client): void {
  const argv = c.argv;
  const numKeys = parseInteger(argv[1]);
  if (numKeys === null || numKeys < 1) {
    c.error("ERR numkeys should be greater than 0");
    return;
  }
  if (numKeys > argv.length - 2) {
    c.error("ERR Number of keys can't be greater than number of args");
    return;
  }
  let limit = 0;
  for (let j = 2 + numKeys; j < argv.length; j++) {
    if (is(argv[j], "limit") && j + 1 < argv.length) {
      const n = parseInteger(argv[++j]);
      if (n === null || n < 0) {
        c.error("ERR LIMIT can't be negative");
        return;
      }
      limit = n;
    } else {
      c.error("ERR syntax error");
      return;
    }
  }
  sinterGeneric(c, 2, numKeys, null, true, limit);
}

/** sunionDiffGenericCommand: SUNION/SDIFF and their STORE forms. */
function sunionDiffGeneric(c: Client, first: number, n: number, dstKey: string | null, diff: boolean): void {
  const sets = lookupSets(c, first, n);
  if (sets === undefined) return;
  const result = new SetObject();
  const base = sets[0];
  if (!diff) {
    for (const set of sets) {
      if (set === null) continue;
      const size = set.size();
      for (let i = 0; i < size; i++) result.add(set.memberAt(i));
    }
  } else if (base !== null) {
    // Redis's two DIFF algorithms: probe the other sets per member of the first (O(N*M)), or
    // copy the first and remove the others' members (O(total)), whichever costs less.
    let probeWork = 0;
    let removeWork = 0;
    for (const set of sets) {
      if (set === null) continue;
      probeWork += base.size();
      removeWork += set.size();
    }
    const size = base.size();
    if (probeWork / 2 <= removeWork) {
      outer: for (let i = 0; i < size; i++) {
        const m = base.memberAt(i);
        for (let j = 1; j < sets.length; j++) {
          const other = sets[j];
          if (other === null) continue;
          if (other === base || other.has(m)) continue outer;
        }
        result.add(m);
      }
    } else {
      for (let i = 0; i < size; i++) result.add(base.memberAt(i));
      for (let j = 1; j < sets.length && result.size() > 0; j++) {
        const other = sets[j];
        if (other === null) continue;
        const osize = other.size();
        for (let i = 0; i < osize; i++) result.remove(other.memberAt(i));
      }
    }
  }
  if (dstKey !== null) storeSetResult(c, dstKey, result, diff ? "sdiffstore" : "sunionstore");
  else replyWholeSet(c, result, true);
}

function sscanCommand(c: Client): void {
  const cursor = parseCursorOrReply(c, c.argv[2]);
  if (cursor === null) return;
  const set = readSet(c, c.argv[1]);
  if (set === undefined) return;
  if (set === null) {
    replyScan(c, 0, []);
    return;
  }
  const opts = parseScanOptions(c, 3, false);
  if (opts === null) return;
  const positions: number[] = [];
  const next = set.scan(cursor, opts.count, positions);
  const items: string[] = [];
  for (const pos of positions) {
    const m = set.memberAt(pos);
    if (opts.pattern === null || globMatch(opts.pattern, m)) items.push(m);
  }
  replyScan(c, next, items);
}

export const setCommands = [
  spec(
    "sadd",
    -3,
    "write denyoom fast",
    [1, 1, 1],
    "set",
    "Adds one or more members to a set. Creates the key if it doesn't exist.",
    "1.0.0",
    saddCommand,
  ),
  spec(
    "srem",
    -3,
    "write fast",
    [1, 1, 1],
    "set",
    "Removes one or more members from a set. Deletes the set if the last member was removed.",
    "1.0.0",
    sremCommand,
  ),
  spec(
    "smove",
    4,
    "write fast",
    [1, 2, 1],
    "set",
    "Moves a member from one set to another.",
    "1.0.0",
    smoveCommand,
  ),
  spec(
    "sismember",
    3,
    "readonly fast",
    [1, 1, 1],
    "set",
    "Determines whether a member belongs to a set.",
    "1.0.0",
    sismemberCommand,
  ),
  spec(
    "smismember",
    -3,
    "readonly fast",
    [1, 1, 1],
    "set",
    "Determines whether multiple members belong to a set.",
    "6.2.0",
    smismemberCommand,
  ),
  spec(
    "scard",
    2,
    "readonly fast",
    [1, 1, 1],
    "set",
    "Returns the number of members in a set.",
    "1.0.0",
    scardCommand,
  ),
  spec(
    "smembers",
    2,
    "readonly",
    [1, 1, 1],
    "set",
    "Returns all members of a set.",
    "1.0.0",
    smembersCommand,
  ),
  spec(
    "srandmember",
    -2,
    "readonly",
    [1, 1, 1],
    "set",
    "Get one or multiple random members from a set",
    "1.0.0",
    srandmemberCommand,
  ),
  spec(
    "spop",
    -2,
    "write fast",
    [1, 1, 1],
    "set",
    "Returns one or more random members from a set after removing them. Deletes the set if the last member was popped.",
    "1.0.0",
    spopCommand,
  ),
  spec(
    "sinter",
    -2,
    "readonly",
    [1, -1, 1],
    "set",
    "Returns the intersect of multiple sets.",
    "1.0.0",
    sinterCommand,
  ),
  spec(
    "sintercard",
    -3,
    "readonly",
    [0, 0, 0],
    "set",
    "Returns the number of members of the intersect of multiple sets.",
    "7.0.0",
    sintercardCommand,
    { getKeys: numkeysKeys(1) },
  ),
  spec(
    "sinterstore",
    -3,
    "write denyoom",
    [1, -1, 1],
    "set",
    "Stores the intersect of multiple sets in a key.",
    "1.0.0",
    sinterstoreCommand,
  ),
  spec("sunion", -2, "readonly", [1, -1, 1], "set", "Returns the union of multiple sets.", "1.0.0", (c) =>
    sunionDiffGeneric(c, 1, c.argv.length - 1, null, false),
  ),
  spec(
    "sunionstore",
    -3,
    "write denyoom",
    [1, -1, 1],
    "set",
    "Stores the union of multiple sets in a key.",
    "1.0.0",
    (c) => sunionDiffGeneric(c, 2, c.argv.length - 2, c.argv[1], false),
  ),
  spec("sdiff", -2, "readonly", [1, -1, 1], "set", "Returns the difference of multiple sets.", "1.0.0", (c) =>
    sunionDiffGeneric(c, 1, c.argv.length - 1, null, true),
  ),
  spec(
    "sdiffstore",
    -3,
    "write denyoom",
    [1, -1, 1],
    "set",
    "Stores the difference of multiple sets in a key.",
    "1.0.0",
    (c) => sunionDiffGeneric(c, 2, c.argv.length - 2, c.argv[1], true),
  ),
  spec("sscan", -3, "readonly", [1, 1, 1], "set", "Iterates over members of a set.", "2.8.0", sscanCommand),
] satisfies CommandSpec[];
