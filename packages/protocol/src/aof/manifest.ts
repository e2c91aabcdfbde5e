/**
 * The multi-part AOF manifest of Redis 7 (aof.c): one line per file of the AOF directory,
 *
 *   file appendonly.aof.2.base.rdb seq 2 type b
 *   file appendonly.aof.1.incr.aof seq 1 type h
 *   file appendonly.aof.3.incr.aof seq 3 type i
 *
 * parsed as aofLoadManifestFromFile does (fgets lines of at most 1024 bytes, '#' comments,
 * sdssplitargs quoting, keys in any case and order, unknown keys ignored, the same validation and
 * error texts) and formatted as getAofManifestAsString does (base, then history, then incr;
 * names needing it quoted with sdscatrepr). Also the file names Redis derives from `appendfilename`.
 *
 * Callers: the server's AOF loading, rewriting and startup (which do the file I/O).
 */

import { AofFormatError } from "../errors.js";
import { bytesToLatin1 } from "../resp/latin1.js";
import { splitInlineArgs } from "../resp/request-parser.js";

export const AOF_FILE_TYPE_BASE = "b";
export const AOF_FILE_TYPE_HIST = "h";
export const AOF_FILE_TYPE_INCR = "i";
export type AofFileType = typeof AOF_FILE_TYPE_BASE | typeof AOF_FILE_TYPE_HIST | typeof AOF_FILE_TYPE_INCR;

/** aof.c MANIFEST_MAX_LINE: longer lines are an error. */
export const MANIFEST_MAX_LINE = 1024;

export const BASE_FILE_SUFFIX = ".base";
export const INCR_FILE_SUFFIX = ".incr";
export const RDB_FORMAT_SUFFIX = ".rdb";
export const AOF_FORMAT_SUFFIX = ".aof";
export const MANIFEST_NAME_SUFFIX = ".manifest";
export const TEMP_FILE_NAME_PREFIX = "temp-";

export interface AofInfo {
  /** A bare file name (latin1), never a path. */
  fileName: string;
  fileSeq: number;
  fileType: AofFileType;
}

export interface AofManifest {
  base: AofInfo | null;
  /** Files kept only until deleted (type h). */
  history: AofInfo[];
  /** Incremental files in replay order (type i), with increasing sequence numbers. */
  incr: AofInfo[];
  /** Sequence of the base file (0 when none): the next base gets this + 1. */
  currBaseFileSeq: number;
  /** Sequence of the last incr file (0 when none): the next incr gets this + 1. */
  currIncrFileSeq: number;
}

export function emptyAofManifest(): AofManifest {
  return { base: null, history: [], incr: [], currBaseFileSeq: 0, currIncrFileSeq: 0 };
}

/** atoll: leading spaces, a sign, digits; 0 when there are none; clamped like strtoll. */
function atoll(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d*)/.exec(s);
  if (m === null || m[2] === "") return 0;
  let v = BigInt(m[2]);
  if (m[1] === "-") v = -v;
  if (v > 9223372036854775807n) v = 9223372036854775807n;
  if (v < -9223372036854775808n) v = -9223372036854775808n;
  return Number(v);
}

/** sdstrim(s, " \t\r\n"). */
function trimManifestLine(s: string): string {
  let a = 0;
  let b = s.length;
  const isTrim = (c: number) => c === 32 || c === 9 || c === 13 || c === 10;
  while (a < b && isTrim(s.charCodeAt(a))) a++;
  while (b > a && isTrim(s.charCodeAt(b - 1))) b--;
  return s.slice(a, b);
}

/** pathIsBaseName (util.c): no '/' and no '\'. */
function isBaseName(name: string): boolean {
  return name.indexOf("/") === -1 && name.indexOf("\\") === -1;
}

/**
 * Parses a manifest (its bytes, or a latin1 string). Throws AofFormatError with Redis's message
 * (`reason`), the 1-based line number and the trimmed line text, for the same inputs on which
 * aofLoadManifestFromFile aborts the server. `file` only decorates the error.
 */
