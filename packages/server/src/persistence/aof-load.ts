/**
 * Loading the AOF (aof.c loadAppendOnlyFiles / loadSingleAppendOnlyFile): the base file and every
 * incr file named by the manifest, in order, each either an RDB (a `.base.rdb`, or an old-style
 * file with an RDB preamble followed by commands) or commands replayed through a fake client.
 *
 * The work is a generator that yields between time-bounded slices: at start-up it is driven
 * asynchronously (clients get -LOADING in between, key-load-delay slows it for tests), and DEBUG
 * LOADAOF drives it synchronously. During a slice nothing else runs, and propagation is detached
 * so replayed commands reach no sink (Redis's loading does not propagate).
 *
 * What the files decide, as in Redis 7.0:
 * - a file cut inside a command (or ending inside MULTI) is "truncated": with aof-load-truncated
 *   and when it is the last file, it is loaded up to its last complete command (an unfinished
 *   MULTI/EXEC is discarded) and truncated there, logged; otherwise loading fails;
 * - a malformed item, an unknown command or a bad RDB part fails the load, logged with the file
 *   and the byte offset; the file is left untouched.
 * Deliberate differences (safer than Redis, same outcome for good files): a wrong argument count
 * is a format error instead of undefined behaviour; a truncated file that is not the last one is
 * refused before it is modified; a cut inside a MULTI truncates before the MULTI, not after its
 * queued commands (Redis's offset would let a later append complete the old transaction); an
 * RDB-preamble file cut before its first command keeps its RDB part.
 *
 * Before anything is measured or read, the reservation a crash may have left at the end of an incr
 * file (annotations only, aof-reserve.ts) is cut off.
 *
 * Callers: aof.ts (start-up, DEBUG LOADAOF).
 */

import { closeSync, fstatSync, openSync, readSync, truncateSync } from "node:fs";
import {
  AOF_ANNOTATION,
  AOF_NEED_MORE,
  AofCommandReader,
  AofFormatError,
  type AofManifest,
} from "@keyhaven/protocol";
import type { Command } from "../commands/spec.js";
import { type Client, ClientFlag } from "../network/client.js";
import type { Server } from "../server.js";
import { strerror } from "../util/strerror.js";
import { type AofDir, dirExists, fileExists } from "./aof-files.js";
import { reservedTail } from "./aof-reserve.js";
import { RdbKeyspaceLoader, RdbLoadError } from "./rdb-load.js";

export type AofLoadStatus = "ok" | "not_exist" | "empty" | "open_err" | "failed" | "truncated";

export interface AofLoadOutcome {
  status: AofLoadStatus;
  /** Bytes of base + incr files (aof_current_size after loading). */
  totalSize: number;
  /** Bytes of the base file (aof_rewrite_base_size after loading). */
  baseSize: number;
}

export interface AofLoadContext {
  server: Server;
  dir: AofDir;
  /** aof-load-truncated. */
  truncatedOk: boolean;
  /** startLoading/stopLoading and the loading_loaded_bytes progress. */
  startLoading(totalBytes: number): void;
  stopLoading(): void;
  addLoadedBytes(n: number): void;
}

/** Bytes read per piece of a file. */
const READ_CHUNK = 1024 * 1024;
/** RDB bytes parsed between time checks. */
const RDB_PIECE = 64 * 1024;
/** Time budget (ms) of one slice when loading asynchronously. */
const SLICE_MS = 10;

/** What the generator yields: milliseconds to wait before the next slice (0: just yield). */
type Pause = number;

/**
 * loadAppendOnlyFiles: loads the files `am` names (after upgrading a pre-7.0 single file into the
 * directory, as Redis does). Mutates `am` on upgrade. Never throws for bad files: the status says.
 */
