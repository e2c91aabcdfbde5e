/**
 * Every RDB type and opcode byte of Redis 7.0 (rdb.h), plus RDB_TYPE_SET_LISTPACK from 7.2, which
 * the reader accepts. Names match Redis's so the two codebases grep alike. Used by the reader, the
 * writer and the DUMP codec.
 */

/** The version Redis 7.0 writes (REDIS0010) and the highest a DUMP payload may carry. */
export const RDB_VERSION = 10;
/** Highest version the reader accepts: 11 (Redis 7.2) only adds RDB_TYPE_SET_LISTPACK here. */
export const RDB_MAX_READ_VERSION = 11;
/** Files from RDB 5 on end with a CRC64 trailer. */
export const RDB_CHECKSUM_MIN_VERSION = 5;

/* Length encodings: the two top bits of the first byte (rdbLoadLen). */
export const RDB_6BITLEN = 0;
export const RDB_14BITLEN = 1;
export const RDB_32BITLEN = 0x80;
export const RDB_64BITLEN = 0x81;
export const RDB_ENCVAL = 3;

/* Special string encodings, after an RDB_ENCVAL length byte. */
export const RDB_ENC_INT8 = 0;
export const RDB_ENC_INT16 = 1;
export const RDB_ENC_INT32 = 2;
export const RDB_ENC_LZF = 3;

/* Object types. */
export const RDB_TYPE_STRING = 0;
export const RDB_TYPE_LIST = 1;
export const RDB_TYPE_SET = 2;
export const RDB_TYPE_ZSET = 3;
export const RDB_TYPE_HASH = 4;
export const RDB_TYPE_ZSET_2 = 5;
export const RDB_TYPE_MODULE_PRE_GA = 6;
export const RDB_TYPE_MODULE_2 = 7;
export const RDB_TYPE_HASH_ZIPMAP = 9;
export const RDB_TYPE_LIST_ZIPLIST = 10;
export const RDB_TYPE_SET_INTSET = 11;
export const RDB_TYPE_ZSET_ZIPLIST = 12;
export const RDB_TYPE_HASH_ZIPLIST = 13;
export const RDB_TYPE_LIST_QUICKLIST = 14;
export const RDB_TYPE_STREAM_LISTPACKS = 15;
export const RDB_TYPE_HASH_LISTPACK = 16;
export const RDB_TYPE_ZSET_LISTPACK = 17;
export const RDB_TYPE_LIST_QUICKLIST_2 = 18;
export const RDB_TYPE_STREAM_LISTPACKS_2 = 19;
/** Redis 7.2 (RDB 11). */
export const RDB_TYPE_SET_LISTPACK = 20;
/** Redis 7.2 (RDB 11); refused like the other stream types. */
export const RDB_TYPE_STREAM_LISTPACKS_3 = 21;

/* Opcodes (rdbLoadType values above the object types). */
export const RDB_OPCODE_FUNCTION2 = 245;
/** Function libraries as 7.0 rc1/rc2 wrote them (name, engine, description, code). */
export const RDB_OPCODE_FUNCTION_PRE_GA = 246;
export const RDB_OPCODE_MODULE_AUX = 247;
export const RDB_OPCODE_IDLE = 248;
export const RDB_OPCODE_FREQ = 249;
export const RDB_OPCODE_AUX = 250;
export const RDB_OPCODE_RESIZEDB = 251;
export const RDB_OPCODE_EXPIRETIME_MS = 252;
export const RDB_OPCODE_EXPIRETIME = 253;
export const RDB_OPCODE_SELECTDB = 254;
export const RDB_OPCODE_EOF = 255;

/* quicklist node containers (RDB_TYPE_LIST_QUICKLIST_2). */
export const QUICKLIST_NODE_CONTAINER_PLAIN = 1;
export const QUICKLIST_NODE_CONTAINER_PACKED = 2;

