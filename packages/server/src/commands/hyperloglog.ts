/**
 * HyperLogLog commands (hyperloglog.c): PFADD, PFCOUNT, PFMERGE, PFDEBUG. The values are plain
 * strings in Redis's own layout (keyspace/types/hyperloglog.ts), so GET, DUMP, the RDB and the
 * AOF carry them unchanged and a real Redis counts them the same.
 *
 * A write stores the edited bytes as a new string and marks it "raw", as Redis's HLLs are sds
 * strings edited in place. PFCOUNT on one key refreshes the cached cardinality inside the value,
 * which makes it dirty and propagated, as in Redis.
 */

import { bytesToLatin1, shared } from "@keyhaven/protocol";
import type { Db } from "../keyspace/db.js";
import {
  cachedCount,
  countRegisters,
  decodeSparse,
  denseAddChanges,
  denseRegisters,
  emptyHll,
  HLL_DENSE,
  HLL_REGISTERS,
  HLL_SPARSE,
  type Hll,
  hllAdd,
  hllCount,
  hllEncoding,
  hllFromString,
  hllRaise,
  invalidateCachedCount,
  isHllString,
  mergeInto,
  setCachedCount,
  setDenseRegisters,
  sparseToDense,
} from "../keyspace/types/hyperloglog.js";
import { STR_ENC_RAW } from "../keyspace/value.js";
import type { Client } from "../network/client.js";
import { is } from "./args.js";
import { modified, readStringOrReply, storeRawString, writeStringOrReply } from "./common.js";
import { type CommandSpec, spec } from "./spec.js";

const NOT_HLL = "WRONGTYPE Key is not a valid HyperLogLog string value.";
const INVALID_HLL = "INVALIDOBJ Corrupted HLL object detected";

/**
 * The HLL string at `key` (lookupKeyRead, or lookupKeyWrite when `write`) checked as
 * isHLLObjectOrReply does: the string, null when missing, undefined after replying WRONGTYPE.
 */
function hllOrReply(c: Client, key: string, write: boolean): string | null | undefined {
  const v = write ? writeStringOrReply(c, key) : readStringOrReply(c, key);
  if (v === undefined || v === null) return v;
  if (!isHllString(v)) {
    c.error(NOT_HLL);
    return undefined;
  }
  return v;
}

/** Stores edited HLL bytes at `key` as a raw string (the key exists unless `created`). */
function store(db: Db, key: string, h: Hll, created: boolean): void {
  storeRawString(db, key, bytesToLatin1(h.buf, 0, h.len), !created);
}

function sparseMaxBytes(c: Client): number {
  return c.server.config.num("hll-sparse-max-bytes");
}

/** PFADD key [element ...]: 1 when a register changed or the key was created, else 0. */
function pfaddCommand(c: Client): void {
  const key = c.argv[1];
  const existing = hllOrReply(c, key, true);
  if (existing === undefined) return;
  const created = existing === null;
  // Redis unshares an existing value (dbUnshareStringValue): it is "raw" from now on.
  if (!created) c.db.peek(key)!.strEncoding = STR_ENC_RAW;
  let h = created ? emptyHll() : null;
  const dense = existing !== null && existing.charCodeAt(4) === HLL_DENSE;
  let updated = created ? 1 : 0;
  const maxBytes = sparseMaxBytes(c);
  for (let j = 2; j < c.argv.length; j++) {
    if (h === null) {
      // A dense value is read in place until an element changes a register.
      if (dense && !denseAddChanges(existing, c.argv[j])) continue;
      h = hllFromString(existing!);
    }
    const r = hllAdd(h, c.argv[j], maxBytes);
    if (r === -1) {
      c.error(INVALID_HLL);
      return;
    }
    updated += r;
  }
  if (h !== null && updated > 0) {
    invalidateCachedCount(h);
    store(c.db, key, h, created);
    modified(c, c.db, key, "$", "pfadd", updated);
  }
  c.out.raw(updated > 0 ? shared.ONE : shared.ZERO);
}

/** PFCOUNT key [key ...]: the estimate for one HLL, or for the union of several. */
function pfcountCommand(c: Client): void {
  const argv = c.argv;
  if (argv.length > 2) {
    const max = new Uint8Array(HLL_REGISTERS);
    for (let j = 1; j < argv.length; j++) {
      const v = hllOrReply(c, argv[j], false);
      if (v === undefined) return;
      if (v === null) continue;
      if (!mergeInto(max, v)) {
        c.error(INVALID_HLL);
        return;
      }
    }
    c.out.integer(countRegisters(max));
    return;
  }
  const key = argv[1];
  const v = hllOrReply(c, key, false);
  if (v === undefined) return;
  if (v === null) {
    c.out.raw(shared.ZERO);
    return;
  }
  c.db.peek(key)!.strEncoding = STR_ENC_RAW;
  let card = cachedCount(v);
  if (card === -1) {
    const h = hllFromString(v);
    card = hllCount(h);
    if (card === -1) {
      c.error(INVALID_HLL);
      return;
    }
    setCachedCount(h, card);
    store(c.db, key, h, false);
    c.server.signalModifiedKey(c.db, key);
    c.server.dirty++;
  }
  c.out.integer(card);
}

