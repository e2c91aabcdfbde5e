/**
 * The loading state of a server (Redis's startLoading / loadingAbsProgress / stopLoading and the
 * server.loading_* fields): while a dataset is read at start-up (RDB or AOF), `server.loading` is
 * set, so dispatch answers `-LOADING Redis is loading the dataset in memory` to commands without
 * the `loading` flag, and INFO persistence prints the loading_* progress block.
 *
 * Both dataset loaders use it: the RDB loader (rdb-file-load.ts) and the AOF loader, which may
 * wrap several files (base + incrementals) in one startLoading/stopLoading pair and report its own
 * byte progress. Keyed by server so several servers can live in one process (tests).
 */

import type { Server } from "../server.js";

export class LoadingState {
  /** Unix seconds when the current (or last) load started (loading_start_time). */
  startTime = 0;
  /** Bytes of the dataset being loaded (loading_total_bytes). */
  totalBytes = 0;
  /** Bytes processed so far (loading_loaded_bytes). */
  loadedBytes = 0;
  /** The used-mem AUX field of the RDB being loaded (loading_rdb_used_mem). */
  rdbUsedMem = 0;
  /** rdb_last_load_keys_loaded / rdb_last_load_keys_expired: reset at each load start. */
  keysLoaded = 0;
  keysExpired = 0;
}

const states = new WeakMap<Server, LoadingState>();

export function loadingState(server: Server): LoadingState {
  let s = states.get(server);
  if (s === undefined) {
    s = new LoadingState();
    states.set(server, s);
  }
  return s;
}

/** startLoading: the server answers -LOADING until stopLoading. */
export function startLoading(server: Server, totalBytes: number): LoadingState {
  const s = loadingState(server);
  s.startTime = Math.floor(Date.now() / 1000);
  s.totalBytes = totalBytes;
  s.loadedBytes = 0;
  s.rdbUsedMem = 0;
  s.keysLoaded = 0;
  s.keysExpired = 0;
  server.loading = true;
  return s;
}

/** stopLoading: commands are served again (the caller logs success or exits on failure). */
export function stopLoading(server: Server): void {
  server.loading = false;
}

/** INFO persistence's loading_* block (only printed while loading), in Redis's order. */
export function loadingInfoLines(server: Server): string[] {
  const s = loadingState(server);
  const perc = (s.loadedBytes / (s.totalBytes + 1)) * 100;
  const elapsed = Math.floor(Date.now() / 1000) - s.startTime;
  const remaining = s.totalBytes - s.loadedBytes;
  // Redis shows a fake 1 second until a second has elapsed.
  const eta = elapsed === 0 ? 1 : Math.floor((elapsed * remaining) / (s.loadedBytes + 1));
  return [
    `loading_start_time:${s.startTime}`,
    `loading_total_bytes:${s.totalBytes}`,
    `loading_rdb_used_mem:${s.rdbUsedMem}`,
    `loading_loaded_bytes:${s.loadedBytes}`,
    `loading_loaded_perc:${perc.toFixed(2)}`,
    `loading_eta_seconds:${eta}`,
  ];
}
