/**
 * Loading an RDB file (rdb.c rdbLoad): at start-up asynchronously, reading the file in pieces so
 * the event loop keeps answering clients (-LOADING, INFO's loading_* progress), and synchronously
 * for DEBUG RELOAD (which blocks in Redis too).
 *
 * This is also the entry point the AOF loader uses for an RDB base file (`manageLoading: false`
 * when it wraps several files in one loading phase, `dropExpired: false` for an AOF base, whose
 * expiries the incremental files may still change).
 *
 * Failure semantics: a corrupt, truncated or unloadable file throws RdbFileLoadError naming the
 * file and the byte offset; the file itself is never written here. Callers decide what the
 * dataset becomes: start-up loads straight into the (empty) live databases and exits on error,
 * DEBUG RELOAD loads into fresh databases and swaps them in only on success.
 */

import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { open } from "node:fs/promises";
import type { Db } from "../keyspace/db.js";
import type { LibraryContext } from "../scripting/function-library.js";
import type { Server } from "../server.js";
import { loadingState, startLoading, stopLoading } from "./loading.js";
import { RdbKeyspaceLoader } from "./rdb-load.js";

/**
 * Bytes read per piece: big enough for few reads, small enough to answer clients in between.
 * A smaller loading-process-events-interval-bytes (Redis's bytes between two event-loop passes
 * while loading) makes the pieces smaller.
 */
const READ_CHUNK = 512 * 1024;
/** Piece buffers kept for reuse: one being read into, one being parsed, one the parser still holds. */
const KEPT_PIECES = 3;
/** With key-load-delay, how long (ms) the loader sleeps at a time. */
const DELAY_TICK_MS = 5;

/** A dataset file that could not be loaded: `file` and `offset` say where. */
export class RdbFileLoadError extends Error {
  readonly code = "KH_RDB_FILE_LOAD";
  readonly file: string;
  readonly offset: number;
  readonly reason: string;
  constructor(file: string, offset: number, reason: string, cause?: unknown) {
    super(
      offset >= 0
        ? `Bad RDB file '${file}' at byte offset ${offset}: ${reason}`
        : `Cannot load RDB file '${file}': ${reason}`,
      { cause },
    );
    this.name = "RdbFileLoadError";
    this.file = file;
    this.offset = offset;
    this.reason = reason;
  }
}

export interface LoadRdbFileOptions {
  /** Drop keys already expired (a master loading its own file). Default: not on a replica. */
  dropExpired?: boolean;
  /** Told each key dropped as expired. */
  onExpiredDropped?: (dbId: number, key: string) => void;
  /** The databases to fill. Default: the live ones (start-up, where they are empty). */
  target?: Db[];
  /** Replace keys already present instead of failing (DEBUG RELOAD MERGE). */
  allowDuplicates?: boolean;
  /**
   * Wrap the load in startLoading/stopLoading (default true). With false, the caller owns the
   * loading phase and this load adds its parsed bytes to the current loading_loaded_bytes.
   */
  manageLoading?: boolean;
  /**
   * Read the whole file and return what follows the RDB in `rest` (an old-style AOF whose RDB
   * preamble is followed by commands). Default false: reading stops at the RDB's end.
   */
  keepRest?: boolean;
}

export interface RdbFileLoadResult {
  keysLoaded: number;
  keysExpired: number;
  /** AUX fields of the file (repl-id, repl-offset, aof-base...). */
  aux: Map<string, string>;
  /** File size in bytes. */
  bytes: number;
  /** Bytes after the RDB's checksum (an old-style AOF with an RDB preamble continues there). */
  rest: Buffer;
  /** Seconds the load took. */
  seconds: number;
  /** The file's function libraries, not yet the server's (see RdbKeyspaceLoader.commitFunctions). */
  functions: LibraryContext;
}

function describeError(err: unknown): { offset: number; reason: string } {
  const e = err as { offset?: unknown; message?: unknown };
  const offset = typeof e.offset === "number" ? e.offset : -1;
  let reason = typeof e.message === "string" ? e.message : String(err);
  // The protocol errors append " (at offset N)"; the file error says it once.
  reason = reason.replace(/ \(at offset \d+\)$/, "");
  return { offset, reason };
}