export function parseAofManifest(content: Buffer | string, file: string | null = null): AofManifest {
  const text = typeof content === "string" ? content : bytesToLatin1(content, 0, content.length);
  const am = emptyAofManifest();
  let maxSeq = 0;
  let lineNum = 0;
  let pos = 0;
  const fail = (reason: string, lineText: string | null): never => {
    throw new AofFormatError(reason, { file, line: lineNum, lineText });
  };
  while (pos < text.length) {
    // fgets(buf, MANIFEST_MAX_LINE + 1): up to and including '\n', at most 1024 bytes.
    const nl = text.indexOf("\n", pos);
    const lineEnd = Math.min(nl === -1 ? text.length : nl + 1, pos + MANIFEST_MAX_LINE);
    const raw = text.slice(pos, lineEnd);
    pos = lineEnd;
    lineNum++;
    if (raw.charCodeAt(0) === 35 /* # */) continue;
    // C string functions stop at a NUL byte.
    const nul = raw.indexOf("\0");
    const visible = nul === -1 ? raw : raw.slice(0, nul);
    if (visible.indexOf("\n") === -1) fail("The AOF manifest file contains too long line", null);
    const line = trimManifestLine(visible);
    if (line.length === 0) fail("Invalid AOF manifest file format", line);
    const argv = splitInlineArgs(Buffer.from(line, "latin1"), 0, line.length);
    if (argv === null || argv.length < 6 || argv.length % 2 !== 0)
      fail("Invalid AOF manifest file format", line);
    const args = argv as string[];
    let fileName: string | null = null;
    let fileSeq = 0;
    let fileType = "";
    for (let i = 0; i < args.length; i += 2) {
      const key = args[i].toLowerCase();
      const val = args[i + 1];
      if (key === "file") {
        const n = val.indexOf("\0");
        fileName = n === -1 ? val : val.slice(0, n);
        if (!isBaseName(fileName)) fail("File can't be a path, just a filename", line);
      } else if (key === "seq") {
        fileSeq = atoll(val);
      } else if (key === "type") {
        fileType = val.length > 0 ? val[0] : "";
      }
    }
    if (fileName === null || fileSeq === 0 || fileType === "" || fileType === "\0") {
      fail("Invalid AOF manifest file format", line);
    }
    const info = { fileName: fileName as string, fileSeq, fileType: fileType as AofFileType };
    if (fileType === AOF_FILE_TYPE_BASE) {
      if (am.base !== null) fail("Found duplicate base file information", line);
      am.base = info;
      am.currBaseFileSeq = fileSeq;
    } else if (fileType === AOF_FILE_TYPE_HIST) {
      am.history.push(info);
    } else if (fileType === AOF_FILE_TYPE_INCR) {
      if (fileSeq <= maxSeq) fail("Found a non-monotonic sequence number", line);
      am.incr.push(info);
      am.currIncrFileSeq = fileSeq;
      maxSeq = fileSeq;
    } else {
      fail("Unknown AOF file type", line);
    }
  }
  if (lineNum === 0) throw new AofFormatError("Found an empty AOF manifest", { file });
  return am;
}

/**
 * sdsneedsrepr: whether a file name must be quoted in the manifest. A single quote is added to
 * Redis's list: sdssplitargs reads an unquoted `'` anywhere in a word as the start of a quoted
 * part, so a name like `it's.aof` written bare would not read back (with Redis 7.0 either). The
 * quoted form reads back in both.
 */
function needsRepr(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92 || c === 34 || c === 39 || c < 33 || c > 126) return true;
  }
  return false;
}

/** sdscatrepr: a double-quoted, escaped form that sdssplitargs reads back. */
export function sdsRepr(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92 || c === 34) out += `\\${s[i]}`;
    else if (c === 10) out += "\\n";
    else if (c === 13) out += "\\r";
    else if (c === 9) out += "\\t";
    else if (c === 7) out += "\\a";
    else if (c === 8) out += "\\b";
    else if (c >= 32 && c <= 126) out += s[i];
    else out += `\\x${c.toString(16).padStart(2, "0")}`;
  }
  return `${out}"`;
}

