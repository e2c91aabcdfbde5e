/**
 * notification-script and client-reconfig-script execution (sentinel.c
 * sentinelScheduleScriptExecution, sentinelRunPendingScripts, sentinelCollectTerminatedScripts,
 * sentinelKillTimedoutScripts).
 *
 * Rules, as Redis's: at most SCRIPT_MAX_RUNNING scripts run at once and SCRIPT_MAX_QUEUE wait
 * (the oldest waiting job is dropped when full); a script exiting with code 1 is retried up to
 * SCRIPT_MAX_RETRY times, waiting scriptRetryDelay * 2^(retry-1) between attempts; any other
 * non-zero exit or a signal is reported with -script-error and not retried; a script running
 * longer than scriptMaxRuntime is killed with SIGKILL. Children get no stdin/stdout/stderr and
 * no inherited descriptors (Node opens every fd close-on-exec), so they cannot hold our sockets.
 *
 * Called from events.ts (notification-script), failover.ts/discovery.ts (client-reconfig-script)
 * and the timer in monitor.ts (run, which also collects and kills).
 */

import { type ChildProcess, spawn } from "node:child_process";
import type { Server } from "@keyhaven/server";

type Logger = Server["logger"];

export const SCRIPT_MAX_QUEUE = 256;
export const SCRIPT_MAX_RUNNING = 16;
export const SCRIPT_MAX_RETRY = 10;

export interface ScriptJob {
  argv: string[];
  running: boolean;
  retryNum: number;
  /** Running: when it started; waiting: not before this time (0: any time). */
  startTime: number;
  pid: number;
  child: ChildProcess | null;
}

export class ScriptQueue {
  readonly jobs: ScriptJob[] = [];
  runningScripts = 0;
  /** scriptMaxRuntime / scriptRetryDelay, read on each use so SENTINEL DEBUG applies at once. */
  constructor(
    private readonly logger: Logger,
    private readonly timings: { scriptMaxRuntime: number; scriptRetryDelay: number },
    private readonly event: (type: string, msg: string) => void,
  ) {}

  /** Queues `path` with `args` (sentinelScheduleScriptExecution). */
  schedule(path: string, args: string[]): void {
    this.jobs.push({ argv: [path, ...args], running: false, retryNum: 0, startTime: 0, pid: 0, child: null });
    if (this.jobs.length > SCRIPT_MAX_QUEUE) {
      const oldest = this.jobs.findIndex((j) => !j.running);
      if (oldest !== -1) this.jobs.splice(oldest, 1);
    }
  }

  get queueLength(): number {
    return this.jobs.length;
  }

  /** sentinelRunPendingScripts + sentinelKillTimedoutScripts; called by the Sentinel timer. */
  run(now: number): void {
    for (const job of this.jobs) {
      if (job.running && now - job.startTime > this.timings.scriptMaxRuntime) {
        this.event("-script-timeout", `${job.argv[0]} ${job.pid}`);
        job.child?.kill("SIGKILL");
      }
    }
    for (const job of this.jobs) {
      if (this.runningScripts >= SCRIPT_MAX_RUNNING) break;
      if (job.running || (job.startTime !== 0 && job.startTime > now)) continue;
      this.start(job, now);
    }
  }

  private start(job: ScriptJob, now: number): void {
    job.running = true;
    job.startTime = now;
    job.retryNum++;
    this.runningScripts++;
    let child: ChildProcess;
    try {
      child = spawn(job.argv[0], job.argv.slice(1), { stdio: "ignore", detached: false });
    } catch {
      this.finish(job, null, 99);
      return;
    }
    job.child = child;
    job.pid = child.pid ?? 0;
    child.on("error", () => {
      // exec failed (ENOENT, EACCES): Redis's child exits with code 2, never retried.
      if (job.running) this.finish(job, null, 2);
    });
    child.on("exit", (code, signal) => {
      if (job.running) this.finish(job, signal, code ?? 0);
    });
    this.logger.debug(`+script-child ${job.pid}`);
  }

  /** sentinelCollectTerminatedScripts for one job. */
  private finish(job: ScriptJob, signal: NodeJS.Signals | null, code: number): void {
    job.running = false;
    job.child = null;
    this.runningScripts--;
    this.logger.debug(`-script-child ${job.pid} ${code} ${signal !== null ? 1 : 0}`);
    if ((signal !== null || code === 1) && job.retryNum !== SCRIPT_MAX_RETRY) {
      job.startTime = Date.now() + this.retryDelay(job.retryNum);
      job.pid = 0;
      return;
    }
    if (signal !== null || code !== 0) {
      this.event("-script-error", `${job.argv[0]} ${signal !== null ? 1 : 0} ${code}`);
    }
    this.remove(job);
  }

  /** sentinelScriptRetryDelay: the base delay doubled for each earlier attempt. */
  private retryDelay(retryNum: number): number {
    let delay = this.timings.scriptRetryDelay;
    while (retryNum-- > 1) delay *= 2;
    return delay;
  }

  private remove(job: ScriptJob): void {
    const i = this.jobs.indexOf(job);
    if (i !== -1) this.jobs.splice(i, 1);
  }

  /** Kills every running script (shutdown). */
  killAll(): void {
    for (const job of this.jobs) job.child?.kill("SIGKILL");
  }
}
