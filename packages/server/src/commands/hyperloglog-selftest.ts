/**
 * PFSELFTEST (hyperloglog.c pfselftestCommand): Redis's self-check of its HyperLogLog code, run
 * here against Keyhaven's own (keyspace/types/hyperloglog.ts), so a regression in the register
 * packing, the sparse encoding, its promotion to dense or the estimator makes it fail with the
 * error Redis would give.
 *
 *  1. Registers: a thousand rounds of writing random 6-bit values into every dense register and
 *     reading them all back, which catches a write that spills into a neighbour.
 *  2. Estimates: ten million distinct 8-byte elements added both to a dense HLL and to a new
 *     (sparse) one. At 1, 10, 100... 10^7 elements the new HLL must still be sparse while it is
 *     small, both must count the same, and the error must stay within six standard errors.
 *
 * Like Redis's, it blocks the server for a few seconds and touches no key.
 */

import { shared } from "@keyhaven/protocol";
import {
  denseRegister,
  emptyHll,
  HLL_REGISTERS,
  HLL_SPARSE,
  type Hll,
  hllAddPattern,
  hllCount,
  hllEncoding,
  setDenseRegister,
  sparseToDense,
} from "../keyspace/types/hyperloglog.js";
import { patLen } from "../keyspace/types/hyperloglog-hash.js";
import type { Client } from "../network/client.js";
import { rand } from "../util/c-rand.js";
import { type CommandSpec, spec } from "./spec.js";

const TEST_CYCLES = 1000;
const ELEMENTS = 10_000_000;
/** Largest value a 6-bit register holds (HLL_REGISTER_MAX). */
const REGISTER_MAX = 63;

/** An all-zero dense HLL. */
function emptyDense(): Hll {
  const h = emptyHll();
  sparseToDense(h);
  return h;
}

/** Test 1: the error text, or null when every register kept its value. */
function checkRegisters(): string | null {
  const h = emptyDense();
  const expected = new Uint8Array(HLL_REGISTERS);
  for (let cycle = 0; cycle < TEST_CYCLES; cycle++) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const r = rand() & REGISTER_MAX;
      expected[i] = r;
      setDenseRegister(h, i, r);
    }
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const got = denseRegister(h, i);
      if (got !== expected[i]) return `TESTFAILED Register ${i} should be ${expected[i]} but is ${got}`;
    }
  }
  return null;
}

/**
 * Test 2. Elements are the 64-bit integers j ^ seed in little-endian bytes, as Redis hashes them
 * on x86. Only the low 32 bits vary (j < 2^24), so the high four bytes are fixed per run.
 */
function checkEstimates(sparseMaxBytes: number): string | null {
  const dense = emptyDense();
  const grown = emptyHll();
  const relErr = 1.04 / Math.sqrt(HLL_REGISTERS);
  const seedLo = rand() >>> 0;
  // rand() gives 31 bits: Redis's seed has bit 31 of each half clear too.
  const seedHi = rand() >>> 0;
  const h0 = seedHi & 0xff;
  const h1 = (seedHi >>> 8) & 0xff;
  const h2 = (seedHi >>> 16) & 0xff;
  const h3 = seedHi >>> 24;
  let checkpoint = 1;
  for (let j = 1; j <= ELEMENTS; j++) {
    const lo = (j ^ seedLo) >>> 0;
    const ele = String.fromCharCode(
      lo & 0xff,
      (lo >>> 8) & 0xff,
      (lo >>> 16) & 0xff,
      lo >>> 24,
      h0,
      h1,
      h2,
      h3,
    );
    // Redis hashes the element once per HLL; the hash is a pure function, so once serves both
    // (it is the slow part here). A corrupt sparse HLL is not reported by the add: it shows as
    // a disagreeing count, as in Redis.
    const pattern = patLen(ele);
    hllAddPattern(dense, pattern, sparseMaxBytes);
    hllAddPattern(grown, pattern, sparseMaxBytes);
    if (j !== checkpoint) continue;
    if (j < Math.floor(sparseMaxBytes / 2) && hllEncoding(grown) !== HLL_SPARSE)
      return "TESTFAILED sparse encoding not used";
    const count = hllCount(dense);
    if (count !== hllCount(grown)) return "TESTFAILED dense/sparse disagree";
    // Cardinality 10 gets a looser bound: one collision there is a large relative error.
    const maxErr = j === 10 ? 1 : Math.ceil(relErr * 6 * checkpoint);
    const absErr = Math.abs(checkpoint - count);
    if (absErr > maxErr) return `TESTFAILED Too big error. card:${checkpoint} abserr:${absErr}`;
    checkpoint *= 10;
  }
  return null;
}

function pfselftestCommand(c: Client): void {
  const failure = checkRegisters() ?? checkEstimates(c.server.config.num("hll-sparse-max-bytes"));
  if (failure !== null) c.error(`ERR ${failure}`);
  else c.out.raw(shared.OK);
}

export const pfselftestCommands = [
  spec(
    "pfselftest",
    1,
    "admin",
    [0, 0, 0],
    "hyperloglog",
    "An internal command for testing HyperLogLog values",
    "2.8.9",
    pfselftestCommand,
  ),
] satisfies CommandSpec[];
