/**
 * Lua 5.1's math library (lmathlib.c) with Redis's math.random and math.randomseed: Redis
 * replaces them with redis_math_random / redis_math_randomseed over its own drand48-style
 * generator (rand.c), so scripts get the same sequence on every platform.
 *
 * Redis 7.0 does NOT reseed per script: the generator is one process-wide state, initialized
 * once at startup (X = 0x1234ABCD330E, the static initializer of rand.c) and advanced by every
 * math.random call of every EVAL/EVALSHA/FCALL; math.randomseed(n) sets it for all later calls,
 * and SCRIPT FLUSH does not reset it. (Redis up to 6.2 called redisSrand48(0) before each EVAL.)
 */

import { argError, checkNumber, libraryTable } from "../auxlib.js";
import { LuaError, type LuaTable, type LuaValue } from "../value.js";
import { cInt } from "./string.js";

const TWO24 = 0x1000000;
/** A = 0x5DEECE66D split at bit 24. */
const A_LO = 0xece66d;
const A_HI = 0x5de;
/** REDIS_LRAND48_MAX = INT32_MAX. */
const LRAND48_MAX = 2147483647;

/**
 * rand.c's generator: X(n+1) = (A * X(n) + 0xB) mod 2^48, lrand48 = X >> 17. The 48-bit state is
 * kept as two 24-bit halves so every product stays exact in a double.
 */
export class RedisRand48 {
  private hi = 0x1234ab;
  private lo = 0xcd330e;

  /** redisSrand48(seed): X = seed (as 32 bits) << 16 | 0x330E. */
  seed(seed: number): void {
    const s = seed >>> 0;
    this.hi = s >>> 8;
    this.lo = ((s & 0xff) << 16) | 0x330e;
  }

  /** The state Redis starts with (before any randomseed). */
  reset(): void {
    this.hi = 0x1234ab;
    this.lo = 0xcd330e;
  }

  /** redisLrand48(): the next 31-bit value. */
  next(): number {
    const p = A_LO * this.lo + 0xb;
    const lo = p % TWO24;
    const carry = Math.floor(p / TWO24);
    this.hi = (A_HI * this.lo + A_LO * this.hi + carry) % TWO24;
    this.lo = lo;
    return this.hi * 128 + Math.floor(lo / 131072);
  }
}

/** The process-wide generator all Lua states share, as Redis's static one in rand.c. */
export const redisRandom = new RedisRand48();