export function* loadAppendOnlyFiles(ctx: AofLoadContext, am: AofManifest): Generator<Pause, AofLoadOutcome> {
  const { dir, server } = ctx;
  const logger = server.logger;
  const none = (status: AofLoadStatus): AofLoadOutcome => ({ status, totalSize: 0, baseSize: 0 });
  if (fileExists(dir.oldFilePath)) {
    const noFiles = am.base === null && am.incr.length === 0;
    const baseIsOldFile =
      am.base !== null &&
      am.incr.length === 0 &&
      am.base.fileName === dir.filename &&
      !fileExists(dir.path(dir.filename));
    if (!dirExists(dir.dirPath) || noFiles || baseIsOldFile) {
      try {
        dir.upgradeSingleFile(am, logger);
      } catch {
        return none("failed");
      }
    }
  }
  if (am.base === null && am.incr.length === 0) return none("not_exist");
  const files = [...(am.base !== null ? [am.base] : []), ...am.incr];
  // Bytes an `always` writer reserved past the commands when the process died (aof-reserve.ts):
  // each incr file is read up to them, and they are cut once it loaded.
  const reservedFrom = new Map<string, number>();
  for (const f of am.incr) {
    try {
      const { start, size } = reservedTail(dir.path(f.fileName));
      if (start < size) reservedFrom.set(f.fileName, start);
    } catch {
      // A missing or unreadable file is reported by the size check below, as Redis reports it.
    }
  }
  const cutReserved = (name: string): void => {
    const start = reservedFrom.get(name);
    if (start === undefined) return;
    const size = dir.fileSize(name, null).size;
    if (size <= start) return; // truncated to its last complete command already
    try {
      truncateSync(dir.path(name), start);
      logger.notice(`Removed ${size - start} bytes reserved ahead of the end of ${name}`);
    } catch (err) {
      // Left in place it is only annotations, which every loader skips.
      logger.warning(`Could not remove the bytes reserved ahead of the end of ${name}: ${strerror(err)}`);
    }
  };
  let totalSize = 0;
  for (const f of files) {
    const { size, error } = dir.fileSize(f.fileName, logger);
    // A file the manifest names but the disk lacks is fatal (AOF_NOT_EXIST becomes AOF_FAILED).
    if (error !== null) return none(error === "ENOENT" ? "failed" : "open_err");
    totalSize += reservedFrom.get(f.fileName) ?? size;
  }
  if (totalSize === 0) {
    for (const name of reservedFrom.keys()) cutReserved(name);
    return none("empty");
  }
  ctx.startLoading(totalSize);
  let baseSize = 0;
  let status: AofLoadStatus = "ok";
  try {
    for (let i = 0; i < files.length; i++) {
      const name = files[i].fileName;
      const isBase = am.base !== null && i === 0;
      const last = i === files.length - 1;
      if (isBase) baseSize = dir.fileSize(name, null).size;
      const start = performance.now();
      let ret: AofLoadStatus = yield* loadSingleAppendOnlyFile(ctx, name, last, reservedFrom.get(name));
      if (ret === "ok" || ret === "empty") cutReserved(name);
      if (ret === "ok" || (ret === "truncated" && last)) {
        logger.notice(
          `DB loaded from ${isBase ? "base" : "incr"} file ${name}: ${((performance.now() - start) / 1000).toFixed(3)} seconds`,
        );
      }
      // At least one file has data, so an empty incr file is fine.
      if (ret === "empty" && !isBase) ret = "ok";
      if (ret === "open_err" || ret === "failed") {
        status = ret;
        return none(ret);
      }
      if (ret === "truncated") status = "truncated";
    }
  } finally {
    ctx.stopLoading();
  }
  if (status === "truncated") {
    // The last file got shorter: report the sizes as they are now.
    totalSize = 0;
    for (const f of files) totalSize += dir.fileSize(f.fileName, null).size;
    if (am.base !== null) baseSize = dir.fileSize(am.base.fileName, null).size;
  }
  return { status, totalSize, baseSize };
}

/** Runs a load generator to completion at once (DEBUG LOADAOF), with propagation detached. */
export function runLoadSync<T>(server: Server, gen: Generator<Pause, T>): T {
  for (;;) {
    const r = step(server, gen);
    if (r.done) return r.value;
  }
}

/** Runs a load generator in slices between event-loop turns (start-up: clients get -LOADING). */
export async function runLoadAsync<T>(server: Server, gen: Generator<Pause, T>): Promise<T> {
  for (;;) {
    const r = step(server, gen);
    if (r.done) return r.value;
    const ms = r.value;
    await new Promise<void>((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)));
  }
}

/** One slice: replayed commands must not reach the AOF, the backlog or replicas. */
function step<T>(server: Server, gen: Generator<Pause, T>): IteratorResult<Pause, T> {
  const sinks = server.propagator.sinks.splice(0);
  const prevClient = server.currentClient;
  try {
    return gen.next();
  } finally {
    server.currentClient = prevClient;
    server.propagator.sinks.unshift(...sinks);
  }
}

/** Reads a file in pieces (fgets/fread over a FILE*). */
class FileReader {
  private readonly fd: number;
  /** Where reading stops: the file's size, or where a reservation left in it starts. */
  private readonly end: number;
  private pos = 0;

  constructor(fd: number, end: number) {
    this.fd = fd;
    this.end = end;
  }

