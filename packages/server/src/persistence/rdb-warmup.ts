/**
 * Start-up warm-up of the RDB encoder and decoder: once the dataset is loaded, a data node runs a
 * synthetic dataset through the code of a diskless full sync (Snapshot walk -> sink ->
 * RdbKeyspaceLoader) in the background, on databases of its own, and throws the result away.
 *
 * Why: a fresh Node process runs those paths in V8's baseline tiers, and TurboFan compiles them
 * while its first snapshot or full sync runs: ~190 ms of compile jobs in each of a master and a
 * replica during one 100k-key sync (`--trace-opt`), on a machine whose two cores the two
 * processes share. A replica added to a cluster is usually a fresh process, and so is a master
 * whose first BGSAVE comes after a restart. Redis has no such cost.
 *
 * Invariants: nothing of the server's state changes (own Db objects, never the server's; no
 * stats, no logs above debug, no keyspace events); the work is done in event-loop slices as a
 * BGSAVE's walk is, so clients are served meanwhile; it stops for good as soon as the server has
 * real work of that kind (a snapshot, a load, a replica's transfer), which warms the code anyway.
 *
 * Called by createServer (index.ts) through registerRdbWarmup.
 */

import type { RdbValue } from "@keyhaven/protocol";
import { RdbWriter } from "@keyhaven/protocol";
import { Db } from "../keyspace/db.js";
import type { Server } from "../server.js";
import type { Subsystem } from "../subsystem.js";
import { REDIS_VERSION } from "../version.js";
import { RdbKeyspaceLoader } from "./rdb-load.js";
import { rdbWriterOptions } from "./rdb-save.js";
import { Snapshot, type SnapshotSink } from "./snapshot.js";

/**
 * Keys of the synthetic dataset, and how many times it is loaded (the first load from an RDB
 * written here, each further one from a snapshot of the previous). Measured with `--trace-opt`
 * over a 100k-key diskless sync between two fresh servers: TurboFan compile work during the sync
 * 193 ms (master) and 212 ms (replica) without a warm-up; 40-75 and 63-113 ms after 3 x 20k;
 * 93-135 and 196-226 ms after 3 x 10k or 4 x 10k. It costs ~0.6 s of CPU at start-up.
 */
const WARMUP_KEYS = 20_000;
const WARMUP_ROUNDS = 3;

export interface RdbWarmupOptions {
  keys?: number;
  rounds?: number;
}

/**
 * The loader gets the stream in pieces of this size, one per event-loop turn, and the synthetic
 * dataset is written this many keys per turn: small enough that, in code not yet compiled, a
 * client's command waits a few milliseconds at most behind a slice.
 */
const FEED_BYTES = 16 * 1024;
const SYNTHETIC_KEYS_PER_TURN = 250;

/**
 * Writes the synthetic dataset into `sink` a slice per call (the first round's input): every type
 * in the encodings a typical dataset has, a third of the keys with a TTL. Returns true when done.
 */
class SyntheticRdb {
  private readonly writer: RdbWriter;
  private readonly keys: number;
  private next = 0;
  private readonly expireAt = Date.now() + 86_400_000;

  constructor(server: Server, keys: number) {
    this.keys = keys;
    this.writer = new RdbWriter(rdbWriterOptions(server.config));
    this.writer.header({
      redisVer: REDIS_VERSION,
      ctime: Math.floor(Date.now() / 1000),
      usedMem: 0,
      aofBase: false,
    });
    this.writer.selectDb(0, keys, Math.ceil(keys / 3));
  }

  writeSlice(sink: LoaderSink): boolean {
    const end = Math.min(this.keys, this.next + SYNTHETIC_KEYS_PER_TURN);
    for (let i = this.next; i < end; i++) {
      this.writer.entry(`warmup:${i}`, syntheticValue(i), i % 3 === 0 ? this.expireAt : -1);
    }
    this.next = end;
    if (end === this.keys) this.writer.end();
    sink.write(this.writer.take());
    if (end === this.keys) sink.end();
    return end === this.keys;
  }
}

function syntheticValue(i: number): RdbValue {
  const big = i % 997 === 0;
  const n = big ? 300 : 4;
  switch (i % 10) {
    case 0:
      return { type: "string", value: String(i * 7919) };
    case 1:
      // 10-110 bytes, repetitive: long enough for LZF (over 20 bytes) and compressible.
      return { type: "string", value: `${"payload-".repeat(1 + (i % 13))}${i}` };
    case 2:
    case 3:
    case 4:
      return { type: "string", value: `v${i}` };
    case 5:
      return { type: "hash", value: Array.from({ length: n }, (_, j) => [`field${j}`, String(i + j)]) };
    case 6:
      return { type: "set", value: Array.from({ length: n }, (_, j) => String(i * 31 + j)) };
    case 7:
      return { type: "set", value: Array.from({ length: n }, (_, j) => `member:${i}:${j}`) };
    case 8:
      return { type: "zset", value: Array.from({ length: n }, (_, j) => [`m${i}:${j}`, j * 1.5]) };
    default:
      return { type: "list", value: Array.from({ length: n }, (_, j) => `item:${i}:${j}`) };
  }
}

