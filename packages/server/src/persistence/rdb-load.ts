/**
 * Loading an RDB stream into databases (rdbLoadRio): used at start-up, by DEBUG RELOAD, for the
 * RDB preamble of an AOF, and by a replica's full sync. The stream is fed in chunks as it arrives
 * (from a file read in pieces, so clients get -LOADING meanwhile, or from the master's socket).
 *
 * Keys go into `target` databases. Callers that must not expose a half-loaded dataset load into
 * fresh Db objects and swap them in on success (`commitInto`), so a corrupt or truncated stream
 * leaves the live data untouched. Like Redis, a master drops keys already expired at load time
 * (except in an AOF preamble, whose expiries the AOF tail may still change), a replica keeps them
 * for its master's DELs, and IDLE/FREQ restore the LRU/LFU clocks.
 *
 * Where a load's time goes (CPU profiles of bench/rdb-persistence.mjs's 1M-key dump.rdb loaded
 * through loadRdbFile in a bare Server, Node 24, --max-semi-space-size=16 as the server runs):
 * ~1.6 s of process CPU (~1.3 s on the main thread), of which the GC ~0.35 s on the main thread
 * plus its helper threads (scavenges copy what every key keeps alive: key string, value, Entry;
 * everything survives), parsing (RdbReader, CRC64 included) ~0.45 s, building collection values
 * (rdb-convert.ts) ~0.15 s and the dict ~0.15 s. The dict was ~0.85 s with a V8 Map: inserting
 * a fresh key walks a bucket chain in a table far bigger than the cache. Keys now go in with
 * Db.addDeferred and reach the dict in one batch at the end (KeyTable.addBulk, in slot order).
 * The reader recycles its entry events (reuseEntryEvents), so the young generation fills with
 * what the keyspace keeps rather than with per-key wrappers. What remains is mostly the
 * keyspace's per-key objects and the parse itself. Since then (a 1M-key start-up load through the
 * launcher, ~1 s): the file's pieces and the parser's merges reuse their buffers (each had
 * been a fresh mapping under MALLOC_MMAP_THRESHOLD_), and V8 gets as many GC helpers as cores.
 * Of the load's main-thread time the GC still takes ~30% (scavenges copying every new key's
 * objects twice, first within the young generation, then out of it; --single-generation, which
 * allocates them in the old generation directly, loads no faster), the parse ~40%, the dict ~10%.
 */

import { RdbFormatError, RdbReader } from "@keyhaven/protocol";
import { Db } from "../keyspace/db.js";
import { lruFromIdle } from "../keyspace/lru.js";
import type { Entry } from "../keyspace/value.js";
import { LibraryContext } from "../scripting/function-library.js";
import { startedFunctionsEngine as engineIfAny, functionsEngine } from "../scripting/functions.js";
import type { Server } from "../server.js";
import { fromRdbValue } from "./rdb-convert.js";

/** Valid RDB content the server cannot hold; `offset` is where the stream was when it was found. */
export class RdbLoadError extends Error {
  readonly code = "KH_RDB_LOAD";
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = "RdbLoadError";
    this.offset = offset;
  }
}

export interface RdbLoadOptions {
  /** Drop keys whose TTL already passed (a master loading its own file). */
  dropExpired: boolean;
  /** Told each key dropped as expired (a master's start-up load propagates their DELs). */
  onExpiredDropped?: (dbId: number, key: string) => void;
  /**
   * A key already present in the target replaces the loaded one's predecessor (DEBUG RELOAD
   * MERGE, Redis's RDBFLAGS_ALLOW_DUP) instead of failing the load.
   */
  allowDuplicates?: boolean;
  /**
   * Check the CRC64 trailer. Default: the `rdbchecksum` setting, which Redis's rdbLoadRio honours
   * for every RDB stream it loads (start-up, DEBUG RELOAD, AOF preamble, replica full sync); with
   * `no` a file whose trailer is wrong still loads, and the CRC is not even computed. DEBUG
   * SET-SKIP-CHECKSUM-VALIDATION 1 turns the default off too (rdbLoadRio's
   * `server.rdb_checksum && !server.skip_checksum_validation`).
   */
  verifyChecksum?: boolean;
}

/** Makes `loaded` the server's libraries (without creating the engine to swap nothing in). */
export function commitLoadedFunctions(server: Server, loaded: LibraryContext): void {
  if (loaded.libraries.size === 0) {
    const started = engineIfAny(server);
    if (started === undefined || started.libraryCount === 0) return;
  }
  functionsEngine(server).swap(loaded);
}

export class RdbKeyspaceLoader {
  private readonly server: Server;
  private readonly reader: RdbReader;
  readonly target: Db[];
  private readonly options: RdbLoadOptions;
  private db: Db;
  /** AUX fields of the file (repl-id, repl-offset, aof-base...). */
  readonly aux = new Map<string, string>();
  /**
   * The stream's function libraries (rdbFunctionLoad), compiled as they arrive so a bad one
   * fails the load; they replace the server's libraries only when the caller commits.
   */
  readonly functions = new LibraryContext();
  keysLoaded = 0;
  keysExpired = 0;
  bytesFed = 0;
  private ended = false;
  /** Expiries are judged against the time the load started (rdbLoadRio's `now`). */
  private readonly now = Date.now();

  /** `target`: the databases to fill (defaults to fresh ones, to swap in on success). */
  constructor(server: Server, options: RdbLoadOptions, target?: Db[]) {
    this.server = server;
    this.options = options;
    this.reader = new RdbReader({
      databases: undefined,
      verifyChecksum:
        options.verifyChecksum ?? (server.config.bool("rdbchecksum") && !server.skipChecksumValidation),
      // drain() is done with each entry before it asks for the next.
      reuseEntryEvents: true,
      functions: "emit",
      // fromRdbValue's builders find repeated members (see valueFactories).
      checkDuplicates: false,
    });
    this.target = target ?? server.dbs.map((d) => new Db(d.id, server));
    this.db = this.target[0];
  }

