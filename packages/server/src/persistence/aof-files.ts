/**
 * The AOF directory on disk (aof.c's manifest I/O): reading the manifest at start-up, persisting
 * it atomically (temp-<name>.manifest, fsync, rename, fsync of the directory), file sizes, the
 * upgrade of a pre-7.0 single-file AOF into the directory, and the removal of history files.
 *
 * Paths are relative to the working directory, which is `dir` (main.ts chdir's there), exactly as
 * Redis resolves `appenddirname` and `appendfilename`.
 *
 * Invariant: the manifest on disk always names files that exist and are complete: a new file is
 * created (and fsynced) before the manifest that names it is renamed into place, and a file is
 * deleted only after a manifest that no longer names it as base or incr was persisted.
 *
 * Callers: aof.ts (start-up, turning AOF on/off), aof-rewrite.ts, aof-load.ts.
 */

import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlink,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import {
  AOF_FILE_TYPE_BASE,
  type AofManifest,
  aofManifestFileName,
  aofTempManifestFileName,
  emptyAofManifest,
  formatAofManifest,
  parseAofManifest,
} from "@keyhaven/protocol";
import { fsyncDir } from "../config/rewrite.js";
import type { Logger } from "../util/logger.js";
import { strerror } from "../util/strerror.js";

export function dirExists(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export function fileExists(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** dirCreateIfMissing; throws on failure. */
export function dirCreateIfMissing(path: string): void {
  if (!existsSync(path)) mkdirSync(path, { recursive: true });
  else if (!dirExists(path))
    throw Object.assign(new Error(`${path} is not a directory`), { code: "ENOTDIR" });
}

/**
 * The names that locate the AOF (appenddirname and appendfilename are immutable settings).
 * `root` is the working directory they are relative to ("" for the process's, as in Redis;
 * in-process tests pass a temporary directory).
 */
export class AofDir {
  readonly dirname: string;
  readonly filename: string;
  /** The AOF directory's path. */
  readonly dirPath: string;
  /** Where a pre-7.0 single-file AOF lives (`appendfilename` in the working directory). */
  readonly oldFilePath: string;

  constructor(dirname: string, filename: string, root = "") {
    this.dirname = dirname;
    this.filename = filename;
    this.dirPath = join(root, dirname);
    this.oldFilePath = join(root, filename);
  }

  /** Path of a file of the AOF directory (makePath). */
  path(name: string): string {
    return join(this.dirPath, name);
  }

  get manifestPath(): string {
    return this.path(aofManifestFileName(this.filename));
  }

  /**
   * aofLoadManifestFromDisk: the manifest, or an empty one when the directory or the manifest do
   * not exist (a fresh start, or an old single-file AOF to upgrade). Throws AofFormatError (with
   * Redis's reason and the line) for a bad manifest, and the fs error when it cannot be read.
   */
  loadManifest(logger: Logger): AofManifest {
    if (!dirExists(this.dirPath)) {
      logger.debug(`The AOF directory ${this.dirname} doesn't exist`);
      return emptyAofManifest();
    }
    const path = this.manifestPath;
    if (!existsSync(path)) {
      logger.debug(`The AOF manifest file ${aofManifestFileName(this.filename)} doesn't exist`);
      return emptyAofManifest();
    }
    let content: Buffer;
    try {
      content = readFileSync(path);
    } catch (err) {
      logger.warning(`Fatal error: can't open the AOF manifest file ${path} for reading: ${strerror(err)}`);
      throw err;
    }
    return parseAofManifest(content, path);
  }

  /**
   * writeAofManifestFile: persists `am` atomically. Throws (after logging Redis's message) on
   * failure, leaving the previous manifest in place.
   */
  persistManifest(am: AofManifest, logger: Logger): void {
    const tmpName = aofTempManifestFileName(this.filename);
    const tmpPath = this.path(tmpName);
    const data = Buffer.from(formatAofManifest(am), "latin1");
    let fd = -1;
    try {
      try {
        fd = openSync(tmpPath, "w", 0o644);
      } catch (err) {
        logger.warning(`Can't open the AOF manifest file ${tmpName}: ${strerror(err)}`);
        throw err;
      }
      try {
        let off = 0;
        while (off < data.length) off += writeSync(fd, data, off, data.length - off);
      } catch (err) {
        logger.warning(`Error trying to write the temporary AOF manifest file ${tmpName}: ${strerror(err)}`);
        throw err;
      }
      try {
        fsyncSync(fd);
      } catch (err) {
        logger.warning(`Fail to fsync the temp AOF file ${tmpName}: ${strerror(err)}`);
        throw err;
      }
      try {
        renameSync(tmpPath, this.manifestPath);
      } catch (err) {
        logger.warning(
          `Error trying to rename the temporary AOF manifest file ${tmpName} into ${aofManifestFileName(this.filename)}: ${strerror(err)}`,
        );
        throw err;
      }
      // New AOF files may have been added to the directory too.
      fsyncDir(this.dirPath);
    } finally {
      if (fd !== -1) closeSync(fd);
    }
  }

  /**
   * getAppendOnlyFileSize: the size of a file of the directory, or the errno code when it cannot
   * be stat'ed (logged as Redis does).
   */
  fileSize(name: string, logger: Logger | null): { size: number; error: string | null } {
    try {
      return { size: statSync(this.path(name)).size, error: null };
    } catch (err) {
      logger?.warning(`Unable to obtain the AOF file ${name} length. stat: ${strerror(err)}`);
      return { size: 0, error: (err as NodeJS.ErrnoException).code ?? "EIO" };
    }
  }

  /**
   * aofUpgradePrepare: moves a pre-7.0 `appendfilename` from the working directory into the AOF
   * directory as the base of a new manifest. A crash at any step leaves a state this same function
   * completes at the next start. Throws on failure. Mutates `am`.
   */
  upgradeSingleFile(am: AofManifest, logger: Logger): void {
    try {
      dirCreateIfMissing(this.dirPath);
    } catch (err) {
      logger.warning(`Can't open or create append-only dir ${this.dirname}: ${strerror(err)}`);
      throw err;
    }
    am.base = { fileName: this.filename, fileSeq: 1, fileType: AOF_FILE_TYPE_BASE };
    am.currBaseFileSeq = 1;
    this.persistManifest(am, logger);
    try {
      renameSync(this.oldFilePath, this.path(this.filename));
    } catch (err) {
      logger.warning(
        `Error trying to move the old AOF file ${this.filename} into dir ${this.dirname}: ${strerror(err)}`,
      );
      throw err;
    }
    fsyncDir(this.dirPath);
    logger.notice(
      `Successfully migrated an old-style AOF file (${this.filename}) into the AOF directory (${this.dirname}).`,
    );
  }

  /**
   * aofDelHistoryFiles: drops the history entries from `am`, persists it, then unlinks their files
   * in the background (bg_unlink). A failure to persist is logged and leaves the files alone.
   */
  deleteHistoryFiles(am: AofManifest, logger: Logger): void {
    if (am.history.length === 0) return;
    const history = am.history;
    am.history = [];
    try {
      this.persistManifest(am, logger);
    } catch {
      am.history = history;
      return;
    }
    const names = history.map((h) => h.fileName);
    for (const name of names) {
      logger.notice(`Removing the history file ${name} in the background`);
      unlink(this.path(name), () => {});
    }
  }
}
