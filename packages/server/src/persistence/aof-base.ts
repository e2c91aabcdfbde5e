/**
 * AOF base files: the snapshot of the dataset a rewrite starts from (aof.c rewriteAppendOnlyFile).
 *
 * - With aof-use-rdb-preamble yes (the default) the base is the RDB stream of a point-in-time
 *   snapshot (persistence/snapshot.ts, with the aof-base AUX field), written as it streams.
 * - With `no` it is plain commands, as rewriteAppendOnlyFileRio emits them: SELECT per non-empty
 *   database, then per key SET / RPUSH / SADD / ZADD / HMSET (at most AOF_REWRITE_ITEMS_PER_CMD
 *   items per command), streams as rewriteStreamObject writes them, and PEXPIREAT for a TTL, after a `#TS:` annotation when
 *   aof-timestamp-enabled.
 *
 * Why the plain form is made from the snapshot's RDB stream (decoded again by RdbReader) instead
 * of a second keyspace walk: the snapshot is the one mechanism that guarantees the point in time
 * (write-before-mutate, keys created later skipped); a second walker would have to repeat that
 * subtle bookkeeping for a format that is rarely used. The price is encoding and decoding each
 * value once more, paid only with aof-use-rdb-preamble no. Values arrive as RdbValue, so every
 * type the codec knows (lists, sets, zsets, hashes) is covered as soon as the server has it.
 *
 * Callers: aof-rewrite.ts (background rewrites), aof.ts (the base created at start-up).
 */

import { encodeCommand, formatDouble17g, type RdbEntry, RdbReader, RdbWriter } from "@keyhaven/protocol";
import { libraryCodes } from "../scripting/functions.js";
import type { Server } from "../server.js";
import { REDIS_VERSION } from "../version.js";
import type { AtomicFileWriter } from "./atomic-file.js";
import { toRdbValue } from "./rdb-convert.js";
import { rdbWriterOptions } from "./rdb-save.js";
import { RdbValueSource } from "./rdb-source.js";
import type { SnapshotSink } from "./snapshot.js";
import { streamRewriteCommands } from "./stream-rdb.js";

/** aof.c AOF_REWRITE_ITEMS_PER_CMD: elements per RPUSH/SADD/ZADD/HMSET of a rewritten key. */
export const AOF_REWRITE_ITEMS_PER_CMD = 64;

/** The `#TS:<unix seconds>` annotation (genAofTimestampAnnotationIfNeeded). */
export function timestampAnnotation(unixSeconds: number): Buffer {
  return Buffer.from(`#TS:${unixSeconds}\r\n`, "latin1");
}

/** The commands that rebuild one key (rewriteAppendOnlyFileRio's body for one entry). */
export function entryCommands(entry: RdbEntry, out: Buffer[]): void {
  const key = entry.key;
  const v = entry.value;
  switch (v.type) {
    case "string":
      out.push(encodeCommand(["SET", key, v.value]));
      break;
    case "list":
      batched("RPUSH", key, v.value, out, (items, argv) => {
        for (const item of items) argv.push(item);
      });
      break;
    case "set":
      batched("SADD", key, v.value, out, (items, argv) => {
        for (const item of items) argv.push(item);
      });
      break;
    case "zset":
      batched("ZADD", key, v.value, out, (items, argv) => {
        for (const [member, score] of items) argv.push(formatDouble17g(score), member);
      });
      break;
    case "hash":
      batched("HMSET", key, v.value, out, (items, argv) => {
        for (const [field, value] of items) argv.push(field, value);
      });
      break;
    case "stream": {
      const commands: string[][] = [];
      streamRewriteCommands(key, v.value, commands);
      for (const argv of commands) out.push(encodeCommand(argv));
      break;
    }
  }
  if (entry.expireAtMs !== -1) out.push(encodeCommand(["PEXPIREAT", key, String(entry.expireAtMs)]));
}

/** One command per AOF_REWRITE_ITEMS_PER_CMD items (rewriteListObject and its siblings). */
function batched<T>(
  name: string,
  key: string,
  items: readonly T[],
  out: Buffer[],
  add: (items: readonly T[], argv: string[]) => void,
): void {
  for (let i = 0; i < items.length; i += AOF_REWRITE_ITEMS_PER_CMD) {
    const argv = [name, key];
    add(items.slice(i, i + AOF_REWRITE_ITEMS_PER_CMD), argv);
    out.push(encodeCommand(argv));
  }
}

