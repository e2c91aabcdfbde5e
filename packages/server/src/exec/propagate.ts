/**
 * The single propagation stream (Redis's alsoPropagate / propagatePendingCommands). Every change
 * to the dataset is expressed as the deterministic command that reproduces it, and that one
 * stream feeds every sink: the AOF, the replication backlog and the attached replicas.
 *
 * Commands run in "execution units" (one top-level call, or a whole EXEC). Their operations are
 * collected while the unit runs and emitted when it ends; a unit with more than one operation
 * is wrapped in MULTI/EXEC so that replicas and the AOF apply it atomically, as Redis 7.0 does.
 * Each sink gets every command encoded once, and tracks its own SELECTed database; when every
 * receiving sink encodes argv itself (the AOF alone), no per-command Buffer is built at all.
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
  /**
   * The same command as its argv, for a sink that encodes it into a buffer of its own (the AOF):
   * used when every receiving sink has it, so no intermediate Buffer is built per command. The
   * bytes must equal encodeCommand(argv)'s; `argv` must not be kept.
   */
  feedArgv?(dbId: number, argv: readonly string[]): void;
}

/** Propagation targets (Redis's PROPAGATE_AOF / PROPAGATE_REPL), also redis.set_repl's flags. */
export const PROPAGATE_AOF = 1;
export const PROPAGATE_REPL = 2;
const PROPAGATE_ALL = PROPAGATE_AOF | PROPAGATE_REPL;

const MULTI_ARGV = ["MULTI"];
const EXEC_ARGV = ["EXEC"];
/** The wrappers' bytes, encoded once for sinks that take Buffers (they never modify them). */
const MULTI_BYTES = encodeCommand(MULTI_ARGV);
const EXEC_BYTES = encodeCommand(EXEC_ARGV);

export class Propagator {
  readonly sinks: PropagationSink[] = [];
  /**
   * Operations of the running unit, as parallel arrays reused from unit to unit (no object per
   * write: a plain SET is one operation per unit and this is its hot path).
   */
  private pendingDb: number[] = [];
  private pendingArgv: string[][] = [];
  private pendingTargets: number[] = [];
  private pendingCount = 0;
  /** Nesting depth of execution units; operations are emitted when it drops to 0. */
  private depth = 0;
  /**
   * Where operations queued now may go: a script narrows it with redis.set_repl for the
   * commands it calls (scripting/engine.ts restores it when the script ends).
   */
  targetMask = PROPAGATE_ALL;

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

  /**
   * Ends a unit; the outermost end emits what the unit collected. `wrap` false leaves several
   * operations unwrapped: RANDOMKEY and SCAN run directly delete the expired keys they meet, which
   * Redis propagates as separate DELs, as active expiry does (CMD_TOUCHES_ARBITRARY_KEYS).
   */
  endUnit(wrap = true): void {
    if (--this.depth > 0) return;
    this.depth = 0;
    if (this.pendingCount !== 0) this.emitPending(wrap);
  }

  /**
   * Queues a command to propagate when the current unit ends (or now, outside any unit).
   * `replOnly` keeps it out of the AOF (PUBLISH).
   */
  alsoPropagate(dbId: number, argv: string[], replOnly = false): void {
    if (this.sinks.length === 0) return;
    const targets = (replOnly ? PROPAGATE_REPL : PROPAGATE_ALL) & this.targetMask;
    if (targets === 0) return;
    const n = this.pendingCount++;
    this.pendingDb[n] = dbId;
    this.pendingArgv[n] = argv;
    this.pendingTargets[n] = targets;
    if (this.depth === 0) this.emitPending();
  }

  private emitPending(wrap = true): void {
    const count = this.pendingCount;
    const dbs = this.pendingDb;
    const argvs = this.pendingArgv;
    const targets = this.pendingTargets;
    if (count === 1) {
      // The common unit: one operation, no MULTI/EXEC. Cleared before feeding, so a sink that
      // propagated in turn would start a fresh batch.
      const argv = argvs[0];
      argvs[0] = EMPTY_ARGV;
      this.pendingCount = 0;
      this.feedAll(dbs[0], argv, targets[0]);
      return;
    }
    // Taken out first, for the same reason.
    const ops = argvs.slice(0, count);
    const opDbs = dbs.slice(0, count);
    const opTargets = targets.slice(0, count);
    argvs.fill(EMPTY_ARGV, 0, count);
    this.pendingCount = 0;
    if (wrap) this.feedAll(opDbs[0], MULTI_ARGV, PROPAGATE_ALL);
    for (let i = 0; i < count; i++) this.feedAll(opDbs[i], ops[i], opTargets[i]);
    // In the last operation's database: no SELECT between it and EXEC.
    if (wrap) this.feedAll(opDbs[count - 1], EXEC_ARGV, PROPAGATE_ALL);
  }

  /**
   * One command to every sink that takes it: as argv when they all accept argv, otherwise
   * encoded once and the same Buffer given to each.
   */
  private feedAll(dbId: number, argv: readonly string[], targets: number): void {
    const sinks = this.sinks;
    let allArgv = true;
    for (let i = 0; i < sinks.length; i++) {
      const s = sinks[i];
      if (s.feedArgv === undefined && receives(s, targets)) {
        allArgv = false;
        break;
      }
    }
    if (allArgv) {
      for (let i = 0; i < sinks.length; i++) {
        const s = sinks[i];
        if (receives(s, targets)) s.feedArgv!(dbId, argv);
      }
      return;
    }
    const bytes = argv === MULTI_ARGV ? MULTI_BYTES : argv === EXEC_ARGV ? EXEC_BYTES : encodeCommand(argv);
    for (let i = 0; i < sinks.length; i++) {
      if (receives(sinks[i], targets)) sinks[i].feed(dbId, bytes);
    }
  }

  /** Sends a command to every sink now, outside the unit logic (PING to replicas, SELECT resets). */
  feedNow(dbId: number, argv: string[], replOnly = false): void {
    this.feedAll(dbId, argv, replOnly ? PROPAGATE_REPL : PROPAGATE_ALL);
  }
}

function receives(sink: PropagationSink, targets: number): boolean {
  return (targets & (sink.kind === "aof" ? PROPAGATE_AOF : PROPAGATE_REPL)) !== 0;
}

/** Placeholder left in a consumed pending slot, so the argv it held can be collected. */
const EMPTY_ARGV: string[] = [];