  /** The next piece, or null at the end. */
  read(): Buffer | null {
    const want = Math.min(READ_CHUNK, this.end - this.pos);
    if (want <= 0) return null;
    const buf = Buffer.allocUnsafe(want);
    const n = readSync(this.fd, buf, 0, want, this.pos);
    if (n === 0) return null;
    this.pos += n;
    return n === want ? buf : buf.subarray(0, n);
  }
}

/**
 * Replays commands as loadSingleAppendOnlyFile does: through a fake client that never replies and
 * never blocks, with MULTI ... EXEC queued and applied together at EXEC.
 */
class AofReplayer {
  private readonly server: Server;
  private readonly client: Client;
  /** Queued commands of an open MULTI, or null outside one. */
  queued: [Command, string[]][] | null = null;

  constructor(server: Server) {
    this.server = server;
    const c = server.createFakeClient();
    // CLIENT_DENY_BLOCKING: a blocking command must answer at once (as inside EXEC).
    c.flags |= ClientFlag.InExec;
    this.client = c;
  }

  /** Looks the command up and runs or queues it; returns an error text for a bad command. */
  apply(argv: string[]): string | null {
    const cmd = this.server.commands.lookup(argv);
    if (cmd === null || cmd === undefined || cmd.handler === undefined) {
      return `Unknown command '${argv[0]}'`;
    }
    const argc = argv.length;
    if ((cmd.arity > 0 && cmd.arity !== argc) || argc < -cmd.arity) {
      return `wrong number of arguments for '${cmd.fullName}' command`;
    }
    if (cmd.name === "multi" && cmd.parent === null) {
      if (this.queued === null) this.queued = [];
      return null;
    }
    if (cmd.name === "exec" && cmd.parent === null) {
      const queued = this.queued;
      this.queued = null;
      if (queued !== null) for (const [qc, qa] of queued) this.run(qc, qa);
      return null;
    }
    if (this.queued !== null) {
      this.queued.push([cmd, argv]);
      return null;
    }
    this.run(cmd, argv);
    return null;
  }

  private run(cmd: Command, argv: string[]): void {
    const c = this.client;
    this.server.currentClient = c;
    c.argv = argv;
    c.cmd = cmd;
    cmd.handler!(c);
    // Replies go nowhere (Redis's AOF client is a replica waiting for BGSAVE: nothing is sent).
    if (c.out.pendingBytes > 64 * 1024) c.out.discard();
  }

  close(): void {
    this.client.out.discard();
    this.client.multiQueue = [];
  }
}

/**
 * loadSingleAppendOnlyFile. `last`: the last file of the manifest, the only one that may be
 * truncated. `readEnd`: where the file's commands end, when a reservation follows them.
 */
