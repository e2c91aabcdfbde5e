/**
 * Replies encoded once and copied into output buffers, like Redis's createSharedObjects().
 * Error texts are Redis 7.0's, byte for byte: clients switch on them.
 */

const enc = (text: string): Buffer => Buffer.from(text, "latin1");

export const OK = enc("+OK\r\n");
export const PONG = enc("+PONG\r\n");
export const QUEUED = enc("+QUEUED\r\n");
export const ZERO = enc(":0\r\n");
export const ONE = enc(":1\r\n");
export const MINUS_ONE = enc(":-1\r\n");
export const MINUS_TWO = enc(":-2\r\n");
export const EMPTY_BULK = enc("$0\r\n\r\n");
export const EMPTY_ARRAY = enc("*0\r\n");
export const NULL_BULK_RESP2 = enc("$-1\r\n");
export const NULL_ARRAY_RESP2 = enc("*-1\r\n");
export const NULL_RESP3 = enc("_\r\n");

/** Error texts without the leading '-' (ReplyWriter.error adds it). */
export const ERR = {
  syntax: "ERR syntax error",
  wrongType: "WRONGTYPE Operation against a key holding the wrong kind of value",
  notInteger: "ERR value is not an integer or out of range",
  notFloat: "ERR value is not a valid float",
  noSuchKey: "ERR no such key",
  outOfRange: "ERR index out of range",
  noAuth: "NOAUTH Authentication required.",
  wrongPass: "WRONGPASS invalid username-password pair or user is disabled.",
  readonly: "READONLY You can't write against a read only replica.",
  loading: "LOADING Redis is loading the dataset in memory",
  oom: "OOM command not allowed when used memory > 'maxmemory'.",
  noReplicas: "NOREPLICAS Not enough good replicas to write.",
  masterDown: "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
  execAbort: "EXECABORT Transaction discarded because of previous errors.",
  busyKey: "BUSYKEY Target key name already exists.",
  invalidDb: "ERR DB index is out of range",
  sameObject: "ERR source and destination objects are the same",
  overflow: "ERR increment or decrement would overflow",
  maxClients: "ERR max number of clients reached",
} as const;
