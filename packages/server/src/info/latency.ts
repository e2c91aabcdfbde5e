/**
 * Per-command latency histograms behind INFO latencystats (Redis 7.0's latency-tracking, which
 * keeps an HdrHistogram per command). Ours is a log-linear histogram: 16 sub-buckets per power
 * of two of nanoseconds (about 4% precision), allocated on a command's first call. Recording is
 * one log2 and one increment; call() does it only while latency-tracking is on.
 */

/** Sub-buckets per power of two: 16 keeps every bucket within ~4.4% of its values. */
const SUB_BUCKETS = 16;
/** Powers of two of nanoseconds covered (2^48 ns is over three days). */
const MAX_EXPONENT = 48;

export function newLatencyHistogram(): Float64Array {
  return new Float64Array(MAX_EXPONENT * SUB_BUCKETS);
}

/** Records one duration given in microseconds. */
export function recordLatency(histogram: Float64Array, micros: number): void {
  const ns = micros * 1000;
  let index = 0;
  if (ns >= 1 && ns < 2147483648) {
    // The common case in integer arithmetic: clz32 finds the power of two, a shift the sub-bucket.
    const v = ns | 0;
    const e = 31 - Math.clz32(v);
    const sub = e >= 4 ? (v >>> (e - 4)) & (SUB_BUCKETS - 1) : (v << (4 - e)) & (SUB_BUCKETS - 1);
    index = e * SUB_BUCKETS + sub;
  } else if (ns >= 1) {
    const e = Math.min(MAX_EXPONENT - 1, Math.floor(Math.log2(ns)));
    const sub = Math.min(SUB_BUCKETS - 1, Math.floor((ns / 2 ** e - 1) * SUB_BUCKETS));
    index = e * SUB_BUCKETS + sub;
  }
  histogram[index]++;
}

/** The value (µs) at percentile `p` (0..100): the upper edge of the bucket that reaches it. */
export function latencyPercentile(histogram: Float64Array, p: number): number {
  let total = 0;
  for (let i = 0; i < histogram.length; i++) total += histogram[i];
  if (total === 0) return 0;
  const wanted = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i];
    if (seen >= wanted) {
      const e = Math.floor(i / SUB_BUCKETS);
      const sub = i % SUB_BUCKETS;
      return (2 ** e * (1 + (sub + 1) / SUB_BUCKETS)) / 1000;
    }
  }
  return 0;
}

/** Redis's LATENCY_HISTOGRAM_MAX_VALUE (1 s): slower calls are counted as taking 1 s. */
const HISTOGRAM_MAX_EXPONENT = 30;

/**
 * LATENCY HISTOGRAM's cumulative distribution (fillCommandCDF): hdr_iter_log from 1024 ns
 * doubling, each step reported as [µs label, calls at or below it] when the count grew. The label
 * is what Redis prints for the step, the highest value its 2-significant-digit HdrHistogram
 * treats as equal to 2^k ns (2^k + 2^(k-7) - 1), in whole µs: 1, 2, 4, 8, 16, 33, 66, 132...
 * Our buckets split exactly at powers of two, so a step counts the calls below 2^k ns (Redis's
 * also takes the ~0.8% above it).
 */
export function latencyCdf(histogram: Float64Array): { calls: number; steps: [number, number][] } {
  let calls = 0;
  for (let i = 0; i < histogram.length; i++) calls += histogram[i];
  const steps: [number, number][] = [];
  let cumulative = 0;
  let i = 0;
  for (let k = 10; cumulative < calls && k <= HISTOGRAM_MAX_EXPONENT; k++) {
    const end = k === HISTOGRAM_MAX_EXPONENT ? histogram.length : k * SUB_BUCKETS;
    const before = cumulative;
    while (i < end) cumulative += histogram[i++];
    if (cumulative > before) steps.push([Math.floor((2 ** k + 2 ** (k - 7) - 1) / 1000), cumulative]);
  }
  return { calls, steps };
}