  get done(): boolean {
    return this.ended;
  }

  /** Bytes of the stream parsed so far (the offset of the next unparsed byte). */
  get bytesParsed(): number {
    return this.reader.offset;
  }

  /**
   * Applies the next bytes. Throws RdbFormatError on corrupt input and RdbLoadError on data the
   * server cannot hold (database index out of range, duplicate key, unsupported type).
   */
  feed(chunk: Buffer): void {
    this.push(chunk);
    this.drain();
  }

  /** Adds bytes without parsing them yet (see drain). The chunk is kept by reference. */
  push(chunk: Buffer): void {
    if (this.ended) return;
    this.bytesFed += chunk.length;
    this.reader.feed(chunk);
  }

  /**
   * Parses and applies buffered input, at most `maxKeys` keys (a loader that paces itself, e.g.
   * key-load-delay). Returns true when it stopped because the input ran out or the stream ended,
   * false when it stopped at `maxKeys`. Throws like feed().
   */
  drain(maxKeys = Number.POSITIVE_INFINITY): boolean {
    if (this.ended) return true;
    const reader = this.reader;
    let keys = 0;
    for (let ev = reader.next(); ev !== null; ev = reader.next()) {
      switch (ev.kind) {
        case "aux":
          this.aux.set(ev.name, ev.value);
          break;
        case "selectdb":
          if (ev.db >= this.target.length) {
            throw new RdbLoadError(
              `FATAL: Data file was created with a Redis server configured to handle more than ${this.target.length} databases. Exiting`,
              reader.offset,
            );
          }
          this.db = this.target[ev.db];
          break;
        case "resizedb":
          break;
        case "function": {
          // RDBFLAGS_ALLOW_DUP (DEBUG RELOAD MERGE) lets a library replace one of the same name.
          const result = functionsEngine(this.server).create(
            ev.code,
            this.options.allowDuplicates === true,
            this.functions,
          );
          if (!result.ok) throw new RdbLoadError(`Failed loading library, ${result.error}`, reader.offset);
          break;
        }
        case "entry": {
          const e = ev.entry;
          keys++;
          if (this.options.dropExpired && e.expireAtMs !== -1 && e.expireAtMs < this.now) {
            this.keysExpired++;
            this.options.onExpiredDropped?.(this.db.id, e.key);
            if (keys >= maxKeys) return false;
            break;
          }
          const db = this.db;
          let value: ReturnType<typeof fromRdbValue>;
          try {
            value = fromRdbValue(e.value);
          } catch (err) {
            throw new RdbLoadError(`Cannot load key '${e.key}': ${(err as Error).message}`, reader.offset);
          }
          let entry: Entry;
          if (this.options.allowDuplicates === true) {
            if (db.peek(e.key) !== undefined) db.delete(e.key);
            entry = db.add(e.key, value);
          } else {
            // Into the dict in one batch at the end (or when something needs it): a duplicate
            // key is found then, and fails the load there.
            entry = db.addDeferred(e.key, value);
          }
          if (e.expireAtMs !== -1) db.setExpire(entry, e.expireAtMs);
          if (e.lfuFreq >= 0 && this.server.lfuMode)
            entry.lru = (Math.floor(this.now / 60000) & 0xffff) * 256 + e.lfuFreq;
          else if (e.lruIdleSeconds >= 0 && !this.server.lfuMode) entry.lru = lruFromIdle(e.lruIdleSeconds);
          this.keysLoaded++;
          if (keys >= maxKeys) return false;
          break;
        }
        case "end":
          this.finishDeferred();
          this.ended = true;
          return true;
      }
    }
    return true;
  }

  /** Puts the keys added with Db.addDeferred in the dicts; throws for a repeated key. */
  private finishDeferred(): void {
    for (const db of this.target) {
      const duplicates = db.finishDeferred();
      if (duplicates.length > 0) {
        this.keysLoaded -= duplicates.length;
        throw new RdbLoadError(
          `RDB has duplicated key '${duplicates[0].key}' in DB ${db.id}`,
          this.reader.offset,
        );
      }
    }
  }

  /** Whether the memory of a pushed `chunk` is still needed: until then it must not be reused. */
  holds(chunk: Buffer): boolean {
    return this.reader.holds(chunk);
  }

  /** Bytes received after the EOF trailer (a diskless stream's end mark, an AOF tail). */
  rest(): Buffer {
    return this.reader.rest();
  }

  /** Declares the input complete: throws if the RDB was truncated. */
  finish(): void {
    if (this.ended) return;
    this.reader.end();
    if (!this.ended) throw new RdbFormatError("RDB stream ended before its EOF marker", this.reader.offset);
  }

  /**
   * The loaded libraries become the server's (emptyData flushes functions before a full sync
   * or DEBUG RELOAD, and a start-up load begins with none).
   */
  commitFunctions(server: Server): void {
    commitLoadedFunctions(server, this.functions);
  }

  /**
   * Moves the loaded databases into the server's (keeping Db identities that clients hold), and
   * the loaded libraries with them.
   */
  commitInto(server: Server): void {
    this.commitFunctions(server);
    for (let i = 0; i < this.target.length; i++) {
      const live = server.dbs[i];
      const loaded = this.target[i];
      if (live === loaded) continue;
      server.signalFlushedDb(live, loaded);
      live.swapContents(loaded);
      loaded.clear();
    }
    // emptyData's signalFlushedDb: tracking clients drop everything they cached.
    server.signalFlushed();
  }
}
