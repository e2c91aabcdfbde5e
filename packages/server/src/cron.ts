/**
 * The one periodic timer (Redis's serverCron): `hz` ticks per second drive active expiry,
 * client timeouts, save points, replication pings and acks, and stats sampling. Tasks that
 * need a slower pace use `every(ms)`, like Redis's run_with_period. No subsystem keeps its own
 * timer per key, client or replica.
 */

import { refreshClock } from "./keyspace/clock.js";

interface PeriodicTask {
  periodMs: number;
  lastRun: number;
  run: () => void;
}

export class Cron {
  private hz: number;
  private timer: NodeJS.Timeout | null = null;
  private readonly tickTasks: (() => void)[] = [];
  private readonly periodic: PeriodicTask[] = [];
  /** Tick counter (Redis's cronloops). */
  loops = 0;

  constructor(hz: number) {
    this.hz = clampHz(hz);
  }

  /** Runs `task` on every tick. */
  everyTick(task: () => void): void {
    this.tickTasks.push(task);
  }

  /** Runs `task` at most once per `periodMs` (checked on each tick). */
  every(periodMs: number, task: () => void): void {
    this.periodic.push({ periodMs, lastRun: 0, run: task });
  }

  get currentHz(): number {
    return this.hz;
  }

  setHz(hz: number): void {
    this.hz = clampHz(hz);
    if (this.timer !== null) {
      this.stop();
      this.start();
    }
  }

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.tick(), Math.max(1, Math.floor(1000 / this.hz)));
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** One cron pass; exposed so tests and DEBUG can drive it deterministically. */
  tick(): void {
    const now = refreshClock();
    this.loops++;
    for (const task of this.tickTasks) task();
    for (const p of this.periodic) {
      if (now - p.lastRun >= p.periodMs) {
        p.lastRun = now;
        p.run();
      }
    }
  }
}

/** Redis clamps hz to 1..500 (CONFIG_MIN_HZ / CONFIG_MAX_HZ). */
function clampHz(hz: number): number {
  return Math.min(500, Math.max(1, hz));
}
