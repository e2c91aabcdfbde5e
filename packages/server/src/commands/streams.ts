/**
 * Stream commands on entries (t_stream.c): XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM, XSETID.
 * Reading with XREAD/XREADGROUP is in stream-read.ts, consumer groups in stream-groups.ts,
 * XINFO in stream-info.ts.
 *
 * Propagation (as Redis 7.0 rewrites its argv): XADD with `*` or `ms-*` propagates the ID it
 * generated; a `~` trim (XADD or XTRIM) propagates as `=` with the exact result (the stream's
 * length for MAXLEN, its first entry ID, tombstones included, for MINID), because approximate
 * trimming depends on node boundaries a replica need not share. Our master's and the AOF's
 * trims run without the LIMIT a client gets (mustObeyClient).
 *
 * Notifications (class 't'): xadd, xtrim, xdel, xsetid. XSETID, like Redis, does not signal the
 * key as modified (WATCH is not touched).
 */

import { shared } from "@keyhaven/protocol";
import { clock } from "../keyspace/clock.js";
import { typeLimits } from "../keyspace/types/limits.js";
import {
  STREAM_LISTPACK_MAX_SIZE,
  StreamObject,
  TRIM_MAXLEN,
  TRIM_MINID,
  TRIM_NONE,
  type TrimArgs,
} from "../keyspace/types/stream.js";
import { StreamCursor } from "../keyspace/types/stream-cursor.js";
import {
  compareIds,
  formatId,
  ID_INVALID,
  incrU64,
  PARSE_FAIL,
  PARSE_SEQ_STAR,
  parseId,
  StreamId,
  U64_MAX,
} from "../keyspace/types/stream-id.js";
import type { Client } from "../network/client.js";
import { intOrReply, is, positiveIntOrReply } from "./args.js";
import { type CommandSpec, spec } from "./spec.js";
import {
  idOrReply,
  mustObey,
  rangeEndOrReply,
  rangeStartOrReply,
  replyEntry,
  streamOrReply,
} from "./stream-common.js";

/** streamAddTrimArgs. */
interface AddTrimArgs extends TrimArgs {
  /** argv index of the trim count/ID, for the propagation rewrite. */
  argIdx: number;
  idGiven: boolean;
  seqGiven: boolean;
  noMkstream: boolean;
}

const scratchId = new StreamId();
const addId = new StreamId();
const cursor = new StreamCursor();

/** getLongLongFromObjectOrReply. */

/**
 * streamParseAddOrTrimArgsOrReply: fills `args` and returns the index of XADD's ID argument (the
 * argc when it is missing), or -1 after replying.
 */