/** PFMERGE destkey [sourcekey ...]: the union into destkey (which counts as a source too). */
function pfmergeCommand(c: Client): void {
  const argv = c.argv;
  const max = new Uint8Array(HLL_REGISTERS);
  let useDense = false;
  for (let j = 1; j < argv.length; j++) {
    const v = hllOrReply(c, argv[j], false);
    if (v === undefined) return;
    if (v === null) continue;
    // One dense input makes the target dense at once (no sparse-to-dense conversion later).
    if (v.charCodeAt(4) === HLL_DENSE) useDense = true;
    if (!mergeInto(max, v)) {
      c.error(INVALID_HLL);
      return;
    }
  }
  const key = argv[1];
  // The destination was checked with the sources: it is missing or a valid HLL.
  const existing = c.db.write(key) as string | undefined;
  const created = existing === undefined;
  const h = created ? emptyHll() : hllFromString(existing);
  if (useDense && !sparseToDense(h)) {
    c.error(INVALID_HLL);
    return;
  }
  if (hllEncoding(h) === HLL_DENSE) {
    setDenseRegisters(h, max);
  } else {
    // Register by register, as Redis does, so the sparse opcodes come out the same.
    const maxBytes = sparseMaxBytes(c);
    for (let i = 0; i < HLL_REGISTERS; i++) {
      if (max[i] !== 0 && hllRaise(h, i, max[i], maxBytes) === -1) {
        c.error(INVALID_HLL);
        return;
      }
    }
  }
  invalidateCachedCount(h);
  store(c.db, key, h, created);
  modified(c, c.db, key, "$", "pfadd");
  c.out.raw(shared.OK);
}

/** PFDEBUG GETREG|DECODE|ENCODING|TODENSE key. */
function pfdebugCommand(c: Client): void {
  const sub = c.argv[1];
  const key = c.argv[2];
  const v = hllOrReply(c, key, true);
  if (v === undefined) return;
  if (v === null) {
    c.error("ERR The specified key does not exist");
    return;
  }
  const h = hllFromString(v);
  // Redis unshares the value whatever the subcommand: it is "raw" from now on.
  c.db.peek(key)!.strEncoding = STR_ENC_RAW;
  if (is(sub, "getreg") || is(sub, "todense")) {
    const wasSparse = hllEncoding(h) === HLL_SPARSE;
    if (wasSparse) {
      if (!sparseToDense(h)) {
        c.error(INVALID_HLL);
        return;
      }
      store(c.db, key, h, false);
      // Forces propagation of the encoding change.
      c.server.dirty++;
    }
    if (is(sub, "todense")) {
      c.out.raw(wasSparse ? shared.ONE : shared.ZERO);
      return;
    }
    const registers = denseRegisters(h);
    c.out.arrayHeader(registers.length);
    for (const r of registers) c.out.integer(r);
  } else if (is(sub, "decode")) {
    if (hllEncoding(h) !== HLL_SPARSE) {
      c.error("ERR HLL encoding is not sparse");
      return;
    }
    c.out.bulk(decodeSparse(h));
  } else if (is(sub, "encoding")) {
    c.out.simple(hllEncoding(h) === HLL_DENSE ? "dense" : "sparse");
  } else {
    c.error(`ERR Unknown PFDEBUG subcommand '${sub}'`);
  }
}

export const hyperloglogCommands = [
  spec(
    "pfadd",
    -2,
    "write denyoom fast",
    [1, 1, 1],
    "hyperloglog",
    "Adds the specified elements to the specified HyperLogLog.",
    "2.8.9",
    pfaddCommand,
  ),
  spec(
    "pfcount",
    -2,
    "readonly",
    [1, -1, 1],
    "hyperloglog",
    "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).",
    "2.8.9",
    pfcountCommand,
  ),
  spec(
    "pfmerge",
    -2,
    "write denyoom",
    [1, -1, 1],
    "hyperloglog",
    "Merge N different HyperLogLogs into a single one.",
    "2.8.9",
    pfmergeCommand,
  ),
  spec(
    "pfdebug",
    3,
    "write denyoom admin",
    [2, 2, 1],
    "hyperloglog",
    "Internal commands for debugging HyperLogLog values",
    "2.8.9",
    pfdebugCommand,
  ),
] satisfies CommandSpec[];
