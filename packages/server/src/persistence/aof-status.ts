/**
 * The AOF fields of INFO persistence, published by the AOF subsystem (aof-writer/aof-rewrite) and
 * read by the persistence INFO section. Idle values are what Redis prints with appendonly no.
 */

export interface AofStatus {
  enabled: boolean;
  rewriteInProgress: boolean;
  rewriteScheduled: boolean;
  lastRewriteTimeSec: number;
  currentRewriteTimeSec: number;
  lastBgrewriteStatus: "ok" | "err";
  rewrites: number;
  rewritesConsecutiveFailures: number;
  lastWriteStatus: "ok" | "err";
  /** Only printed when enabled. */
  currentSize: number;
  baseSize: number;
  pendingRewrite: boolean;
  bufferLength: number;
  pendingBioFsync: number;
  delayedFsync: number;
}

export function idleAofStatus(): AofStatus {
  return {
    enabled: false,
    rewriteInProgress: false,
    rewriteScheduled: false,
    lastRewriteTimeSec: -1,
    currentRewriteTimeSec: -1,
    lastBgrewriteStatus: "ok",
    rewrites: 0,
    rewritesConsecutiveFailures: 0,
    lastWriteStatus: "ok",
    currentSize: 0,
    baseSize: 0,
    pendingRewrite: false,
    bufferLength: 0,
    pendingBioFsync: 0,
    delayedFsync: 0,
  };
}