/** aofInfoFormat: one manifest line, newline included. */
export function formatAofInfo(info: AofInfo): string {
  const name = needsRepr(info.fileName) ? sdsRepr(info.fileName) : info.fileName;
  return `file ${name} seq ${info.fileSeq} type ${info.fileType}\n`;
}

/** getAofManifestAsString: the manifest file's content (latin1). */
export function formatAofManifest(am: AofManifest): string {
  let out = "";
  if (am.base !== null) out += formatAofInfo(am.base);
  for (const info of am.history) out += formatAofInfo(info);
  for (const info of am.incr) out += formatAofInfo(info);
  return out;
}

/** `appendonly.aof.manifest` (getAofManifestFileName). */
export function aofManifestFileName(aofFilename: string): string {
  return `${aofFilename}${MANIFEST_NAME_SUFFIX}`;
}

/** `temp-appendonly.aof.manifest` (getTempAofManifestFileName). */
export function aofTempManifestFileName(aofFilename: string): string {
  return `${TEMP_FILE_NAME_PREFIX}${aofFilename}${MANIFEST_NAME_SUFFIX}`;
}

/** `appendonly.aof.<seq>.base.rdb` (with aof-use-rdb-preamble) or `.base.aof`. */
export function aofBaseFileName(aofFilename: string, seq: number, rdbPreamble: boolean): string {
  return `${aofFilename}.${seq}${BASE_FILE_SUFFIX}${rdbPreamble ? RDB_FORMAT_SUFFIX : AOF_FORMAT_SUFFIX}`;
}

/** `appendonly.aof.<seq>.incr.aof`. */
export function aofIncrFileName(aofFilename: string, seq: number): string {
  return `${aofFilename}.${seq}${INCR_FILE_SUFFIX}${AOF_FORMAT_SUFFIX}`;
}

/** `temp-appendonly.aof.incr` (getTempIncrAofName), used while AOF is being turned on. */
export function aofTempIncrFileName(aofFilename: string): string {
  return `${TEMP_FILE_NAME_PREFIX}${aofFilename}${INCR_FILE_SUFFIX}`;
}

/**
 * getNewBaseFileNameAndMarkPreAsHistory: makes a new base (seq + 1) the manifest's base, moving
 * the old one to the head of the history. Returns the new base's name. Mutates `am`.
 */
export function addNewBaseFile(am: AofManifest, aofFilename: string, rdbPreamble: boolean): string {
  if (am.base !== null) am.history.unshift({ ...am.base, fileType: AOF_FILE_TYPE_HIST });
  const seq = ++am.currBaseFileSeq;
  am.base = {
    fileName: aofBaseFileName(aofFilename, seq, rdbPreamble),
    fileSeq: seq,
    fileType: AOF_FILE_TYPE_BASE,
  };
  return am.base.fileName;
}

/** getNewIncrAofName: appends a new incr file (seq + 1) and returns its name. Mutates `am`. */
export function addNewIncrFile(am: AofManifest, aofFilename: string): string {
  const seq = ++am.currIncrFileSeq;
  const info: AofInfo = {
    fileName: aofIncrFileName(aofFilename, seq),
    fileSeq: seq,
    fileType: AOF_FILE_TYPE_INCR,
  };
  am.incr.push(info);
  return info.fileName;
}

/**
 * markRewrittenIncrAofAsHistory: after a successful rewrite, every incr file but the one being
 * written (the last, when `aofEnabled`) becomes history. Mutates `am`.
 */
export function markRewrittenIncrAsHistory(am: AofManifest, aofEnabled: boolean): void {
  const keep = aofEnabled && am.incr.length > 0 ? am.incr.slice(-1) : [];
  const moved = aofEnabled ? am.incr.slice(0, -1) : am.incr;
  // Redis walks from the tail and pushes each at the head: history keeps the original order.
  for (let i = moved.length - 1; i >= 0; i--)
    am.history.unshift({ ...moved[i], fileType: AOF_FILE_TYPE_HIST });
  am.incr = keep;
}
