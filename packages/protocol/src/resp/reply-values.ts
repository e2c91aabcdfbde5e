/**
 * The JS shapes of parsed replies that are not plain JS values: error replies, RESP3 push
 * messages, and the typed RespValue tree that keeps every RESP type apart. ReplyParser produces
 * them (and re-exports them); value-encoder.ts writes RespValue trees back.
 */

/** An error reply (`-ERR ...`). Cheap to create: no stack trace is captured. */
export class RespError extends Error {
  constructor(message: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.name = "RespError";
  }
  /** The error code: the first word (`ERR`, `WRONGTYPE`, `MOVED`...). */
  get code(): string {
    const space = this.message.indexOf(" ");
    return space === -1 ? this.message : this.message.slice(0, space);
  }
}

/** A RESP3 push message (`>`), e.g. a pub/sub message delivered to a RESP3 client. */
export class RespPush {
  constructor(readonly items: unknown[]) {}
}

export type RespValue =
  | { type: "simple"; value: string }
  | { type: "error"; value: string }
  | { type: "integer"; value: bigint }
  | { type: "bulk"; value: Buffer }
  | { type: "nullBulk" }
  | { type: "nullArray" }
  | { type: "null" }
  | { type: "array"; value: RespValue[] }
  | { type: "map"; value: [RespValue, RespValue][] }
  | { type: "set"; value: RespValue[] }
  | { type: "push"; value: RespValue[] }
  | { type: "double"; value: number }
  | { type: "boolean"; value: boolean }
  | { type: "bignum"; value: bigint }
  | { type: "verbatim"; format: string; value: Buffer }
  | { type: "attribute"; attributes: [RespValue, RespValue][]; value: RespValue };