/**
 * The whole base file for the current dataset, built synchronously (rewriteAppendOnlyFile in the
 * main process: the base created at start-up, when nothing else can run).
 */
export function buildBaseSync(server: Server, rdbPreamble: boolean, timestamps: boolean): Buffer[] {
  const out: Buffer[] = [];
  if (rdbPreamble) {
    const writer = new RdbWriter(rdbWriterOptions(server.config));
    writer.header({
      redisVer: REDIS_VERSION,
      ctime: Math.floor(Date.now() / 1000),
      usedMem: server.memory.used(),
      aofBase: true,
    });
    for (const code of libraryCodes(server)) writer.functionLibrary(code);
    const source = new RdbValueSource();
    for (const db of server.dbs) {
      if (db.size === 0) continue;
      writer.selectDb(db.id, db.size, db.expiresCount);
      for (const e of db.entries()) writer.entry(e.key, source.of(e.value), e.expireAt);
      out.push(...writer.take());
    }
    writer.end();
    out.push(...writer.take());
    return out;
  }
  if (timestamps) out.push(timestampAnnotation(Math.floor(Date.now() / 1000)));
  // rewriteFunctions: FUNCTION LOAD of every library, before the data.
  for (const code of libraryCodes(server)) out.push(encodeCommand(["FUNCTION", "LOAD", code]));
  for (const db of server.dbs) {
    if (db.size === 0) continue;
    out.push(encodeCommand(["SELECT", String(db.id)]));
    for (const e of db.entries()) {
      entryCommands(
        {
          db: db.id,
          key: e.key,
          value: toRdbValue(e.value),
          expireAtMs: e.expireAt,
          lruIdleSeconds: -1,
          lfuFreq: -1,
        },
        out,
      );
    }
  }
  return out;
}

/**
 * The snapshot sink of a background rewrite: passes the RDB stream to the base file, or turns it
 * into plain commands on the way. `done` is called once: with null after the last byte was handed
 * to the file, or with the error that stopped the snapshot or the conversion.
 */
export class AofBaseSink implements SnapshotSink {
  private readonly file: AtomicFileWriter;
  private readonly reader: RdbReader | null;
  private readonly done: (err: Error | null) => void;
  private finished = false;

  constructor(
    file: AtomicFileWriter,
    plain: boolean,
    timestamps: boolean,
    done: (err: Error | null) => void,
  ) {
    this.file = file;
    this.done = done;
    this.reader = plain ? new RdbReader({ checkDuplicates: false, functions: "emit" }) : null;
    if (plain && timestamps) file.write([timestampAnnotation(Math.floor(Date.now() / 1000))]);
  }

  write(chunks: Buffer[]): void {
    if (this.finished) return;
    if (this.reader === null) {
      this.file.write(chunks);
      return;
    }
    try {
      for (const c of chunks) this.reader.feed(c);
      this.convert();
    } catch (err) {
      this.finish(err as Error);
    }
  }

  private convert(): void {
    const reader = this.reader!;
    const out: Buffer[] = [];
    for (let ev = reader.next(); ev !== null; ev = reader.next()) {
      if (ev.kind === "function") out.push(encodeCommand(["FUNCTION", "LOAD", ev.code]));
      else if (ev.kind === "selectdb") out.push(encodeCommand(["SELECT", String(ev.db)]));
      else if (ev.kind === "entry") entryCommands(ev.entry, out);
    }
    if (out.length !== 0) this.file.write([Buffer.concat(out)]);
  }

  end(): void {
    if (this.finished) return;
    if (this.reader !== null) {
      try {
        this.convert();
        this.reader.end();
      } catch (err) {
        this.finish(err as Error);
        return;
      }
    }
    this.finish(null);
  }

  fail(err: Error): void {
    this.finish(err);
  }

  backlogBytes(): number {
    return this.file.pendingBytes;
  }

  private finish(err: Error | null): void {
    if (this.finished) return;
    this.finished = true;
    this.done(err);
  }
}
