/**
 * The client under test: an ioredis client in Sentinel mode (it asks the Sentinels where the
 * master is, reconnects after a failover, `failoverDetector` on) writing unique keys, each
 * `SET key value` followed by `WAIT <replicas> <ms>`. A write is *acknowledged* when WAIT reports
 * at least `replicas` replicas: those must survive any single failure. A SET answered OK whose
 * WAIT fell short (or failed) is *unconfirmed*: the master had it, a failover may drop it. Every
 * attempt has its own key, so an attempt whose outcome is unknown (timeout, connection lost) is
 * never retried and never mistaken for an acknowledged one.
 *
 * WAIT's own timeout must stay well under ioredis's commandTimeout: with a replica down, WAIT
 * blocks for its whole timeout, and a client-side timeout firing first would turn every write
 * into an error although the master keeps accepting them (which is how an earlier version of
 * this harness mistook a working failover for a client that never resumed).
 *
 * ioredis 6 can give up for good in a failover: when its failover detector sees +switch-master
 * while the client is between two reconnection attempts, inside the Sentinel query, the pending
 * connect() rejects and the client goes to status "end" (SentinelConnector.connectToNext checks
 * `connecting` after resolve; Redis.connect sets "end" on any rejection). An application must then
 * call connect() again; the writer does so and counts it (`clientRestarts`), so the figures show
 * how often the client library, not the cluster, needed help.
 *
 * It measures what a user would: counts, errors by kind, and the unavailability windows (the
 * longest time without a successful SET, and without an acknowledged write). Bounded by count and
 * time; stop() ends it.
 */

import { Redis } from "ioredis";
import { MASTER_NAME, sleep, waitFor } from "./cluster.js";

export interface WriterOptions {
  /** The Sentinels the client starts from: their proxies, so the client's links can be cut too. */
  sentinelPorts: number[];
  /** WAIT's numreplicas: the number of replicas that must have a write for it to count. */
  replicas: number;
  waitMs?: number;
  prefix?: string;
  /** Upper bound on attempts. */
  maxAttempts?: number;
  /** Pause between attempts after an error. */
  errorBackoffMs?: number;
  /** ioredis commandTimeout; must exceed waitMs by a margin (see the head comment). */
  commandTimeoutMs?: number;
}

export interface WriterReport {
  attempts: number;
  /** SET answered OK (the master has it). */
  setOk: number;
  acknowledged: number;
  errors: Map<string, number>;
  /** Longest gap between two successful SETs, and between two acknowledged writes (ms). */
  maxSetGapMs: number;
  maxAckGapMs: number;
  clientRestarts: number;
}

export class Writer {
  readonly redis: Redis;
  /** key -> value of every acknowledged write. */
  readonly acknowledged = new Map<string, string>();
  /** key -> value of SETs answered OK whose WAIT did not confirm enough replicas. */
  readonly unconfirmed = new Map<string, string>();
  /** Keys whose SET failed or timed out: the master may or may not have applied them. */
  readonly unknown = new Set<string>();
  readonly errors = new Map<string, number>();
  /** The first errors, with when and the client's state, for failure messages. */
  readonly errorLog: string[] = [];
  attempts = 0;
  /** Times ioredis ended by itself and the writer called connect() again (see the head comment). */
  clientRestarts = 0;
  /** SETs answered OK (acknowledged or not). */
  setOk = 0;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private lastSetOk = 0;
  private lastAck = 0;
  maxSetGapMs = 0;
  maxAckGapMs = 0;
  /** Called after each attempt (tests hook fault injection on progress). */
  onAttempt: (n: number) => void = () => {};

  constructor(private readonly o: WriterOptions) {
    const waitMs = o.waitMs ?? 250;
    if ((o.commandTimeoutMs ?? 2000) < waitMs + 500)
      throw new Error("writer: commandTimeoutMs must exceed waitMs by 500 ms");
    this.redis = new Redis({
      sentinels: o.sentinelPorts.map((port) => ({ host: "127.0.0.1", port })),
      name: MASTER_NAME,
      failoverDetector: true,
      commandTimeout: o.commandTimeoutMs ?? 2000,
      maxRetriesPerRequest: 1,
      connectTimeout: 1000,
      sentinelRetryStrategy: () => 100,
      retryStrategy: () => 100,
      enableAutoPipelining: false,
      lazyConnect: true,
    });
    this.redis.on("error", () => {});
    this.redis.on("end", () => {
      if (this.stopped) return;
      this.clientRestarts++;
      setTimeout(() => {
        if (!this.stopped && this.redis.status === "end") this.redis.connect().catch(() => {});
      }, 100);
    });
  }

