import { STR_ENC_NO_INT } from "../keyspace/value.js";
import type { Client } from "../network/client.js";
import { addLongDouble, formatLongDoubleHuman, parseLongDouble } from "../util/long-double.js";
import { INT64_MAX, INT64_MIN, parseInt64 } from "./args.js";
import { modified, writeStringOrReply } from "./common.js";
import { type CommandSpec, spec } from "./spec.js";

/**
 * INCR/DECR/INCRBY/DECRBY (incrDecrCommand): exact int64 arithmetic. The fast path stays in JS
 * numbers while both sides are far from 2^53; otherwise BigInt decides overflow exactly.
 */
function incrDecr(c: Client, incr: bigint | number): void {
  const key = c.argv[1];
  const db = c.db;
  const old = writeStringOrReply(c, key);
  if (old === undefined) return;
  let current: bigint | number = 0;
  if (old !== null) {
    if (old.length <= 15 && /^-?(0|[1-9]\d*)$/.test(old) && old !== "-0") {
      current = Number(old);
    } else {
      const big = parseInt64(old);
      if (big === null) {
        c.error("ERR value is not an integer or out of range");
        return;
      }
      current = big;
    }
  }
  let result: string;
  if (
    typeof current === "number" &&
    typeof incr === "number" &&
    Math.abs(current) < 2 ** 52 &&
    Math.abs(incr) < 2 ** 52
  ) {
    result = String(current + incr);
  } else {
    const sum = BigInt(current) + BigInt(incr);
    if (sum > INT64_MAX || sum < INT64_MIN) {
      c.error("ERR increment or decrement would overflow");
      return;
    }
    result = sum.toString();
  }
  if (old === null) db.add(key, result);
  else db.overwrite(db.peek(key)!, result);
  modified(c, db, key, "$", "incrby");
  c.out.rawLatin1(`:${result}\r\n`);
}

function incrCommand(c: Client): void {
  incrDecr(c, 1);
}
function decrCommand(c: Client): void {
  incrDecr(c, -1);
}
function incrbyCommand(c: Client): void {
  const n = parseInt64(c.argv[2]);
  if (n === null) {
    c.error("ERR value is not an integer or out of range");
    return;
  }
  incrDecr(c, n >= -(2n ** 52n) && n <= 2n ** 52n ? Number(n) : n);
}
function decrbyCommand(c: Client): void {
  const n = parseInt64(c.argv[2]);
  if (n === null) {
    c.error("ERR value is not an integer or out of range");
    return;
  }
  if (n === INT64_MIN) {
    c.error("ERR decrement would overflow");
    return;
  }
  incrDecr(c, n >= -(2n ** 52n) && n <= 2n ** 52n ? -Number(n) : -n);
}

/**
 * The sum of a stored float and an increment as Redis computes it (long double, "%.17Lf"
 * trimmed). Returns the text, or an error text to reply. Shared with HINCRBYFLOAT.
 */
export function incrByFloatText(
  current: string | null,
  increment: string,
  storedName: "value" | "hash value",
): { ok: string } | { err: string } {
  const incr = parseLongDouble(increment);
  if (incr === null) return { err: "ERR value is not a valid float" };
  let base = current === null ? { mantissa: 0n, exponent: 0 } : parseLongDouble(current);
  if (base === null || (current !== null && /\s/.test(current))) {
    return {
      err: storedName === "value" ? "ERR value is not a valid float" : "ERR hash value is not a float",
    };
  }
  if (base === "inf" || base === "-inf" || incr === "inf" || incr === "-inf") {
    return { err: "ERR increment would produce NaN or Infinity" };
  }
  base = base as Exclude<typeof base, string>;
  const sum = addLongDouble(base, incr);
  if (sum === null) return { err: "ERR increment would produce NaN or Infinity" };
  return { ok: formatLongDoubleHuman(sum) };
}

function incrbyfloatCommand(c: Client): void {
  const key = c.argv[1];
  const db = c.db;
  const old = writeStringOrReply(c, key);
  if (old === undefined) return;
  const result = incrByFloatText(old, c.argv[2], "value");
  if ("err" in result) {
    c.error(result.err);
    return;
  }
  const text = result.ok;
  const entry = old === null ? db.add(key, text) : db.peek(key)!;
  if (old !== null) db.overwrite(entry, text);
  entry.strEncoding = STR_ENC_NO_INT;
  modified(c, db, key, "$", "incrbyfloat");
  c.out.bulk(text);
  // Float formatting may differ between platforms: propagate the result, keeping the TTL.
  c.argv = ["SET", key, text, "KEEPTTL"];
}

export const counterCommands = [
  spec(
    "incr",
    2,
    "write denyoom fast",
    [1, 1, 1],
    "string",
    "Increments the integer value of a key by one.",
    "1.0.0",
    incrCommand,
  ),
  spec(
    "decr",
    2,
    "write denyoom fast",
    [1, 1, 1],
    "string",
    "Decrements the integer value of a key by one.",
    "1.0.0",
    decrCommand,
  ),
  spec(
    "incrby",
    3,
    "write denyoom fast",
    [1, 1, 1],
    "string",
    "Increments the integer value of a key by a number.",
    "1.0.0",
    incrbyCommand,
  ),
  spec(
    "decrby",
    3,
    "write denyoom fast",
    [1, 1, 1],
    "string",
    "Decrements a number from the integer value of a key.",
    "1.0.0",
    decrbyCommand,
  ),
  spec(
    "incrbyfloat",
    3,
    "write denyoom fast",
    [1, 1, 1],
    "string",
    "Increment the floating point value of a key by a number.",
    "2.6.0",
    incrbyfloatCommand,
  ),
] satisfies CommandSpec[];
