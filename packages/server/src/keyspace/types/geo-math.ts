/**
 * sin, cos and asin rounded correctly to the nearest double, for the GEO distances.
 *
 * Why: Redis computes its haversine distances with glibc's libm, whose results are the
 * correctly rounded ones in all but vanishingly rare cases, while V8's Math.sin/cos/asin (fdlibm)
 * are often one unit in the last place off. GEOSEARCHSTORE ... STOREDIST stores those distances
 * with every bit, so a one-ulp difference shows (4376.554944019962 against 4376.5549440199629).
 *
 * How: each function is evaluated in double-double arithmetic (about 106 bits) and then rounded
 * once. Arguments are those of the haversine formula and the search's bounding box: sin of half
 * a latitude or longitude difference, cos of a latitude (a few turns at most), asin of [0, 1].
 */

/** Double-double results (hi + lo, |lo| <= ulp(hi) / 2), without allocation. */
let rh = 0;
let rl = 0;

const SPLITTER = 134217729; // 2^27 + 1, Dekker's splitting constant

/** (ah + al) * (bh + bl) into rh, rl. */
function mul(ah: number, al: number, bh: number, bl: number): void {
  const p = ah * bh;
  let t = SPLITTER * ah;
  const ahh = t - (t - ah);
  const ahl = ah - ahh;
  t = SPLITTER * bh;
  const bhh = t - (t - bh);
  const bhl = bh - bhh;
  const err = ahh * bhh - p + ahh * bhl + ahl * bhh + ahl * bhl;
  const lo = err + (ah * bl + al * bh);
  rh = p + lo;
  rl = lo - (rh - p);
}

/** (ah + al) + (bh + bl) into rh, rl. */
function add(ah: number, al: number, bh: number, bl: number): void {
  const s = ah + bh;
  const v = s - ah;
  const e = ah - (s - v) + (bh - v) + al + bl;
  rh = s + e;
  rl = e - (rh - s);
}

/** 1/n! as double-doubles, for the Taylor series. */
const INV_FACT_HI: number[] = [];
const INV_FACT_LO: number[] = [];
{
  // n! exactly in BigInt; its reciprocal scaled by 2^300, split into two doubles.
  let fact = 1n;
  for (let n = 0; n <= 40; n++) {
    if (n > 0) fact *= BigInt(n);
    const scaled = (1n << 300n) / fact;
    const hi = Number(scaled);
    INV_FACT_HI.push(hi / 2 ** 300);
    INV_FACT_LO.push(Number(scaled - BigInt(hi)) / 2 ** 300);
  }
}

/** pi as a double-double. */
const PI_HI = Math.PI;
const PI_LO = 1.2246467991473532e-16;

/** Taylor series of sin (odd) or cos (even) at xh + xl (|x| <= pi / 2), into rh, rl. */
function series(xh: number, xl: number, odd: boolean): void {
  mul(xh, xl, xh, xl);
  const x2h = rh;
  const x2l = rl;
  // Horner from the highest term: sum (-1)^k x^2k / (2k + odd)!.
  const first = odd ? 1 : 0;
  let last = 19;
  let sh = ((last & 1) === 0 ? 1 : -1) * INV_FACT_HI[2 * last + first];
  let sl = ((last & 1) === 0 ? 1 : -1) * INV_FACT_LO[2 * last + first];
  for (last--; last >= 0; last--) {
    mul(sh, sl, x2h, x2l);
    const sign = (last & 1) === 0 ? 1 : -1;
    add(rh, rl, sign * INV_FACT_HI[2 * last + first], sign * INV_FACT_LO[2 * last + first]);
    sh = rh;
    sl = rl;
  }
  if (odd) mul(sh, sl, xh, xl);
  else {
    rh = sh;
    rl = sl;
  }
}

const HALF_PI = Math.PI / 2;
const TWO_PI = 2 * Math.PI;

/**
 * x reduced to [-pi, pi] as a double-double (x - k * 2pi with 2pi in double-double), into rh, rl.
 * Exact enough for the few turns a search's bounding box can make.
 */
function reduce(x: number): void {
  if (Math.abs(x) <= PI_HI) {
    rh = x;
    rl = 0;
    return;
  }
  const k = Math.round(x / TWO_PI);
  mul(k, 0, 2 * PI_HI, 2 * PI_LO);
  add(x, 0, -rh, -rl);
}

/** sin of a double-double in [-pi, pi], into rh, rl. */
function sinDD(xh: number, xl: number): void {
  const negative = xh < 0;
  if (negative) {
    xh = -xh;
    xl = -xl;
  }
  // sin(x) = sin(pi - x) keeps the series' argument within pi / 2.
  if (xh > HALF_PI) {
    add(PI_HI, PI_LO, -xh, -xl);
    xh = rh;
    xl = rl;
  }
  series(xh, xl, true);
  if (negative) {
    rh = -rh;
    rl = -rl;
  }
}

/** cos of a double-double in [-pi, pi], into rh, rl. */
function cosDD(xh: number, xl: number): void {
  if (xh < 0) {
    xh = -xh;
    xl = -xl;
  }
  // cos(x) = -cos(pi - x) keeps the series' argument within pi / 2.
  if (xh > HALF_PI) {
    add(PI_HI, PI_LO, -xh, -xl);
    series(rh, rl, false);
    rh = -rh;
    rl = -rl;
    return;
  }
  series(xh, xl, false);
}

/** Correctly rounded sin(x). */
export function sin(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return Math.sin(x);
  reduce(x);
  sinDD(rh, rl);
  return rh + rl;
}

/** Correctly rounded cos(x). */
export function cos(x: number): number {
  if (!Number.isFinite(x)) return Math.cos(x);
  reduce(x);
  cosDD(rh, rl);
  return rh + rl;
}

/** Correctly rounded asin(y), 0 <= y <= 1: Newton steps on sin in double-double from V8's. */
export function asin(y: number): number {
  if (!(y > 0 && y <= 1)) return Math.asin(y);
  let th = Math.asin(y);
  let tl = 0;
  for (let step = 0; step < 2; step++) {
    sinDD(th, tl);
    // The residual y - sin(t), in double-double.
    add(y, 0, -rh, -rl);
    const residual = rh + rl;
    cosDD(th, tl);
    if (rh === 0) break;
    // t += residual / cos(t): the quotient needs far less precision than the sum.
    add(th, tl, residual / rh, 0);
    th = rh;
    tl = rl;
  }
  return th + tl;
}