/** redisSrand48(seed) on the shared generator (what math.randomseed does). */
export function reseedRandom(seed: number): void {
  redisRandom.seed(seed);
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** 2^n for -1022 <= n <= 1023, exactly. */
function pow2(n: number): number {
  u32[0] = 0;
  u32[1] = (n + 1023) << 20;
  return f64[0];
}

/** C ldexp/scalbn: x * 2^n rounded once (musl's scalbn). */
export function ldexp(x: number, n: number): number {
  let y = x;
  if (n > 1023) {
    y *= pow2(1023);
    n -= 1023;
    if (n > 1023) {
      y *= pow2(1023);
      n -= 1023;
      if (n > 1023) n = 1023;
    }
  } else if (n < -1022) {
    // keep the final step's n below -53 so a subnormal result is rounded only once
    y *= pow2(-1022) * pow2(53);
    n += 1022 - 53;
    if (n < -1022) {
      y *= pow2(-1022) * pow2(53);
      n += 1022 - 53;
      if (n < -1022) n = -1022;
    }
  }
  return y * pow2(n);
}

/** C frexp: [m, e] with x = m * 2^e and 0.5 <= |m| < 1 (x itself and 0 for 0, inf, nan). */
export function frexp(x: number): [number, number] {
  if (x === 0 || !Number.isFinite(x)) return [x, 0];
  let e = 0;
  f64[0] = x;
  if (((u32[1] >>> 20) & 0x7ff) === 0) {
    // subnormal: scale into the normal range first
    f64[0] = x * pow2(64);
    e = -64;
  }
  const biased = (u32[1] >>> 20) & 0x7ff;
  e += biased - 1022;
  u32[1] = (u32[1] & 0x800fffff) | (1022 << 20);
  return [f64[0], e];
}

/** C pow where it differs from JS's: 1^y = 1 and (-1)^(+-inf) = 1, NaN included. */
export function cPow(x: number, y: number): number {
  if (x === 1) return 1;
  if (x === -1 && (y === Number.POSITIVE_INFINITY || y === Number.NEGATIVE_INFINITY)) return 1;
  return x ** y;
}

/** C modf: integral and fractional parts, both with the sign of x. */
function modf(x: number): [number, number] {
  if (x === Number.POSITIVE_INFINITY) return [x, 0];
  if (x === Number.NEGATIVE_INFINITY) return [x, -0];
  const ip = Math.trunc(x);
  const fp = x - ip;
  return [ip, fp === 0 && (x < 0 || Object.is(x, -0)) ? -0 : fp];
}

const RADIANS_PER_DEGREE = Math.PI / 180.0;

function unary(name: string, f: (x: number) => number): (args: LuaValue[]) => LuaValue[] {
  return (args) => [f(checkNumber(args, 0, name))];
}

/** The math table, with Redis's random functions over `rng`. */
export function createMathLibrary(rng: RedisRand48 = redisRandom): LuaTable {
  const fmod = (args: LuaValue[]): LuaValue[] => [
    checkNumber(args, 0, "fmod") % checkNumber(args, 1, "fmod"),
  ];
  const lib = libraryTable({
    abs: unary("abs", Math.abs),
    acos: unary("acos", Math.acos),
    asin: unary("asin", Math.asin),
    atan2: (args) => [Math.atan2(checkNumber(args, 0, "atan2"), checkNumber(args, 1, "atan2"))],
    atan: unary("atan", Math.atan),
    ceil: unary("ceil", Math.ceil),
    cosh: unary("cosh", Math.cosh),
    cos: unary("cos", Math.cos),
    deg: unary("deg", (x) => x / RADIANS_PER_DEGREE),
    exp: unary("exp", Math.exp),
    floor: unary("floor", Math.floor),
    fmod,
    frexp: (args) => frexp(checkNumber(args, 0, "frexp")),
    ldexp: (args) => [ldexp(checkNumber(args, 0, "ldexp"), cInt(checkNumber(args, 1, "ldexp")))],
    log10: unary("log10", Math.log10),
    log: unary("log", Math.log),
    max: (args) => {
      let dmax = checkNumber(args, 0, "max");
      for (let i = 1; i < args.length; i++) {
        const d = checkNumber(args, i, "max");
        if (d > dmax) dmax = d;
      }
      return [dmax];
    },
    min: (args) => {
      let dmin = checkNumber(args, 0, "min");
      for (let i = 1; i < args.length; i++) {
        const d = checkNumber(args, i, "min");
        if (d < dmin) dmin = d;
      }
      return [dmin];
    },
    modf: (args) => modf(checkNumber(args, 0, "modf")),
    pow: (args) => [cPow(checkNumber(args, 0, "pow"), checkNumber(args, 1, "pow"))],
    rad: unary("rad", (x) => x * RADIANS_PER_DEGREE),
    sinh: unary("sinh", Math.sinh),
    sin: unary("sin", Math.sin),
    sqrt: unary("sqrt", Math.sqrt),
    tanh: unary("tanh", Math.tanh),
    tan: unary("tan", Math.tan),
    // redis_math_random: r is drawn before the arguments are checked, as in Redis.
    random: (args) => {
      const r = (rng.next() % LRAND48_MAX) / LRAND48_MAX;
      switch (args.length) {
        case 0:
          return [r];
        case 1: {
          const u = cInt(checkNumber(args, 0, "random"));
          if (!(1 <= u)) argError(0, "random", "interval is empty");
          return [Math.floor(r * u) + 1];
        }
        case 2: {
          const l = cInt(checkNumber(args, 0, "random"));
          const u = cInt(checkNumber(args, 1, "random"));
          if (!(l <= u)) argError(1, "random", "interval is empty");
          return [Math.floor(r * ((u - l + 1) | 0)) + l]; // u-l+1 in C int arithmetic
        }
        default:
          throw new LuaError("wrong number of arguments", 1);
      }
    },
    randomseed: (args) => {
      rng.seed(cInt(checkNumber(args, 0, "randomseed")));
      return [];
    },
  });
  lib.set("pi", Math.PI);
  lib.set("huge", Number.POSITIVE_INFINITY);
  lib.set("mod", lib.get("fmod")); // LUA_COMPAT_MOD
  return lib;
}

/** luaopen_math plus Redis's random functions: sets `math`. */
export function openMath(globals: LuaTable, rng: RedisRand48 = redisRandom): LuaTable {
  const lib = createMathLibrary(rng);
  globals.set("math", lib);
  return lib;
}
