/**
 * FUNCTION DUMP / FUNCTION RESTORE payloads (functions.c functionDumpCommand and
 * functionRestoreCommand): the RDB function records, then the footer every DUMP payload has:
 *
 *   (RDB_OPCODE_FUNCTION2 <library code as an RDB string>)*  <RDB version, u16 LE>  <CRC64, u64 LE>
 *
 * Pure functions; callers: the server's FUNCTION DUMP and FUNCTION RESTORE.
 */

import { crc64 } from "./crc64.js";
import { NEED_MORE, RdbInput } from "./input.js";
import { RDB_OPCODE_FUNCTION_PRE_GA, RDB_OPCODE_FUNCTION2, RDB_VERSION } from "./opcodes.js";
import { RdbOutput } from "./output.js";

const FOOTER_SIZE = 10;

/** The payload holding `codes`, each library's whole code (metadata line included). */
export function createFunctionsDumpPayload(codes: readonly string[], compression: boolean): Buffer {
  const out = new RdbOutput(false);
  for (const code of codes) {
    out.writeByte(RDB_OPCODE_FUNCTION2);
    out.writeString(code, compression);
  }
  out.writeByte(RDB_VERSION & 0xff);
  out.writeByte((RDB_VERSION >> 8) & 0xff);
  const body = Buffer.concat(out.take());
  const payload = Buffer.allocUnsafe(body.length + 8);
  body.copy(payload, 0);
  payload.writeBigUInt64LE(crc64(body), body.length);
  return payload;
}

export type FunctionsPayload = { ok: true; codes: string[] } | { ok: false; error: string };

/**
 * The library codes of a FUNCTION RESTORE payload, or the error text Redis replies with:
 * "DUMP payload version or checksum are wrong" (verifyDumpPayload), "Pre-GA function format
 * not supported", "given type is not a function", "Failed loading library payload".
 */
export function parseFunctionsDumpPayload(payload: Buffer, skipChecksum = false): FunctionsPayload {
  const versionError = { ok: false, error: "DUMP payload version or checksum are wrong" } as const;
  if (payload.length < FOOTER_SIZE) return versionError;
  const footer = payload.length - FOOTER_SIZE;
  const version = payload[footer] | (payload[footer + 1] << 8);
  if (version > RDB_VERSION) return versionError;
  if (!skipChecksum && crc64(payload, 0, footer + 2) !== payload.readBigUInt64LE(footer + 2))
    return versionError;
  const input = new RdbInput(false);
  input.feed(payload.subarray(0, footer));
  input.prepare();
  const codes: string[] = [];
  while (input.pos < footer) {
    const type = input.u8();
    if (type === RDB_OPCODE_FUNCTION_PRE_GA)
      return { ok: false, error: "Pre-GA function format not supported" };
    if (type !== RDB_OPCODE_FUNCTION2) return { ok: false, error: "given type is not a function" };
    try {
      codes.push(input.readString());
    } catch (err) {
      if (err === NEED_MORE || err instanceof Error)
        return { ok: false, error: "Failed loading library payload" };
      throw err;
    }
  }
  return { ok: true, codes };
}
