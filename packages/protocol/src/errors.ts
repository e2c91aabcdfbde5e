/**
 * Typed errors thrown by this package, in the manner of undici's lib/core/errors.js: one class per
 * kind of failure, each with a stable `code` and `name`, so callers branch on `code` and never on
 * the message. Thrown only for bad files and payloads (a reader's input) or caller bugs; wire
 * protocol errors are replies, not exceptions (see resp/).
 *
 * Callers: the RDB reader/writer and DUMP codec (rdb/), the AOF manifest parser (aof/), and the
 * server, which maps them to logs, INFO fields and Redis's own reply texts.
 */

export class KeyhavenError extends Error {
  code: string;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "KeyhavenError";
    this.code = "KH_ERR";
  }
}

/**
 * An RDB stream that cannot be loaded: corrupt structure, bad length, unknown opcode, bad listpack,
 * duplicate members... `offset` is the byte offset in the stream where the bad item starts (for a
 * DUMP payload, in the payload). The subclasses below narrow the cause.
 */
export class RdbFormatError extends KeyhavenError {
  readonly offset: number;
  constructor(message: string, offset: number, options?: ErrorOptions) {
    super(offset >= 0 ? `${message} (at offset ${offset})` : message, options);
    this.name = "RdbFormatError";
    this.code = "KH_ERR_RDB_FORMAT";
    this.offset = offset;
  }
}

/** The stream ended (RdbReader.end()) before the EOF opcode and checksum were read. */
export class RdbTruncatedError extends RdbFormatError {
  constructor(message: string, offset: number) {
    super(message, offset);
    this.name = "RdbTruncatedError";
    this.code = "KH_ERR_RDB_TRUNCATED";
  }
}

/** The CRC64 trailer does not match the bytes read. */
export class RdbChecksumError extends RdbFormatError {
  constructor(message: string, offset: number) {
    super(message, offset);
    this.name = "RdbChecksumError";
    this.code = "KH_ERR_RDB_CHECKSUM";
  }
}

/** Not an RDB file (bad magic) or an RDB version this reader does not handle. */
export class RdbVersionError extends RdbFormatError {
  constructor(message: string, offset: number) {
    super(message, offset);
    this.name = "RdbVersionError";
    this.code = "KH_ERR_RDB_VERSION";
  }
}

/**
 * A well-formed item this codec refuses: streams, module values, module AUX data, and function
 * libraries unless the reader was asked to emit them. `rdbType` is the type or opcode byte.
 */
export class RdbUnsupportedError extends RdbFormatError {
  readonly rdbType: number;
  constructor(message: string, offset: number, rdbType: number) {
    super(message, offset);
    this.name = "RdbUnsupportedError";
    this.code = "KH_ERR_RDB_UNSUPPORTED";
    this.rdbType = rdbType;
  }
}

/** A value handed to the RDB writer that Redis could never hold (empty collection, NaN score). */
export class RdbValueError extends KeyhavenError {
  constructor(message: string) {
    super(message);
    this.name = "RdbValueError";
    this.code = "KH_ERR_RDB_VALUE";
  }
}

/**
 * RESTORE's footer check failed (verifyDumpPayload): the message is Redis's reply text without the
 * `ERR ` prefix, so the server can send `-ERR ${message}` as is.
 */
export class DumpPayloadVersionError extends KeyhavenError {
  constructor(options?: ErrorOptions) {
    super("DUMP payload version or checksum are wrong", options);
    this.name = "DumpPayloadVersionError";
    this.code = "KH_ERR_DUMP_VERSION_OR_CHECKSUM";
  }
}

/** RESTORE's body could not be decoded; `cause` is the underlying RdbFormatError. */
export class DumpPayloadDataError extends KeyhavenError {
  constructor(options?: ErrorOptions) {
    super("Bad data format", options);
    this.name = "DumpPayloadDataError";
    this.code = "KH_ERR_DUMP_BAD_DATA";
  }
}

/**
 * An AOF manifest (or AOF file) that cannot be loaded. `line` is 1-based as Redis reports it (0 when
 * the error concerns the whole file), `lineText` the offending line after trimming, `offset` a byte
 * offset when known (-1 otherwise).
 */
export class AofFormatError extends KeyhavenError {
  /** Redis's own text for the failure (e.g. "Found a non-monotonic sequence number"). */
  readonly reason: string;
  readonly file: string | null;
  readonly line: number;
  readonly lineText: string | null;
  readonly offset: number;
  constructor(
    message: string,
    where: { file?: string | null; line?: number; lineText?: string | null; offset?: number } = {},
  ) {
    const file = where.file ?? null;
    const line = where.line ?? 0;
    const prefix = file !== null ? `${file}: ` : "";
    super(line > 0 ? `${prefix}${message} (at line ${line})` : `${prefix}${message}`);
    this.name = "AofFormatError";
    this.code = "KH_ERR_AOF_FORMAT";
    this.reason = message;
    this.file = file;
    this.line = line;
    this.lineText = where.lineText ?? null;
    this.offset = where.offset ?? -1;
  }
}
