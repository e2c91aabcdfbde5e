/**
 * Counters behind INFO stats / errorstats and the instantaneous metrics sampled by the cron
 * (Redis's trackInstantaneousMetric: 16 samples, one per 100 ms, averaged).
 */

const SAMPLES = 16;

class InstantaneousMetric {
  private samples = new Float64Array(SAMPLES);
  private idx = 0;
  private lastTime = 0;
  private lastValue = 0;

  track(value: number, nowMs: number): void {
    if (this.lastTime !== 0) {
      const dt = nowMs - this.lastTime;
      if (dt > 0) {
        this.samples[this.idx] = ((value - this.lastValue) * 1000) / dt;
        this.idx = (this.idx + 1) % SAMPLES;
      }
    }
    this.lastTime = nowMs;
    this.lastValue = value;
  }

  get value(): number {
    let sum = 0;
    for (let i = 0; i < SAMPLES; i++) sum += this.samples[i];
    return sum / SAMPLES;
  }
}

export class Stats {
  totalConnectionsReceived = 0;
  totalCommandsProcessed = 0;
  totalNetInputBytes = 0;
  totalNetOutputBytes = 0;
  /**
   * Bytes read from our master's link and written to our replicas (RDB transfers included). As in
   * Redis 7.0 they are counted apart from the client bytes, and INFO's totals (and the total rates)
   * add both (genRedisInfoString, serverCron's trackInstantaneousMetric).
   */
  totalNetReplInputBytes = 0;
  totalNetReplOutputBytes = 0;
  rejectedConnections = 0;
  syncFull = 0;
  syncPartialOk = 0;
  syncPartialErr = 0;
  expiredKeys = 0;
  expiredStalePerc = 0;
  expiredTimeCapReachedCount = 0;
  expireCycleCpuMs = 0;
  evictedKeys = 0;
  evictedClients = 0;
  totalEvictionExceededTimeMs = 0;
  /** performance.now() when memory went over maxmemory and eviction could not fix it, or 0. */
  evictionExceededSince = 0;
  keyspaceHits = 0;
  keyspaceMisses = 0;
  latestForkUsec = 0;
  totalForks = 0;
  totalErrorReplies = 0;
  unexpectedErrorReplies = 0;
  dumpPayloadSanitizations = 0;
  totalReadsProcessed = 0;
  totalWritesProcessed = 0;
  protocolErrors = 0;
  clientQbufLimitDisconnections = 0;
  clientOutbufLimitDisconnections = 0;
  /** errorstats: error code (first word) -> count. */
  readonly errorCodes = new Map<string, number>();

  readonly opsPerSec = new InstantaneousMetric();
  readonly inputKbps = new InstantaneousMetric();
  readonly outputKbps = new InstantaneousMetric();
  readonly inputReplKbps = new InstantaneousMetric();
  readonly outputReplKbps = new InstantaneousMetric();

  countError(text: string): void {
    this.totalErrorReplies++;
    const space = text.indexOf(" ");
    const code = space === -1 ? text : text.slice(0, space);
    this.errorCodes.set(code, (this.errorCodes.get(code) ?? 0) + 1);
  }

  /** Called from the cron every 100 ms. */
  sample(nowMs: number): void {
    this.opsPerSec.track(this.totalCommandsProcessed, nowMs);
    this.inputKbps.track((this.totalNetInputBytes + this.totalNetReplInputBytes) / 1024, nowMs);
    this.outputKbps.track((this.totalNetOutputBytes + this.totalNetReplOutputBytes) / 1024, nowMs);
    this.inputReplKbps.track(this.totalNetReplInputBytes / 1024, nowMs);
    this.outputReplKbps.track(this.totalNetReplOutputBytes / 1024, nowMs);
  }

  /** CONFIG RESETSTAT. */
  reset(): void {
    const fresh = new Stats();
    for (const key of Object.keys(fresh) as (keyof Stats)[]) {
      const v = fresh[key];
      if (typeof v === "number") (this as Record<string, unknown>)[key] = v;
    }
    this.errorCodes.clear();
  }
}