  /** Connects and starts writing. */
  async start(): Promise<void> {
    await this.redis.connect();
    const now = Date.now();
    this.lastSetOk = now;
    this.lastAck = now;
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    const prefix = this.o.prefix ?? "w";
    const max = this.o.maxAttempts ?? 200_000;
    const waitMs = this.o.waitMs ?? 250;
    for (let i = 0; !this.stopped && i < max; i++) {
      this.attempts++;
      const key = `${prefix}:${i}`;
      const value = `v${i}`;
      try {
        const set = await this.redis.set(key, value);
        if (set !== "OK") throw new Error(`SET replied ${set}`);
        this.noteSetOk();
        this.unconfirmed.set(key, value);
        const acked = (await this.redis.wait(this.o.replicas, waitMs)) as number;
        if (acked >= this.o.replicas) {
          this.unconfirmed.delete(key);
          this.acknowledged.set(key, value);
          this.noteAck();
        }
      } catch (err) {
        if (!this.unconfirmed.has(key)) this.unknown.add(key);
        const kind = String((err as Error).message).split(" ")[0];
        if (this.errorLog.length < 20)
          this.errorLog.push(
            `${Date.now() % 100_000} ${key} [${this.redis.status}] ${(err as Error).message}`,
          );
        this.errors.set(kind, (this.errors.get(kind) ?? 0) + 1);
        await sleep(this.o.errorBackoffMs ?? 20);
      }
      this.onAttempt(this.attempts);
    }
  }

  private noteSetOk(): void {
    this.setOk++;
    const now = Date.now();
    this.maxSetGapMs = Math.max(this.maxSetGapMs, now - this.lastSetOk);
    this.lastSetOk = now;
  }

  private noteAck(): void {
    const now = Date.now();
    this.maxAckGapMs = Math.max(this.maxAckGapMs, now - this.lastAck);
    this.lastAck = now;
  }

  /** Waits until `n` more writes were acknowledged (bounded). */
  async waitAcknowledged(n: number, timeoutMs = 30_000): Promise<void> {
    const target = this.acknowledged.size + n;
    const deadline = Date.now() + timeoutMs;
    while (this.acknowledged.size < target) {
      if (Date.now() > deadline)
        throw new Error(
          `writer: ${this.acknowledged.size}/${target} acknowledged after ${timeoutMs} ms; errors ${JSON.stringify([...this.errors])}`,
        );
      await sleep(20);
    }
  }

  /** Waits (bounded) until `n` more SETs than now were answered OK; `what` names the wait on timeout. */
  async waitSetOk(n: number, what: string, timeoutMs: number): Promise<void> {
    const target = this.setOk + n;
    await waitFor(
      () => this.setOk >= target,
      what,
      timeoutMs,
      () => this.diagnose(),
    );
  }

  /** Errors, state and the first error lines, for failure messages. */
  diagnose(): string {
    return `writer: setOk=${this.setOk} acknowledged=${this.acknowledged.size} status=${this.redis.status} errors=${JSON.stringify([...this.errors])}\n${this.errorLog.join("\n")}`;
  }

  async stop(): Promise<WriterReport> {
    this.stopped = true;
    await this.loop;
    this.redis.disconnect();
    return {
      attempts: this.attempts,
      setOk: this.setOk,
      clientRestarts: this.clientRestarts,
      acknowledged: this.acknowledged.size,
      errors: this.errors,
      maxSetGapMs: this.maxSetGapMs,
      maxAckGapMs: this.maxAckGapMs,
    };
  }
}

/**
 * Prints a scenario's figures as one line (`chaos <scenario>: {json}`), the form the users'
 * failover experiments compare from run to run.
 */
export function printFigures(scenario: string, figures: Record<string, unknown>): void {
  console.log(`chaos ${scenario}: ${JSON.stringify(figures)}`);
}
