/**
 * The single propagation stream (Redis's alsoPropagate / propagatePendingCommands). Every change
 * to the dataset is expressed as the deterministic command that reproduces it, and that one
 * stream feeds every sink: the AOF, the replication backlog and the attached replicas.
 *
 * Commands run in "execution units" (one top-level call, or a whole EXEC). Their operations are
 * collected while the unit runs and emitted when it ends; a unit with more than one operation
 * is wrapped in MULTI/EXEC so that replicas and the AOF apply it atomically, as Redis 7.0 does.
 * Each sink gets every command encoded once, and tracks its own SELECTed database.
 *
 *   handler ──alsoPropagate──► pending ──unit ends──► [MULTI] op.. [EXEC] ──► sinks (AOF, repl)
 */

import { encodeCommand } from "@keyhaven/protocol";

/** A consumer of the propagation stream. */
export interface PropagationSink {
  /** "aof" sinks do not receive replication-only commands (PUBLISH, as PROPAGATE_REPL). */
  readonly kind: "aof" | "repl";
  /** A command for database `dbId`, encoded as a RESP multibulk. */
  feed(dbId: number, command: Buffer): void;
}

interface PendingOp {
  dbId: number;
  argv: string[];
  replOnly: boolean;
}

const MULTI = encodeCommand(["MULTI"]);
const EXEC = encodeCommand(["EXEC"]);

export class Propagator {
  readonly sinks: PropagationSink[] = [];
  private pending: PendingOp[] = [];
  /** Nesting depth of execution units; operations are emitted when it drops to 0. */
  private depth = 0;

  addSink(sink: PropagationSink): void {
    this.sinks.push(sink);
  }

  removeSink(sink: PropagationSink): void {
    const i = this.sinks.indexOf(sink);
    if (i >= 0) this.sinks.splice(i, 1);
  }

  /** True when somebody listens: commands can skip building propagation forms otherwise. */
  get active(): boolean {
    return this.sinks.length !== 0;
  }

  beginUnit(): void {
    this.depth++;
  }

  /** Ends a unit; the outermost end emits what the unit collected. */
  endUnit(): void {
    if (--this.depth > 0) return;
    this.depth = 0;
    if (this.pending.length !== 0) this.emitPending();
  }

  /**
   * Queues a command to propagate when the current unit ends (or now, outside any unit).
   * `replOnly` keeps it out of the AOF (PUBLISH).
   */
  alsoPropagate(dbId: number, argv: string[], replOnly = false): void {
    if (this.sinks.length === 0) return;
    this.pending.push({ dbId, argv, replOnly });
    if (this.depth === 0) this.emitPending();
  }

  private emitPending(): void {
    const ops = this.pending;
    this.pending = [];
    const wrap = ops.length > 1;
    if (wrap) this.feedAll(ops[0].dbId, MULTI, false);
    for (const op of ops) this.feedAll(op.dbId, encodeCommand(op.argv), op.replOnly);
    if (wrap) this.feedAll(ops[0].dbId, EXEC, false);
  }

  private feedAll(dbId: number, bytes: Buffer, replOnly: boolean): void {
    const sinks = this.sinks;
    for (let i = 0; i < sinks.length; i++) {
      if (replOnly && sinks[i].kind === "aof") continue;
      sinks[i].feed(dbId, bytes);
    }
  }

  /** Sends a command to every sink now, outside the unit logic (PING to replicas, SELECT resets). */
  feedNow(dbId: number, argv: string[], replOnly = false): void {
    this.feedAll(dbId, encodeCommand(argv), replOnly);
  }
}