function newLoader(server: Server, options: LoadRdbFileOptions): RdbKeyspaceLoader {
  return new RdbKeyspaceLoader(
    server,
    {
      dropExpired: options.dropExpired ?? !server.replicaMode,
      onExpiredDropped: options.onExpiredDropped,
      allowDuplicates: options.allowDuplicates,
    },
    options.target ?? server.dbs,
  );
}

function logDone(server: Server, path: string, r: RdbFileLoadResult): void {
  server.logger.notice(
    { file: path, keysLoaded: r.keysLoaded, keysExpired: r.keysExpired },
    `Done loading RDB, keys loaded: ${r.keysLoaded}, keys expired: ${r.keysExpired}.`,
  );
}

function logAux(server: Server, loader: RdbKeyspaceLoader): void {
  const ver = loader.aux.get("redis-ver");
  if (ver !== undefined) server.logger.notice(`Loading RDB produced by version ${ver}`);
  const ctime = loader.aux.get("ctime");
  if (ctime !== undefined) {
    const age = Math.max(0, Math.floor(Date.now() / 1000) - Number(ctime));
    server.logger.notice(`RDB age ${age} seconds`);
  }
}

/**
 * rdbLoad: loads `path` into the databases, reading it in pieces without blocking the event loop.
 * Resolves null when the file does not exist (an empty start), the load's figures otherwise.
 * Rejects with RdbFileLoadError (file, offset, reason) on a corrupt, truncated or unloadable file;
 * what was loaded before the error stays in `target` (start-up exits; see the file head).
 * Honors key-load-delay (microseconds per key, Redis's test hook).
 */
export async function loadRdbFile(
  server: Server,
  path: string,
  options: LoadRdbFileOptions = {},
): Promise<RdbFileLoadResult | null> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new RdbFileLoadError(path, -1, (err as Error).message, err);
  }
  const manage = options.manageLoading !== false;
  const started = performance.now();
  const loader = newLoader(server, options);
  const restPieces: Buffer[] = [];
  let size = 0;
  try {
    size = (await handle.stat()).size;
    const state = manage ? startLoading(server, size) : loadingState(server);
    const baseLoaded = state.loadedBytes;
    const baseKeys = state.keysLoaded;
    const baseExpired = state.keysExpired;
    let usedMemSeen = false;
    const report = (): void => {
      state.loadedBytes = baseLoaded + loader.bytesParsed;
      state.keysLoaded = baseKeys + loader.keysLoaded;
      state.keysExpired = baseExpired + loader.keysExpired;
      if (!usedMemSeen) {
        const usedMem = loader.aux.get("used-mem");
        if (usedMem !== undefined) {
          usedMemSeen = true;
          state.rdbUsedMem = Number(usedMem) || 0;
          logAux(server, loader);
        }
      }
    };
    const pieceBytes = Math.min(READ_CHUNK, server.config.num("loading-process-events-interval-bytes"));
    const pieces = new PieceBuffers(loader, pieceBytes);
    let position = 0;
    let pending = readPiece(handle, position, pieces.take(null));
    for (;;) {
      const piece = await pending;
      if (piece.length === 0) break;
      position += piece.length;
      if (loader.done) {
        restPieces.push(piece);
        pending = readPiece(handle, position, pieces.take(piece));
        continue;
      }
      // Read the next piece while this one is parsed.
      pending = readPiece(handle, position, pieces.take(piece));
      loader.push(piece);
      await drainPaced(server, loader, report);
      if (loader.done && options.keepRest !== true) break;
    }
    await pending.catch(() => Buffer.alloc(0));
    loader.finish();
    report();
  } catch (err) {
    await handle.close().catch(() => {});
    if (manage) stopLoading(server);
    if (err instanceof RdbFileLoadError) throw err;
    const { offset, reason } = describeError(err);
    throw new RdbFileLoadError(path, offset, reason, err);
  }
  await handle.close().catch(() => {});
  if (manage) stopLoading(server);
  const result: RdbFileLoadResult = {
    keysLoaded: loader.keysLoaded,
    keysExpired: loader.keysExpired,
    aux: loader.aux,
    bytes: size,
    rest: restPieces.length === 0 ? loader.rest() : Buffer.concat([loader.rest(), ...restPieces]),
    seconds: (performance.now() - started) / 1000,
    functions: loader.functions,
  };
  logDone(server, path, result);
  return result;
}

