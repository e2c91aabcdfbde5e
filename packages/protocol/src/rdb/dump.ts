/**
 * DUMP / RESTORE payloads, as cluster.c's createDumpPayload and verifyDumpPayload define them:
 *
 *   <type byte> <value as in an RDB file> <RDB version, u16 LE> <CRC64 of all before, u64 LE>
 *
 * Callers: the server's DUMP, RESTORE and MIGRATE-style commands. Both functions are pure and may
 * run anywhere (also on a replica or while loading).
 */

import { DumpPayloadDataError, DumpPayloadVersionError, RdbFormatError } from "../errors.js";
import { crc64 } from "./crc64.js";
import { NEED_MORE, RdbInput } from "./input.js";
import { RDB_VERSION, rdbIsObjectType } from "./opcodes.js";
import { RdbOutput } from "./output.js";
import type { RdbEncodingOptions, RdbValue } from "./types.js";
import { EMPTY_KEY, ValueParser } from "./value-parser.js";
import { type RdbFlatValue, resolveEncodingOptions, ValueEncoder } from "./value-writer.js";

const FOOTER_SIZE = 10;

/**
 * The DUMP payload of `value`, encoded as Redis 7.0 would (RDB version 10). Throws RdbValueError
 * for values Redis cannot hold (empty collections, NaN scores).
 */
export function createDumpPayload(value: RdbValue | RdbFlatValue, options: RdbEncodingOptions = {}): Buffer {
  const encoder = new ValueEncoder(resolveEncodingOptions(options));
  const out = new RdbOutput(false);
  out.writeByte(encoder.prepare(value));
  encoder.write(out);
  out.writeByte(RDB_VERSION & 0xff);
  out.writeByte((RDB_VERSION >> 8) & 0xff);
  const body = Buffer.concat(out.take());
  const payload = Buffer.allocUnsafe(body.length + 8);
  body.copy(payload, 0);
  const crc = crc64(body);
  payload.writeBigUInt64LE(crc, body.length);
  return payload;
}

export interface ParseDumpOptions {
  /** skip-checksum-validation: accept any CRC (the version is still checked). */
  skipChecksum?: boolean;
  /** See RdbReaderOptions.checkDuplicates (default true). */
  checkDuplicates?: boolean;
}

/**
 * Decodes a RESTORE payload. Throws DumpPayloadVersionError when the footer is missing, the
 * version is newer than 10 or the CRC is wrong (RESTORE's "DUMP payload version or checksum are
 * wrong"), DumpPayloadDataError when the body is not one valid value filling the payload exactly
 * (RESTORE's "Bad data format"; `cause` holds the RdbFormatError when there is one).
 */
export function parseDumpPayload(payload: Buffer, options: ParseDumpOptions = {}): RdbValue {
  if (payload.length < FOOTER_SIZE) throw new DumpPayloadVersionError();
  const footer = payload.length - FOOTER_SIZE;
  const version = payload[footer] | (payload[footer + 1] << 8);
  if (version > RDB_VERSION) throw new DumpPayloadVersionError();
  if (!options.skipChecksum) {
    const stored = payload.readBigUInt64LE(footer + 2);
    if (crc64(payload, 0, footer + 2) !== stored) throw new DumpPayloadVersionError();
  }
  const input = new RdbInput(false);
  input.feed(payload.subarray(0, footer));
  input.prepare();
  try {
    const type = input.u8();
    if (!rdbIsObjectType(type)) throw new RdbFormatError(`Bad RESTORE payload type ${type}`, 0);
    const parser = new ValueParser(options.checkDuplicates ?? true);
    parser.begin(input, type, 0);
    const value = parser.resume(input);
    if (value === EMPTY_KEY) throw new RdbFormatError("Empty collection in RESTORE payload", 1);
    if (input.pos !== footer) throw new RdbFormatError("Trailing bytes after the value", input.pos);
    return value;
  } catch (err) {
    if (err === NEED_MORE)
      throw new DumpPayloadDataError({ cause: new RdbFormatError("Truncated value", footer) });
    throw new DumpPayloadDataError({ cause: err });
  }
}
