/**
 * String ranges (t_string.c): GETRANGE/SUBSTR, SETRANGE (bounded by proto-max-bulk-len) and LCS
 * (longest common subsequence, with LEN/IDX/MINMATCHLEN/WITHMATCHLEN as lcsCommand replies).
 */

import { shared } from "@keyhaven/protocol";
import { STR_ENC_RAW } from "../keyspace/value.js";
import type { Client } from "../network/client.js";
import { intOrReply } from "./args.js";
import { checkStringLength, modified, readStringOrReply, writeStringOrReply } from "./common.js";
import { type CommandSpec, spec } from "./spec.js";

/** GETRANGE/SUBSTR index normalization (getrangeCommand). */
function getrangeCommand(c: Client): void {
  let start = intOrReply(c, c.argv[2]);
  if (start === null) return;
  let end = intOrReply(c, c.argv[3]);
  if (end === null) return;
  const v = readStringOrReply(c, c.argv[1]);
  if (v === undefined) return;
  if (v === null) {
    c.out.raw(shared.EMPTY_BULK);
    return;
  }
  const len = v.length;
  if (start < 0 && end < 0 && start > end) {
    c.out.raw(shared.EMPTY_BULK);
    return;
  }
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len === 0) {
    c.out.raw(shared.EMPTY_BULK);
    return;
  }
  c.out.bulk(v.slice(start, end + 1));
}

function setrangeCommand(c: Client): void {
  const key = c.argv[1];
  const offset = intOrReply(c, c.argv[2]);
  if (offset === null) return;
  if (offset < 0) {
    c.error("ERR offset is out of range");
    return;
  }
  const value = c.argv[3];
  const db = c.db;
  const old = writeStringOrReply(c, key);
  if (old === undefined) return;
  if (old === null && value.length === 0) {
    c.out.raw(shared.ZERO);
    return;
  }
  if (value.length === 0) {
    c.out.integer(old!.length);
    return;
  }
  if (!checkStringLength(c, offset + value.length)) return;
  const base = old ?? "";
  const padded = base.length < offset ? base + "\0".repeat(offset - base.length) : base;
  const next = padded.slice(0, offset) + value + padded.slice(offset + value.length);
  const entry = old === null ? db.add(key, next) : db.peek(key)!;
  if (old !== null) db.overwrite(entry, next);
  entry.strEncoding = STR_ENC_RAW;
  modified(c, db, key, "$", "setrange");
  c.out.integer(next.length);
}

/** LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN] (lcsCommand). */
function lcsCommand(c: Client): void {
  const argv = c.argv;
  // Both keys are looked up before the options are read, with LCS's own type error.
  const a = c.db.read(argv[1]);
  const b = c.db.read(argv[2]);
  if ((a !== undefined && typeof a !== "string") || (b !== undefined && typeof b !== "string")) {
    c.error("ERR The specified keys must contain string values");
    return;
  }
  let getLen = false;
  let getIdx = false;
  let withMatchLen = false;
  let minMatchLen = 0;
  for (let i = 3; i < argv.length; i++) {
    const a = argv[i].toLowerCase();
    if (a === "idx") getIdx = true;
    else if (a === "len") getLen = true;
    else if (a === "withmatchlen") withMatchLen = true;
    else if (a === "minmatchlen" && i + 1 < argv.length) {
      const n = intOrReply(c, argv[++i]);
      if (n === null) return;
      minMatchLen = Math.max(0, n);
    } else {
      c.error("ERR syntax error");
      return;
    }
  }
  if (getIdx && getLen) {
    c.error("ERR If you want both the length and indexes, please just use IDX.");
    return;
  }
  const sa = a ?? "";
  const sb = b ?? "";
  const alen = sa.length;
  const blen = sb.length;
  if ((alen + 1) * (blen + 1) * 4 > c.server.config.num("proto-max-bulk-len")) {
    c.error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
    return;
  }
  // Dynamic programming table of LCS lengths of suffixes, as Redis builds it.
  const width = blen + 1;
  const dp = new Uint32Array((alen + 1) * width);
  for (let i = 1; i <= alen; i++) {
    for (let j = 1; j <= blen; j++) {
      dp[i * width + j] =
        sa.charCodeAt(i - 1) === sb.charCodeAt(j - 1)
          ? dp[(i - 1) * width + j - 1] + 1
          : Math.max(dp[(i - 1) * width + j], dp[i * width + j - 1]);
    }
  }
  const lcsLen = dp[alen * width + blen];
  if (getLen) {
    c.out.integer(lcsLen);
    return;
  }
  // Walk back from the end collecting the LCS and, for IDX, the matching ranges (as lcsCommand).
  const chars: number[] = new Array(lcsLen);
  let idx = lcsLen;
  let i = alen;
  let j = blen;
  const matches: [number, number, number, number][] = [];
  let arangeStart = alen; // alen: no range open
  let arangeEnd = 0;
  let brangeStart = 0;
  let brangeEnd = 0;
  while (i > 0 && j > 0) {
    let emitRange = false;
    if (sa.charCodeAt(i - 1) === sb.charCodeAt(j - 1)) {
      chars[idx - 1] = sa.charCodeAt(i - 1);
      if (arangeStart === alen) {
        arangeStart = i - 1;
        arangeEnd = i - 1;
        brangeStart = j - 1;
        brangeEnd = j - 1;
      } else if (arangeStart === i && brangeStart === j) {
        arangeStart--;
        brangeStart--;
      } else {
        emitRange = true;
      }
      if (arangeStart === 0 || brangeStart === 0) emitRange = true;
      idx--;
      i--;
      j--;
    } else {
      if (dp[(i - 1) * width + j] > dp[i * width + j - 1]) i--;
      else j--;
      if (arangeStart !== alen) emitRange = true;
    }
    if (emitRange) {
      const matchLen = arangeEnd - arangeStart + 1;
      if (minMatchLen === 0 || matchLen >= minMatchLen)
        matches.push([arangeStart, arangeEnd, brangeStart, brangeEnd]);
      arangeStart = alen;
    }
  }
  if (!getIdx) {
    let text = "";
    for (let k = 0; k < chars.length; k += 4096) text += String.fromCharCode(...chars.slice(k, k + 4096));
    c.out.bulk(text);
    return;
  }
  const out = c.out;
  out.mapHeader(2);
  out.bulk("matches");
  out.arrayHeader(matches.length);
  for (const [as, ae, bs, be] of matches) {
    out.arrayHeader(withMatchLen ? 3 : 2);
    out.arrayHeader(2);
    out.integer(as);
    out.integer(ae);
    out.arrayHeader(2);
    out.integer(bs);
    out.integer(be);
    if (withMatchLen) out.integer(ae - as + 1);
  }
  out.bulk("len");
  out.integer(lcsLen);
}

export const stringRangeCommands = [
  spec(
    "getrange",
    4,
    "readonly",
    [1, 1, 1],
    "string",
    "Returns a substring of the string stored at a key.",
    "2.4.0",
    getrangeCommand,
  ),
  spec(
    "substr",
    4,
    "readonly",
    [1, 1, 1],
    "string",
    "Returns a substring from a string value.",
    "1.0.0",
    getrangeCommand,
  ),
  spec(
    "setrange",
    4,
    "write denyoom",
    [1, 1, 1],
    "string",
    "Overwrites a part of a string value with another by an offset.",
    "2.2.0",
    setrangeCommand,
  ),
  spec(
    "lcs",
    -3,
    "readonly",
    [1, 2, 1],
    "string",
    "Finds the longest common substring.",
    "7.0.0",
    lcsCommand,
  ),
] satisfies CommandSpec[];
