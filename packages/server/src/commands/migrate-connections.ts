/**
 * The main thread's side of MIGRATE's connections: a worker thread (migrate-worker.ts) owns the
 * cached connections to target instances and does the network exchange, so one implementation
 * serves both ways MIGRATE waits for it:
 *
 * - `submit`: asynchronously. A client's MIGRATE waits like a blocked client while the server
 *   goes on serving everyone else; the result comes back as a message.
 * - `runSync`: synchronously, as Redis does for every MIGRATE. Used inside MULTI/EXEC and
 *   scripts, which must run to the end in one go: the main thread sleeps on a shared flag
 *   (Atomics.wait) until the worker has the result, then takes it off a message port. The server
 *   serves nobody meanwhile, as Redis does not.
 *
 * The worker starts with the first MIGRATE and does not keep the process alive. If it dies, the
 * jobs it had fail with an I/O error and the next MIGRATE starts a new one.
 */

import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";
import type { CacheSizeMessage, MigrateJob, MigrateResult, WorkerInit } from "./migrate-worker.js";

export type { MigrateJob, MigrateResult };

/** The result for a job whose worker failed, or that outlived the synchronous wait. */
function lostResult(id: number): MigrateResult {
  return { id, acked: [], targetError: null, ioError: "reading" };
}

class MigrateConnections {
  private worker: Worker | null = null;
  private syncPort: MessagePort | null = null;
  private syncFlag: Int32Array | null = null;
  private nextId = 1;
  /** Connections the worker holds (INFO's migrate_cached_sockets), as it last reported. */
  cachedSockets = 0;
  private readonly waiting = new Map<number, (r: MigrateResult) => void>();

  private ensureWorker(): Worker {
    if (this.worker !== null) return this.worker;
    const channel = new MessageChannel();
    const flag = new Int32Array(new SharedArrayBuffer(4));
    // Running from source (tests that load src/) the worker is the .ts file next to this one.
    const ext = import.meta.url.endsWith(".ts") ? "ts" : "js";
    const init: WorkerInit = { syncPort: channel.port2, syncFlag: flag };
    const worker = new Worker(new URL(`./migrate-worker.${ext}`, import.meta.url), {
      workerData: init,
      transferList: [channel.port2],
    });
    worker.unref();
    worker.on("message", (message: MigrateResult | CacheSizeMessage) => {
      if ("cachedSockets" in message) {
        this.cachedSockets = message.cachedSockets;
        return;
      }
      const result = message;
      const done = this.waiting.get(result.id);
      this.waiting.delete(result.id);
      done?.(result);
    });
    const lost = () => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.cachedSockets = 0;
      this.syncPort?.close();
      this.syncPort = null;
      const pending = [...this.waiting];
      this.waiting.clear();
      for (const [id, done] of pending) done(lostResult(id));
    };
    worker.on("error", lost);
    worker.on("exit", lost);
    this.worker = worker;
    this.syncPort = channel.port1;
    this.syncFlag = flag;
    return worker;
  }

  /** Starts `job`; `done` gets its result on a later turn of the event loop. */
  submit(job: Omit<MigrateJob, "id" | "sync">, done: (result: MigrateResult) => void): void {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    this.waiting.set(id, done);
    worker.postMessage({ ...job, id, sync: false } satisfies MigrateJob);
  }

  /**
   * Runs `job` while the main thread waits. `maxWaitMs` bounds the wait should the worker never
   * answer (the worker's own timeouts end every exchange well before).
   */
  runSync(job: Omit<MigrateJob, "id" | "sync">, maxWaitMs: number): MigrateResult {
    const worker = this.ensureWorker();
    const flag = this.syncFlag!;
    const port = this.syncPort!;
    const id = this.nextId++;
    Atomics.store(flag, 0, 0);
    worker.postMessage({ ...job, id, sync: true } satisfies MigrateJob);
    const deadline = Date.now() + maxWaitMs;
    for (;;) {
      const received = receiveMessageOnPort(port);
      if (received !== undefined) {
        const result = received.message as MigrateResult;
        // A result of an earlier job given up on is dropped.
        if (result.id === id) return result;
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0) return lostResult(id);
      Atomics.wait(flag, 0, 0, left);
      Atomics.store(flag, 0, 0);
    }
  }
}

let connections: MigrateConnections | null = null;

/** INFO's migrate_cached_sockets. */
export function migrateCachedSockets(): number {
  return connections?.cachedSockets ?? 0;
}

/** The process's MIGRATE connections (one worker and one connection cache, as Redis has one). */
export function migrateConnections(): MigrateConnections {
  connections ??= new MigrateConnections();
  return connections;
}
