/**
 * Protocol limits, named after the Redis constants they mirror (server.h). They bound what a
 * hostile peer can make us buffer before a command is complete.
 */

/** PROTO_INLINE_MAX_SIZE: longest inline command line, and longest `*N`/`$N` header line. */
export const PROTO_INLINE_MAX_SIZE = 64 * 1024;

/** Largest `*N` a request may announce (Redis 6 and the issue: 1024*1024 arguments). */
export const PROTO_MAX_MULTIBULK_LEN = 1024 * 1024;

/** proto-max-bulk-len default: 512 MB. */
export const PROTO_MAX_BULK_LEN_DEFAULT = 512 * 1024 * 1024;

/**
 * PROTO_MBULK_BIG_ARG: a bulk at least this long is gathered into its own exactly-sized buffer
 * instead of growing the query buffer, so a 100 MB argument is copied once, not per chunk.
 */
export const PROTO_MBULK_BIG_ARG = 32 * 1024;
