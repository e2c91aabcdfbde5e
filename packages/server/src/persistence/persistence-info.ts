/**
 * INFO persistence, field for field as Redis 7.0.15's genRedisInfoString prints it: the loading
 * flags, the fork/COW figures (a snapshot without fork has no copy-on-write, so they stay 0 while
 * the key progress is real), the rdb_* state, the aof_* state published by the AOF subsystem in
 * `server.aofStatus` (with the enabled-only block after the module_fork_* fields, where Redis puts
 * it), and the loading_* block while a dataset loads.
 */

import type { Server } from "../server.js";
import { loadingInfoLines, loadingState } from "./loading.js";
import { elapsedUnixSeconds, rdbPersistence } from "./rdb-persistence.js";

export function persistenceInfo(server: Server): string[] {
  const p = rdbPersistence(server);
  const loading = loadingState(server);
  const snap = server.snapshots.current;
  const child = snap?.inProgress ? snap : null;
  const rdb = p?.currentRdbSnapshot() ?? null;
  const running = p?.running ?? null;
  const keysTotal = child?.keysTotal ?? 0;
  const keysProcessed = child?.keysWritten ?? 0;
  const forkPerc = keysTotal > 0 ? (keysProcessed / keysTotal) * 100 : 0;
  const rdbStart = running?.startedAt ?? rdb?.startedAt ?? 0;
  const aof = server.aofStatus;
  const lines = [
    `loading:${server.loading ? 1 : 0}`,
    "async_loading:0",
    "current_cow_peak:0",
    "current_cow_size:0",
    "current_cow_size_age:0",
    `current_fork_perc:${forkPerc.toFixed(2)}`,
    `current_save_keys_processed:${keysProcessed}`,
    `current_save_keys_total:${keysTotal}`,
    `rdb_changes_since_last_save:${server.dirty}`,
    `rdb_bgsave_in_progress:${running !== null || rdb !== null ? 1 : 0}`,
    `rdb_last_save_time:${server.lastSaveTime}`,
    `rdb_last_bgsave_status:${p === undefined || p.lastBgsaveOk ? "ok" : "err"}`,
    `rdb_last_bgsave_time_sec:${p?.lastBgsaveTimeSec ?? -1}`,
    `rdb_current_bgsave_time_sec:${rdbStart > 0 ? elapsedUnixSeconds(rdbStart) : -1}`,
    `rdb_saves:${p?.saves ?? 0}`,
    "rdb_last_cow_size:0",
    `rdb_last_load_keys_expired:${loading.keysExpired}`,
    `rdb_last_load_keys_loaded:${loading.keysLoaded}`,
    `aof_enabled:${aof.enabled ? 1 : 0}`,
    `aof_rewrite_in_progress:${aof.rewriteInProgress ? 1 : 0}`,
    `aof_rewrite_scheduled:${aof.rewriteScheduled ? 1 : 0}`,
    `aof_last_rewrite_time_sec:${aof.lastRewriteTimeSec}`,
    `aof_current_rewrite_time_sec:${aof.currentRewriteTimeSec}`,
    `aof_last_bgrewrite_status:${aof.lastBgrewriteStatus}`,
    `aof_rewrites:${aof.rewrites}`,
    `aof_rewrites_consecutive_failures:${aof.rewritesConsecutiveFailures}`,
    `aof_last_write_status:${aof.lastWriteStatus}`,
    "aof_last_cow_size:0",
    "module_fork_in_progress:0",
    "module_fork_last_cow_size:0",
  ];
  if (aof.enabled) {
    lines.push(
      `aof_current_size:${aof.currentSize}`,
      `aof_base_size:${aof.baseSize}`,
      `aof_pending_rewrite:${aof.pendingRewrite ? 1 : 0}`,
      `aof_buffer_length:${aof.bufferLength}`,
      `aof_pending_bio_fsync:${aof.pendingBioFsync}`,
      `aof_delayed_fsync:${aof.delayedFsync}`,
    );
  }
  if (server.loading) lines.push(...loadingInfoLines(server));
  return lines;
}