/** Passes a snapshot's output on to a loader, one piece per event-loop turn. */
class LoaderSink implements SnapshotSink {
  private readonly queue: Buffer[] = [];
  private queued = 0;
  ended = false;
  failed = false;

  write(chunks: Buffer[]): void {
    for (const chunk of chunks) {
      for (let off = 0; off < chunk.length; off += FEED_BYTES) {
        const piece = chunk.subarray(off, off + FEED_BYTES);
        this.queue.push(piece);
        this.queued += piece.length;
      }
    }
  }

  /** The next piece for the loader, or undefined. */
  take(): Buffer | undefined {
    const piece = this.queue.shift();
    if (piece !== undefined) this.queued -= piece.length;
    return piece;
  }

  end(): void {
    this.ended = true;
  }

  fail(): void {
    this.failed = true;
  }

  backlogBytes(): number {
    return this.queued;
  }
}

export class RdbWarmup {
  private readonly server: Server;
  /** The server has real work on these paths (it then warms them itself). */
  private readonly busy: () => boolean;
  private stopped = false;
  private snapshot: Snapshot | null = null;
  private startedAt = 0;
  /** Settles with true once every round ran, false if it stopped early. */
  readonly done: Promise<boolean>;
  private settle!: (completed: boolean) => void;

  private readonly keys: number;
  private readonly rounds: number;

  constructor(server: Server, busy: () => boolean, options: RdbWarmupOptions = {}) {
    this.server = server;
    this.busy = busy;
    this.keys = options.keys ?? WARMUP_KEYS;
    this.rounds = options.rounds ?? WARMUP_ROUNDS;
    this.done = new Promise((resolve) => {
      this.settle = resolve;
    });
  }

  /** Begins in the next event-loop turn (start-up logs "Ready to accept connections" first). */
  start(): void {
    this.startedAt = performance.now();
    const sink = new LoaderSink();
    const synthetic = new SyntheticRdb(this.server, this.keys);
    this.pump(sink, 0, () => synthetic.writeSlice(sink));
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.snapshot?.abort(new Error("warm-up stopped"));
    this.snapshot = null;
    this.settle(false);
  }

  /**
   * Feeds `sink`'s output to a loader turn by turn; when it is loaded, starts round `round + 1`.
   * `produce` (the first round) writes the sink's input a slice per turn until it returns true.
   */
  private pump(sink: LoaderSink, round: number, produce?: () => boolean): void {
    let producing = produce !== undefined;
    const dbs = [new Db(0, this.server)];
    const loader = new RdbKeyspaceLoader(this.server, { dropExpired: false }, dbs);
    const step = (): void => {
      if (this.stopped || this.server.shuttingDown || this.server.stopped || this.busy() || sink.failed) {
        this.stop();
        return;
      }
      if (producing && produce !== undefined) producing = !produce();
      const piece = sink.take();
      try {
        if (piece !== undefined) loader.feed(piece);
      } catch (err) {
        // Our own writer's output failing to load is a bug, but not one to stop a server for.
        this.server.logger.warning(
          { error: (err as Error).message },
          "RDB warm-up: the synthetic dataset did not load",
        );
        this.stop();
        return;
      }
      if (loader.done) {
        this.snapshot = null;
        if (round + 1 < this.rounds) this.walk(dbs, round + 1);
        else this.finish();
        return;
      }
      if (piece === undefined && sink.ended) {
        this.server.logger.debug("RDB warm-up: the synthetic stream ended early");
        this.stop();
        return;
      }
      setImmediate(step);
    };
    setImmediate(step);
  }

  /** Round `round`: a snapshot of `dbs`, read back by the next loader. */
  private walk(dbs: Db[], round: number): void {
    const sink = new LoaderSink();
    this.snapshot = new Snapshot(this.server, { purpose: "warm-up", dbs, keySaveDelay: false }, [sink]);
    this.pump(sink, round);
  }

  private finish(): void {
    this.stopped = true;
    const ms = performance.now() - this.startedAt;
    this.server.logger.debug({ ms: Math.round(ms) }, "RDB warm-up done");
    this.settle(true);
  }
}

/** Starts the warm-up once the dataset is loaded (a subsystem's load hook runs in order). */
export function registerRdbWarmup(server: Server, busy: () => boolean): RdbWarmup {
  const warmup = new RdbWarmup(server, busy);
  const subsystem: Subsystem = {
    load: () => {
      if (!busy()) warmup.start();
    },
    shutdown: () => {
      warmup.stop();
      return true;
    },
  };
  server.addSubsystem(subsystem);
  return warmup;
}
