/**
 * Crash-safe file replacement: write under a temporary name in the same directory, fsync, rename
 * over the target, fsync the directory. A crash at any moment leaves either the old file or the
 * complete new one, never a torn file (Redis's rdbSave: temp-<pid>.rdb + rename + fsync dir).
 * Streaming writers (BGSAVE, AOF rewrite) use AtomicFileWriter; small files use writeFileAtomic.
 */

import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { fsyncDir } from "../config/rewrite.js";

export function tempNameFor(target: string, tag: string): string {
  return join(dirname(target), `temp-${tag}-${process.pid}-${basename(target)}`);
}

/** Writes a whole file atomically (synchronously: for small files). */
export function writeFileAtomic(target: string, chunks: readonly Buffer[], tag = "write"): void {
  writeFileAtomicWith(target, tag, (fd) => {
    for (const c of chunks) {
      let off = 0;
      while (off < c.length) off += writeSync(fd, c, off, c.length - off);
    }
  });
}

/**
 * Runs `write(fd)` on a temporary file next to `target`, then fsync, rename over `target` and
 * fsync of the folder; on any error the temporary file is removed and `target` is untouched.
 * Synchronous: the callers (SAVE, small files) block the event loop on purpose.
 */
export function writeFileAtomicWith<T>(target: string, tag: string, write: (fd: number) => T): T {
  const tmp = tempNameFor(target, tag);
  const fd = openSync(tmp, "w", 0o644);
  let result: T;
  try {
    result = write(fd);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    safeUnlink(tmp);
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, target);
  } catch (err) {
    safeUnlink(tmp);
    throw err;
  }
  fsyncDir(dirname(target));
  return result;
}

export function safeUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Nothing to remove.
  }
}

/**
 * Streams chunks into a temporary file without blocking the event loop, then commits (fsync +
 * rename + directory fsync) or aborts (unlink). Writes are queued and performed in order. The
 * internal promise chain never rejects (an error is recorded in `error` and later writes are
 * skipped), so nothing is left as an unhandled rejection between writes.
 */
export class AtomicFileWriter {
  readonly target: string;
  readonly tempPath: string;
  private handle: FileHandle | null = null;
  private chain: Promise<void>;
  private failed: Error | null = null;
  /** Bytes handed to write() and not yet on disk (for backpressure). */
  pendingBytes = 0;
  bytesWritten = 0;

  constructor(target: string, tag: string) {
    this.target = target;
    this.tempPath = tempNameFor(target, tag);
    this.chain = open(this.tempPath, "w", 0o644).then(
      (h) => {
        this.handle = h;
      },
      (err: Error) => {
        this.failed = err;
      },
    );
  }

  get error(): Error | null {
    return this.failed;
  }

  write(chunks: readonly Buffer[]): void {
    let n = 0;
    for (const c of chunks) n += c.length;
    this.pendingBytes += n;
    this.chain = this.chain.then(async () => {
      if (this.failed !== null) return;
      try {
        const handle = this.handle!;
        const done = (await handle.writev(chunks)).bytesWritten;
        if (done < n) {
          // A short write (rare on files): finish chunk by chunk from where it stopped.
          let skip = done;
          for (const c of chunks) {
            if (skip >= c.length) {
              skip -= c.length;
              continue;
            }
            let off = skip;
            skip = 0;
            while (off < c.length) {
              const { bytesWritten } = await handle.write(c, off, c.length - off);
              off += bytesWritten;
            }
          }
        }
        this.bytesWritten += n;
      } catch (err) {
        this.failed = err as Error;
      } finally {
        this.pendingBytes -= n;
      }
    });
  }

  /** Flushes, fsyncs and renames over the target. Rejects (and removes the temp file) on error. */
  async commit(): Promise<void> {
    await this.chain;
    const handle = this.handle;
    if (this.failed !== null || handle === null) {
      await this.abort();
      throw this.failed ?? new Error("temporary file could not be opened");
    }
    try {
      await handle.sync();
      await handle.close();
      this.handle = null;
      renameSync(this.tempPath, this.target);
      fsyncDir(dirname(this.target));
    } catch (err) {
      await this.abort();
      throw err;
    }
  }

  async abort(): Promise<void> {
    await this.chain;
    if (this.handle !== null) {
      await this.handle.close().catch(() => {});
      this.handle = null;
    }
    safeUnlink(this.tempPath);
  }
}