/* Markers of the string-encoded doubles of RDB_TYPE_ZSET (rdbLoadDoubleValue). */
export const RDB_DOUBLE_NAN = 253;
export const RDB_DOUBLE_POS_INF = 254;
export const RDB_DOUBLE_NEG_INF = 255;

const TYPE_NAMES: Record<number, string> = {
  [RDB_TYPE_STRING]: "RDB_TYPE_STRING",
  [RDB_TYPE_LIST]: "RDB_TYPE_LIST",
  [RDB_TYPE_SET]: "RDB_TYPE_SET",
  [RDB_TYPE_ZSET]: "RDB_TYPE_ZSET",
  [RDB_TYPE_HASH]: "RDB_TYPE_HASH",
  [RDB_TYPE_ZSET_2]: "RDB_TYPE_ZSET_2",
  [RDB_TYPE_MODULE_PRE_GA]: "RDB_TYPE_MODULE_PRE_GA",
  [RDB_TYPE_MODULE_2]: "RDB_TYPE_MODULE_2",
  [RDB_TYPE_HASH_ZIPMAP]: "RDB_TYPE_HASH_ZIPMAP",
  [RDB_TYPE_LIST_ZIPLIST]: "RDB_TYPE_LIST_ZIPLIST",
  [RDB_TYPE_SET_INTSET]: "RDB_TYPE_SET_INTSET",
  [RDB_TYPE_ZSET_ZIPLIST]: "RDB_TYPE_ZSET_ZIPLIST",
  [RDB_TYPE_HASH_ZIPLIST]: "RDB_TYPE_HASH_ZIPLIST",
  [RDB_TYPE_LIST_QUICKLIST]: "RDB_TYPE_LIST_QUICKLIST",
  [RDB_TYPE_STREAM_LISTPACKS]: "RDB_TYPE_STREAM_LISTPACKS",
  [RDB_TYPE_HASH_LISTPACK]: "RDB_TYPE_HASH_LISTPACK",
  [RDB_TYPE_ZSET_LISTPACK]: "RDB_TYPE_ZSET_LISTPACK",
  [RDB_TYPE_LIST_QUICKLIST_2]: "RDB_TYPE_LIST_QUICKLIST_2",
  [RDB_TYPE_STREAM_LISTPACKS_2]: "RDB_TYPE_STREAM_LISTPACKS_2",
  [RDB_TYPE_SET_LISTPACK]: "RDB_TYPE_SET_LISTPACK",
  [RDB_TYPE_STREAM_LISTPACKS_3]: "RDB_TYPE_STREAM_LISTPACKS_3",
  [RDB_OPCODE_FUNCTION2]: "RDB_OPCODE_FUNCTION2",
  [RDB_OPCODE_FUNCTION_PRE_GA]: "RDB_OPCODE_FUNCTION_PRE_GA",
  [RDB_OPCODE_MODULE_AUX]: "RDB_OPCODE_MODULE_AUX",
  [RDB_OPCODE_IDLE]: "RDB_OPCODE_IDLE",
  [RDB_OPCODE_FREQ]: "RDB_OPCODE_FREQ",
  [RDB_OPCODE_AUX]: "RDB_OPCODE_AUX",
  [RDB_OPCODE_RESIZEDB]: "RDB_OPCODE_RESIZEDB",
  [RDB_OPCODE_EXPIRETIME_MS]: "RDB_OPCODE_EXPIRETIME_MS",
  [RDB_OPCODE_EXPIRETIME]: "RDB_OPCODE_EXPIRETIME",
  [RDB_OPCODE_SELECTDB]: "RDB_OPCODE_SELECTDB",
  [RDB_OPCODE_EOF]: "RDB_OPCODE_EOF",
};

/** Redis's name for a type or opcode byte, for error messages ("unknown type 42" otherwise). */
export function rdbTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `unknown type ${type}`;
}

/** rdbIsObjectType as Redis 7.0 defines it (what RESTORE accepts as the payload's first byte). */
export function rdbIsObjectType(type: number): boolean {
  return (type >= 0 && type <= 7) || (type >= 9 && type <= 19);
}
