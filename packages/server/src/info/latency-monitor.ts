/**
 * The latency monitor (Redis 7.0's latency.c): for each event a ring of LATENCY_TS_LEN samples,
 * at most one per second (the worst latency seen in that second), and the worst latency ever.
 * Samples are recorded only while latency-monitor-threshold is above 0, and only for latencies
 * at or above it (latencyAddSampleIfNeeded); dispatch tests one cached boolean before calling in.
 *
 * Events recorded here: "command" and "fast-command" (call(), by the command's `fast` flag) and
 * "expire-cycle" (the cron's active expiry). LATENCY LATEST/HISTORY/RESET/DOCTOR/GRAPH read this
 * state.
 */

/** Samples kept per event: Redis's LATENCY_TS_LEN, 160 seconds of history at one per second. */
export const LATENCY_TS_LEN = 160;

/** latencyTimeSeries: `times[i] === 0` marks a slot never written. */
export class LatencyTimeSeries {
  /** The slot the next new second writes. */
  idx = 0;
  max = 0;
  readonly times = new Float64Array(LATENCY_TS_LEN);
  readonly latencies = new Float64Array(LATENCY_TS_LEN);

  /** The most recent sample's slot. */
  last(): number {
    return (this.idx + LATENCY_TS_LEN - 1) % LATENCY_TS_LEN;
  }
}

export class LatencyMonitor {
  /** Events in creation order (Redis iterates a dict; the order is unspecified there). */
  readonly events = new Map<string, LatencyTimeSeries>();
  /** latency-monitor-threshold, in milliseconds; 0 disables recording. */
  threshold = 0;

  /** latencyAddSampleIfNeeded: `latencyMs` is whole milliseconds, as Redis's duration/1000. */
  addSampleIfNeeded(event: string, latencyMs: number, nowSeconds: number): void {
    if (this.threshold > 0 && latencyMs >= this.threshold) this.addSample(event, latencyMs, nowSeconds);
  }

  /** latencyAddSample: a sample in the same second as the previous one only raises it. */
  addSample(event: string, latencyMs: number, nowSeconds: number): void {
    let ts = this.events.get(event);
    if (ts === undefined) {
      ts = new LatencyTimeSeries();
      this.events.set(event, ts);
    }
    if (latencyMs > ts.max) ts.max = latencyMs;
    const prev = ts.last();
    if (ts.times[prev] === nowSeconds) {
      if (latencyMs > ts.latencies[prev]) ts.latencies[prev] = latencyMs;
      return;
    }
    ts.times[ts.idx] = nowSeconds;
    ts.latencies[ts.idx] = latencyMs;
    ts.idx = (ts.idx + 1) % LATENCY_TS_LEN;
  }

  /** The samples of `ts`, oldest first, as [time, latency] pairs (latencyCommandReplyWithSamples). */
  static samples(ts: LatencyTimeSeries): [number, number][] {
    const out: [number, number][] = [];
    for (let j = 0; j < LATENCY_TS_LEN; j++) {
      const i = (ts.idx + j) % LATENCY_TS_LEN;
      if (ts.times[i] !== 0) out.push([ts.times[i], ts.latencies[i]]);
    }
    return out;
  }

  /** latencyResetEvent: forgets one event (or all, with null); returns how many were removed. */
  reset(event: string | null): number {
    if (event === null) {
      const n = this.events.size;
      this.events.clear();
      return n;
    }
    // Redis's event table compares names case-insensitively for RESET (not for HISTORY/GRAPH).
    const lower = event.toLowerCase();
    for (const name of this.events.keys()) {
      if (name.toLowerCase() === lower) {
        this.events.delete(name);
        return 1;
      }
    }
    return 0;
  }
}