function parseAddOrTrimArgs(c: Client, args: AddTrimArgs, xadd: boolean): number {
  const argv = c.argv;
  const argc = argv.length;
  let i = 2;
  let limitGiven = false;
  for (; i < argc; i++) {
    const more = argc - 1 - i;
    const opt = argv[i];
    if (xadd && opt === "*") break;
    const lower = opt.length <= 10 ? opt.toLowerCase() : "";
    if ((lower === "maxlen" || lower === "minid") && more > 0) {
      if (args.strategy !== TRIM_NONE) {
        c.error("ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
        return -1;
      }
      args.approx = false;
      const next = argv[i + 1];
      if (more >= 2 && next === "~") {
        args.approx = true;
        i++;
      } else if (more >= 2 && next === "=") {
        i++;
      }
      if (lower === "maxlen") {
        const n = positiveIntOrReply(c, argv[i + 1], "ERR The MAXLEN argument must be >= 0.");
        if (n === null) return -1;
        args.maxlen = n;
        args.strategy = TRIM_MAXLEN;
      } else {
        if (parseId(argv[i + 1], scratchId, 0, true) === PARSE_FAIL) {
          c.error(ID_INVALID);
          return -1;
        }
        args.minMs = scratchId.ms;
        args.minSeq = scratchId.seq;
        args.strategy = TRIM_MINID;
      }
      i++;
      args.argIdx = i;
    } else if (lower === "limit" && more > 0) {
      const n = positiveIntOrReply(c, argv[i + 1], "ERR The LIMIT argument must be >= 0.");
      if (n === null) return -1;
      args.limit = n;
      limitGiven = true;
      i++;
    } else if (xadd && lower === "nomkstream") {
      args.noMkstream = true;
    } else if (xadd) {
      const r = parseId(opt, addId, 0, true, true);
      if (r === PARSE_FAIL) {
        c.error(ID_INVALID);
        return -1;
      }
      args.idGiven = true;
      args.seqGiven = r !== PARSE_SEQ_STAR;
      break;
    } else {
      c.error("ERR syntax error");
      return -1;
    }
  }
  if (args.limit !== 0 && args.strategy === TRIM_NONE) {
    c.error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
    return -1;
  }
  if (!xadd && args.strategy === TRIM_NONE) {
    c.error("ERR syntax error, XTRIM must be called with a trimming strategy");
    return -1;
  }
  if (mustObey(c)) {
    args.limit = 0;
  } else if (limitGiven) {
    if (!args.approx) {
      c.error("ERR syntax error, LIMIT cannot be used without the special ~ option");
      return -1;
    }
  } else if (args.approx) {
    // At most 100 nodes' worth of work per call unless told otherwise.
    let limit = 100 * typeLimits.streamNodeMaxEntries;
    if (limit <= 0) limit = 10000;
    if (limit > 1000000) limit = 1000000;
    args.limit = limit;
  } else {
    args.limit = 0;
  }
  return i;
}

function newArgs(): AddTrimArgs {
  return {
    strategy: TRIM_NONE,
    approx: false,
    limit: 0,
    maxlen: 0,
    minMs: 0,
    minSeq: 0,
    argIdx: 0,
    idGiven: false,
    seqGiven: false,
    noMkstream: false,
  };
}

/** streamRewriteApproxSpecifier + streamRewriteTrimArgument on a copy of argv. */
function rewriteTrim(argv: string[], s: StreamObject, args: AddTrimArgs): void {
  argv[args.argIdx - 1] = "=";
  if (args.strategy === TRIM_MAXLEN) {
    argv[args.argIdx] = String(s.length);
  } else {
    s.edgeId(true, false, scratchId);
    argv[args.argIdx] = formatId(scratchId.ms, scratchId.seq);
  }
}

function xaddCommand(c: Client): void {
  const args = newArgs();
  const idPos = parseAddOrTrimArgs(c, args, true);
  if (idPos < 0) return;
  const argv = c.argv;
  const fieldPos = idPos + 1;
  const n = argv.length - fieldPos;
  if (n < 2 || n % 2 === 1) {
    c.error("ERR wrong number of arguments for 'xadd' command");
    return;
  }
  if (args.idGiven && args.seqGiven && addId.isZero()) {
    c.error("ERR The ID specified in XADD must be greater than 0-0");
    return;
  }
  const key = argv[1];
  let s = streamOrReply(c, key, true);
  if (s === undefined) return;
  if (s === null) {
    if (args.noMkstream) {
      c.out.nullBulk();
      return;
    }
    s = new StreamObject();
    c.db.add(key, s);
  }
  if (s.lastMs === U64_MAX && s.lastSeq === U64_MAX) {
    c.error("ERR The stream has exhausted the last possible ID, unable to add more items");
    return;
  }
  // streamAppendItem's ID choice.
  let ms = addId.ms;
  let seq = addId.seq;
  let ok = true;
  if (args.idGiven) {
    if (!args.seqGiven && compareIds(s.lastMs, 0, ms, 0) === 0) {
      if (s.lastSeq === U64_MAX) ok = false;
      else seq = incrU64(s.lastSeq);
    }
  } else {
    const now = clock.ms;
    if (now > s.lastMs) {
      ms = now;
      seq = 0;
    } else {
      scratchId.set(s.lastMs, s.lastSeq).incr();
      ms = scratchId.ms;
      seq = scratchId.seq;
    }
  }
  if (!ok) {
    // streamAppendItem's sequence overflow returns C_ERR without setting errno, and
    // xaddCommand's errno test then picks the other message (what redis-server 7.0 answers).
    c.error("ERR Elements are too large to be stored");
    return;
  }
  if (compareIds(ms, seq, s.lastMs, s.lastSeq) <= 0) {
    c.error("ERR The ID specified in XADD is equal or smaller than the target stream top item");
    return;
  }
  let total = 0;
  for (let i = fieldPos; i < argv.length; i++) total += argv[i].length;
  if (total > STREAM_LISTPACK_MAX_SIZE) {
    c.error("ERR Elements are too large to be stored");
    return;
  }
  s.append(argv, fieldPos, n >>> 1, ms, seq);
  const id = formatId(ms, seq);
  c.out.bulk(id);
  const server = c.server;
  server.notify("t", "xadd", key, c.db.id);
  let rewritten: string[] | null = null;
  if (args.strategy !== TRIM_NONE) {
    if (s.trim(args, scratchId) > 0) server.notify("t", "xtrim", key, c.db.id);
    if (args.approx) {
      rewritten = argv.slice();
      rewriteTrim(rewritten, s, args);
    }
  }
  if (!args.idGiven || !args.seqGiven) {
    if (rewritten === null) rewritten = argv.slice();
    rewritten[idPos] = id;
  }
  if (rewritten !== null) c.argv = rewritten;
  server.dirty++;
  // Also wakes XREAD/XREADGROUP clients blocked on the key (signalKeyAsReady).
  server.signalModifiedKey(c.db, key);
}

function xlenCommand(c: Client): void {
  const s = streamOrReply(c, c.argv[1], false);
  if (s === undefined) return;
  c.out.integer(s === null ? 0 : s.length);
}

const rangeStart = new StreamId();
const rangeEnd = new StreamId();

/** xrangeGenericCommand. */
function xrangeGeneric(c: Client, rev: boolean): void {
  const argv = c.argv;
  if (!rangeStartOrReply(c, rev ? argv[3] : argv[2], rangeStart)) return;
  if (!rangeEndOrReply(c, rev ? argv[2] : argv[3], rangeEnd)) return;
  let count = -1;
  for (let j = 4; j < argv.length; j++) {
    if (is(argv[j], "count") && j + 1 < argv.length) {
      const n = intOrReply(c, argv[j + 1]);
      if (n === null) return;
      count = Math.max(0, n);
      j++;
    } else {
      c.error("ERR syntax error");
      return;
    }
  }
  const s = streamOrReply(c, argv[1], false);
  if (s === undefined) return;
  if (s === null) {
    c.out.raw(shared.EMPTY_ARRAY);
    return;
  }
  if (count === 0) {
    c.out.nullArray();
    return;
  }
  replyRange(c, s, rangeStart, rangeEnd, count === -1 ? 0 : count, rev);
}

/**
 * streamReplyWithRange without a group: the entries in [start, end] (at most `count`, 0 = all)
 * as an array. Counted first, then written, since replies cannot be patched afterwards.
 */
export function replyRange(
  c: Client,
  s: StreamObject,
  start: StreamId,
  end: StreamId,
  count: number,
  rev: boolean,
): number {
  const cur = cursor;
  cur.seek(s, start.ms, start.seq, end.ms, end.seq, rev);
  let n = 0;
  while ((count === 0 || n < count) && cur.next()) n++;
  c.out.arrayHeader(n);
  cur.seek(s, start.ms, start.seq, end.ms, end.seq, rev);
  for (let i = 0; i < n && cur.next(); i++) replyEntry(c, cur);
  return n;
}

function xdelCommand(c: Client): void {
  const argv = c.argv;
  const key = argv[1];
  const v = c.db.write(key);
  if (v === undefined) {
    c.out.raw(shared.ZERO);
    return;
  }
  const s = streamOrReply(c, key, true);
  if (s === undefined || s === null) return;
  const ids: StreamId[] = [];
  for (let j = 2; j < argv.length; j++) {
    const id = new StreamId();
    if (!idOrReply(c, argv[j], id, 0, true)) return;
    ids.push(id);
  }
  let deleted = 0;
  let firstEntry = false;
  for (const id of ids) {
    if (!s.deleteEntry(id.ms, id.seq, cursor)) continue;
    if (compareIds(id.ms, id.seq, s.firstMs, s.firstSeq) === 0) firstEntry = true;
    if (compareIds(id.ms, id.seq, s.maxDeletedMs, s.maxDeletedSeq) > 0) {
      s.maxDeletedMs = id.ms;
      s.maxDeletedSeq = id.seq;
    }
    deleted++;
  }
  if (deleted > 0) {
    if (s.length === 0) {
      s.firstMs = 0;
      s.firstSeq = 0;
    } else if (firstEntry) {
      s.refreshFirstId(scratchId);
    }
    const server = c.server;
    server.signalModifiedKey(c.db, key);
    server.notify("t", "xdel", key, c.db.id);
    server.dirty += deleted;
  }
  c.out.integer(deleted);
}

function xtrimCommand(c: Client): void {
  const args = newArgs();
  if (parseAddOrTrimArgs(c, args, false) < 0) return;
  const key = c.argv[1];
  const v = c.db.write(key);
  if (v === undefined) {
    c.out.raw(shared.ZERO);
    return;
  }
  const s = streamOrReply(c, key, true);
  if (s === undefined || s === null) return;
  const deleted = s.trim(args, scratchId);
  if (deleted > 0) {
    const server = c.server;
    server.notify("t", "xtrim", key, c.db.id);
    if (args.approx) {
      const argv = c.argv.slice();
      rewriteTrim(argv, s, args);
      c.argv = argv;
    }
    server.signalModifiedKey(c.db, key);
    server.dirty += deleted;
  }
  c.out.integer(deleted);
}

const maxDeleted = new StreamId();

function xsetidCommand(c: Client): void {
  const argv = c.argv;
  const id = scratchId;
  if (!idOrReply(c, argv[2], id, 0, true)) return;
  const idMs = id.ms;
  const idSeq = id.seq;
  let entriesAdded = -1;
  maxDeleted.set(0, 0);
  for (let i = 3; i < argv.length; i++) {
    const more = argv.length - 1 - i;
    const opt = argv[i];
    if (is(opt, "entriesadded") && more > 0) {
      const n = positiveIntOrReply(c, argv[i + 1], "ERR entries_added must be positive");
      if (n === null) return;
      entriesAdded = n;
      i++;
    } else if (is(opt, "maxdeletedid") && more > 0) {
      if (!idOrReply(c, argv[i + 1], maxDeleted, 0, true)) return;
      if (compareIds(idMs, idSeq, maxDeleted.ms, maxDeleted.seq) < 0) {
        c.error("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
        return;
      }
      i++;
    } else {
      c.error("ERR syntax error");
      return;
    }
  }
  const key = argv[1];
  const s = streamOrReply(c, key, true);
  if (s === undefined) return;
  if (s === null) {
    c.error("ERR no such key");
    return;
  }
  if (s.length > 0) {
    s.lastValidId(id);
    if (compareIds(idMs, idSeq, id.ms, id.seq) < 0) {
      c.error("ERR The ID specified in XSETID is smaller than the target stream top item");
      return;
    }
    if (entriesAdded !== -1 && s.length > entriesAdded) {
      c.error("ERR The entries_added specified in XSETID is smaller than the target stream length");
      return;
    }
  }
  s.lastMs = idMs;
  s.lastSeq = idSeq;
  if (entriesAdded !== -1) s.entriesAdded = entriesAdded;
  if (!maxDeleted.isZero()) {
    s.maxDeletedMs = maxDeleted.ms;
    s.maxDeletedSeq = maxDeleted.seq;
  }
  c.out.raw(shared.OK);
  c.server.dirty++;
  c.server.notify("t", "xsetid", key, c.db.id);
}

export const streamCommands = [
  spec(
    "xadd",
    -5,
    "write denyoom fast",
    [1, 1, 1],
    "stream",
    "Appends a new message to a stream. Creates the key if it doesn't exist.",
    "5.0.0",
    xaddCommand,
  ),
  spec(
    "xlen",
    2,
    "readonly fast",
    [1, 1, 1],
    "stream",
    "Return the number of messages in a stream.",
    "5.0.0",
    xlenCommand,
  ),
  spec(
    "xrange",
    -4,
    "readonly",
    [1, 1, 1],
    "stream",
    "Returns the messages from a stream within a range of IDs.",
    "5.0.0",
    (c) => xrangeGeneric(c, false),
  ),
  spec(
    "xrevrange",
    -4,
    "readonly",
    [1, 1, 1],
    "stream",
    "Returns the messages from a stream within a range of IDs in reverse order.",
    "5.0.0",
    (c) => xrangeGeneric(c, true),
  ),
  spec(
    "xdel",
    -3,
    "write fast",
    [1, 1, 1],
    "stream",
    "Returns the number of messages after removing them from a stream.",
    "5.0.0",
    xdelCommand,
  ),
  spec(
    "xtrim",
    -4,
    "write",
    [1, 1, 1],
    "stream",
    "Deletes messages from the beginning of a stream.",
    "5.0.0",
    xtrimCommand,
  ),
  spec(
    "xsetid",
    -3,
    "write denyoom fast",
    [1, 1, 1],
    "stream",
    "An internal command for replicating stream values.",
    "5.0.0",
    xsetidCommand,
  ),
] satisfies CommandSpec[];
