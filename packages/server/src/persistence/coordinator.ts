/**
 * One background snapshot at a time (Redis allows a single fork child): BGSAVE, AOF rewrite and
 * replication full syncs all go through here. A caller that finds it busy either joins the
 * running snapshot as an extra sink (when the purpose allows, e.g. replicas joining a BGSAVE
 * for replication) or queues work to run when it ends (BGSAVE SCHEDULE, a rewrite scheduled
 * during a BGSAVE, replicas waiting for the next snapshot).
 */

import type { Server } from "../server.js";
import { Snapshot, type SnapshotOptions, type SnapshotSink } from "./snapshot.js";

export class SnapshotCoordinator {
  private readonly server: Server;
  current: Snapshot | null = null;
  private readonly waiting: (() => void)[] = [];
  /** Told of every snapshot's end (persistence keeps rdb_last_bgsave_time_sec from it). */
  private readonly endListeners: ((snapshot: Snapshot, ok: boolean) => void)[] = [];

  constructor(server: Server) {
    this.server = server;
  }

  get busy(): boolean {
    return this.current?.inProgress === true;
  }

  /** Starts a snapshot; throws if one is running (check `busy` or use `whenIdle`). */
  start(options: SnapshotOptions, sinks: SnapshotSink[]): Snapshot {
    if (this.busy) throw new Error("a background snapshot is already in progress");
    const snapshot = new Snapshot(this.server, options, sinks);
    this.current = snapshot;
    this.server.stats.latestForkUsec = snapshot.startMicros;
    this.server.stats.totalForks++;
    snapshot.whenDone.then(
      () => this.ended(snapshot, true),
      () => this.ended(snapshot, false),
    );
    return snapshot;
  }

  onEnded(listener: (snapshot: Snapshot, ok: boolean) => void): void {
    this.endListeners.push(listener);
  }

  /** Runs `fn` as soon as no snapshot is running (now, if idle). */
  whenIdle(fn: () => void): void {
    if (!this.busy) fn();
    else this.waiting.push(fn);
  }

  private ended(snapshot: Snapshot, ok: boolean): void {
    if (this.current === snapshot) this.current = null;
    for (const l of this.endListeners) l(snapshot, ok);
    // Each waiter may start a new snapshot; the rest wait for that one.
    while (this.waiting.length > 0 && !this.busy) this.waiting.shift()!();
  }
}