/**
 * The buffers a file is read into. The loader keeps a pushed piece by reference until it has
 * parsed or merged it, so a buffer is reused only once the loader no longer holds it; once the
 * RDB has ended, pieces are kept as its tail and never reused. A new 512 KB buffer per piece was,
 * under the launcher's MALLOC_MMAP_THRESHOLD_, a mapping of its own that the read faulted in page
 * by page: reusing three cut a 1M-key load by ~5%.
 */
class PieceBuffers {
  private readonly loader: RdbKeyspaceLoader;
  private readonly kept: Buffer[] = [];
  private readonly pieceBytes: number;

  constructor(loader: RdbKeyspaceLoader, pieceBytes: number) {
    this.loader = loader;
    this.pieceBytes = pieceBytes;
  }

  /** A buffer for the next read: not `current` (a piece not pushed yet), not held by the loader. */
  take(current: Buffer | null): Buffer {
    if (!this.loader.done) {
      for (const b of this.kept) {
        if (b.buffer !== current?.buffer && !this.loader.holds(b)) return b;
      }
    }
    const b = Buffer.allocUnsafe(this.pieceBytes);
    if (!this.loader.done && this.kept.length < KEPT_PIECES) this.kept.push(b);
    return b;
  }
}

async function readPiece(
  handle: Awaited<ReturnType<typeof open>>,
  position: number,
  buf: Buffer,
): Promise<Buffer> {
  const { bytesRead } = await handle.read(buf, 0, buf.length, position);
  return bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
}

/** Parses what was pushed; with key-load-delay, a few keys at a time with sleeps in between. */
async function drainPaced(server: Server, loader: RdbKeyspaceLoader, report: () => void): Promise<void> {
  for (;;) {
    const delayMicros = server.config.num("key-load-delay");
    if (delayMicros <= 0) {
      loader.drain();
      report();
      return;
    }
    const perTick = Math.max(1, Math.floor((DELAY_TICK_MS * 1000) / delayMicros));
    const exhausted = loader.drain(perTick);
    report();
    await new Promise((r) => setTimeout(r, Math.max(1, Math.round((perTick * delayMicros) / 1000))));
    if (exhausted) return;
  }
}

/**
 * The same load, synchronously (DEBUG RELOAD blocks the server while it loads, as Redis does).
 * Returns null when the file does not exist; throws RdbFileLoadError like loadRdbFile.
 */
export function loadRdbFileSync(
  server: Server,
  path: string,
  options: LoadRdbFileOptions = {},
): RdbFileLoadResult | null {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new RdbFileLoadError(path, -1, (err as Error).message, err);
  }
  const started = performance.now();
  const loader = newLoader(server, options);
  const restPieces: Buffer[] = [];
  let size = 0;
  const state = loadingState(server);
  try {
    size = fstatSync(fd).size;
    if (options.manageLoading !== false) {
      startLoading(server, size);
      // Nothing can observe a synchronous load: no client is served until it returns.
      stopLoading(server);
    }
    const pieceBytes = Math.min(READ_CHUNK, server.config.num("loading-process-events-interval-bytes"));
    const pieces = new PieceBuffers(loader, pieceBytes);
    for (;;) {
      const buf = pieces.take(null);
      const n = readSync(fd, buf, 0, READ_CHUNK, null);
      if (n === 0) break;
      const piece = n === READ_CHUNK ? buf : buf.subarray(0, n);
      if (loader.done) restPieces.push(piece);
      else loader.feed(piece);
      if (loader.done && options.keepRest !== true) break;
    }
    loader.finish();
  } catch (err) {
    closeSync(fd);
    const { offset, reason } = describeError(err);
    throw new RdbFileLoadError(path, offset, reason, err);
  } finally {
    state.keysLoaded = loader.keysLoaded;
    state.keysExpired = loader.keysExpired;
  }
  closeSync(fd);
  const result: RdbFileLoadResult = {
    keysLoaded: loader.keysLoaded,
    keysExpired: loader.keysExpired,
    aux: loader.aux,
    bytes: size,
    rest: restPieces.length === 0 ? loader.rest() : Buffer.concat([loader.rest(), ...restPieces]),
    seconds: (performance.now() - started) / 1000,
    functions: loader.functions,
  };
  logDone(server, path, result);
  return result;
}