function* loadSingleAppendOnlyFile(
  ctx: AofLoadContext,
  name: string,
  last: boolean,
  readEnd?: number,
): Generator<Pause, AofLoadStatus> {
  const { server, dir } = ctx;
  const logger = server.logger;
  const path = dir.path(name);
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      logger.warning(`The append log file ${name} doesn't exist: ${strerror(err)}`);
      return "not_exist";
    }
    logger.warning(`Fatal error: can't open the append log file ${name} for reading: ${strerror(err)}`);
    return "open_err";
  }
  const replay = new AofReplayer(server);
  try {
    const size = Math.min(fstatSync(fd).size, readEnd ?? Number.POSITIVE_INFINITY);
    if (size === 0) return "empty";
    const file = new FileReader(fd, size);
    let sliceStart = performance.now();
    let chunk = file.read();
    let reader: AofCommandReader;
    let validUpTo = 0;
    if (chunk !== null && chunk.length >= 5 && chunk.toString("latin1", 0, 5) === "REDIS") {
      const oldStyle = name === dir.filename;
      logger.notice(
        oldStyle ? "Reading RDB preamble from AOF file..." : "Reading RDB base file on AOF loading...",
      );
      const loader = new RdbKeyspaceLoader(server, { dropExpired: false }, server.dbs);
      let tail: Buffer[] = [];
      try {
        while (!loader.done) {
          if (chunk === null) {
            loader.finish();
            break;
          }
          for (let off = 0; off < chunk.length; off += RDB_PIECE) {
            const piece = chunk.subarray(off, Math.min(chunk.length, off + RDB_PIECE));
            if (loader.done) {
              tail.push(piece);
              continue;
            }
            loader.feed(piece);
            ctx.addLoadedBytes(piece.length);
            if (performance.now() - sliceStart > SLICE_MS) {
              yield 0;
              sliceStart = performance.now();
            }
          }
          if (!loader.done) chunk = file.read();
        }
      } catch (err) {
        logger.warning(
          oldStyle
            ? `Error reading the RDB preamble of the AOF file ${name}, AOF loading aborted`
            : `Error reading the RDB base file ${name}, AOF loading aborted`,
        );
        // RdbFormatError names its offset; an RdbLoadError (valid bytes we cannot hold, such as a
        // duplicated key) carries it separately: the log names where in the file it stopped.
        const message = (err as Error).message;
        const where = err instanceof RdbLoadError ? ` (offset ${err.offset})` : "";
        logger.warning({ file: name, error: message }, `${name}: ${message}${where}`);
        return "failed";
      }
      // The base's libraries come first: the AOF tail's FCALLs need them.
      loader.commitFunctions(server);
      const rest = loader.rest();
      const rdbEnd = loader.bytesFed - rest.length;
      if (oldStyle) logger.notice("Reading the remaining AOF tail...");
      reader = new AofCommandReader({ file: name, startOffset: rdbEnd });
      reader.feed(rest);
      for (const t of tail) reader.feed(t);
      tail = [];
      validUpTo = rdbEnd;
    } else {
      reader = new AofCommandReader({ file: name });
      if (chunk !== null) {
        reader.feed(chunk);
        ctx.addLoadedBytes(chunk.length);
      }
    }
    let validBeforeMulti = validUpTo;
    // key-load-delay: microseconds per command (a test hook, as in Redis), slept in 5 ms steps.
    const loadDelayMs = Math.max(0, server.config.num("key-load-delay")) / 1000;
    let owedDelay = 0;
    let count = 0;
    let end: "complete" | "truncated";
    try {
      for (;;) {
        const status = reader.next();
        if (status === AOF_NEED_MORE) {
          const more = file.read();
          if (more === null) break;
          reader.feed(more);
          ctx.addLoadedBytes(more.length);
          continue;
        }
        if (status === AOF_ANNOTATION) continue;
        const argv = reader.argv;
        const wasInMulti = replay.queued !== null;
        let error: string | null;
        try {
          error = replay.apply(argv);
        } catch (err) {
          error = `error executing '${argv[0]}': ${(err as Error).message}`;
        }
        if (error !== null) {
          if (error.startsWith("Unknown command")) {
            logger.warning(
              `Unknown command '${argv[0]}' reading the append only file ${name} (command at offset ${reader.itemStart})`,
            );
          } else {
            logger.warning(
              `Bad file format reading the append only file ${name}: ${error} (command at offset ${reader.itemStart})`,
            );
          }
          return "failed";
        }
        if (!wasInMulti && replay.queued !== null) validBeforeMulti = validUpTo;
        validUpTo = reader.itemEnd;
        count++;
        if (loadDelayMs > 0) {
          owedDelay += loadDelayMs;
          if (owedDelay >= 5) {
            yield Math.round(owedDelay);
            owedDelay = 0;
            sliceStart = performance.now();
          }
        } else if ((count & 63) === 0 && performance.now() - sliceStart > SLICE_MS) {
          yield 0;
          sliceStart = performance.now();
        }
      }
      end = reader.end();
    } catch (err) {
      if (!(err instanceof AofFormatError)) throw err;
      logger.warning(
        `${err.reason} ${name}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest> (offset ${err.offset})`,
      );
      return "failed";
    }
    if (end === "complete" && replay.queued === null) return "ok";
    if (replay.queued !== null) {
      // A transaction without its EXEC is dropped whole (an open MULTI is handled as a short read).
      if (end === "complete") logger.warning(`Revert incomplete MULTI/EXEC transaction in AOF file ${name}`);
      validUpTo = validBeforeMulti;
    }
    return truncateOrFail(ctx, name, path, validUpTo, last);
  } finally {
    replay.close();
    closeSync(fd);
  }
}

/** The uxeof branch: truncate the last file at `validUpTo` when allowed, else fail. */
function truncateOrFail(
  ctx: AofLoadContext,
  name: string,
  path: string,
  validUpTo: number,
  last: boolean,
): AofLoadStatus {
  const logger = ctx.server.logger;
  if (ctx.truncatedOk) {
    if (!last) {
      logger.warning("Fatal error: the truncated file is not the last file");
      return "failed";
    }
    logger.warning(`!!! Warning: short read while loading the AOF file ${name}!!!`);
    logger.warning(`!!! Truncating the AOF ${name} at offset ${validUpTo} !!!`);
    try {
      truncateSync(path, validUpTo);
      logger.warning(`AOF ${name} loaded anyway because aof-load-truncated is enabled`);
      return "truncated";
    } catch (err) {
      logger.warning(`Error truncating the AOF file ${name}: ${strerror(err)}`);
    }
  }
  logger.warning(
    `Unexpected end of file reading the append only file ${name}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.`,
  );
  return "failed";
}
