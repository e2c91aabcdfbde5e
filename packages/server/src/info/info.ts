/**
 * INFO (server.c genRedisInfoString): every section and field Redis 7.0 prints, in its order
 * and format, computed from our own state. Subsystems own their sections (persistence and
 * replication register theirs through `server.infoSections`); the defaults here are the idle
 * values Redis prints when those features are unused.
 */

import { arch, totalmem } from "node:os";
import { migrateCachedSockets } from "../commands/migrate-connections.js";
import { clock } from "../keyspace/clock.js";
import { currentEvictionExceededMs } from "../keyspace/evict.js";
import { ClientFlag } from "../network/client.js";
import { persistenceInfo } from "../persistence/persistence-info.js";
import { startedScriptEngine } from "../scripting/engine.js";
import { startedFunctionsEngine } from "../scripting/functions.js";
import type { Server } from "../server.js";
import { REDIS_VERSION } from "../version.js";
import { latencyPercentile } from "./latency.js";

/** Sections printed by INFO / INFO default, in Redis's order. */
const DEFAULT_SECTIONS = [
  "server",
  "clients",
  "memory",
  "persistence",
  "stats",
  "replication",
  "cpu",
  "modules",
  "errorstats",
  "cluster",
  "keyspace",
];
const ALL_SECTIONS = [
  ...DEFAULT_SECTIONS.slice(0, 7),
  "modules",
  "commandstats",
  "errorstats",
  "latencystats",
  "cluster",
  "keyspace",
];

/** Bytes as Redis's bytesToHuman prints them ("1.50M"). */
export function bytesToHuman(n: number): string {
  const units = ["B", "K", "M", "G", "T", "P"];
  if (n < 1024) return `${n}B`;
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(2)}${units[i]}`;
}

/** Lines of text joined as Redis prints a section: "# Name" then "field:value" lines. */
function section(title: string, lines: string[]): string {
  return `# ${title}\r\n${lines.map((l) => `${l}\r\n`).join("")}`;
}

export function serverInfo(server: Server): string[] {
  const uptime = Math.floor((Date.now() - server.startTimeMs) / 1000);
  return [
    `redis_version:${REDIS_VERSION}`,
    "redis_git_sha1:00000000",
    "redis_git_dirty:0",
    "redis_build_id:6b6579686176656e",
    `redis_mode:${server.mode}`,
    `os:${process.platform === "linux" ? "Linux" : process.platform} ${process.version} ${arch()}`,
    "arch_bits:64",
    "monotonic_clock:POSIX clock_gettime",
    "multiplexing_api:epoll",
    "atomicvar_api:c11-builtin",
    "gcc_version:0.0.0",
    `process_id:${process.pid}`,
    "process_supervised:no",
    `run_id:${server.runId}`,
    `tcp_port:${server.boundPort || server.config.num("port")}`,
    `server_time_usec:${Date.now() * 1000}`,
    `uptime_in_seconds:${uptime}`,
    `uptime_in_days:${Math.floor(uptime / 86400)}`,
    `hz:${server.cron.currentHz}`,
    `configured_hz:${server.config.num("hz")}`,
    `lru_clock:${clock.lruSeconds}`,
    `executable:${process.argv[1] ?? process.execPath}`,
    `config_file:${server.config.configFile ?? ""}`,
    "io_threads_active:0",
    ...(server.shutdownDeadline !== 0
      ? [`shutdown_in_milliseconds:${Math.max(0, server.shutdownDeadline - Date.now())}`]
      : []),
  ];
}

function clientsInfo(server: Server): string[] {
  let maxIn = 0;
  let maxOut = 0;
  // Replicas attached to us are not clients here (Redis counts clients minus slaves).
  let replicas = 0;
  for (const c of server.clients.values()) {
    maxIn = Math.max(maxIn, c.parser.bufferedLength);
    maxOut = Math.max(maxOut, c.outputBytes);
    if ((c.flags & ClientFlag.Replica) !== 0) replicas++;
  }
  return [
    `connected_clients:${server.clients.size - replicas}`,
    "cluster_connections:0",
    `maxclients:${server.maxClients}`,
    `client_recent_max_input_buffer:${maxIn}`,
    `client_recent_max_output_buffer:${maxOut}`,
    // Clients waiting for a SHUTDOWN are blocked too (BLOCKED_SHUTDOWN).
    `blocked_clients:${server.blocking.count + server.shutdownWaiters}`,
    `tracking_clients:${server.tracking.clients}`,
    `clients_in_timeout_table:${server.blocking.count}`,
  ];
}

export function memoryInfo(server: Server): string[] {
  const used = server.memory.used();
  const dataset = server.memory.dataset();
  const rss = process.memoryUsage.rss();
  const peak = server.memory.notePeak(used);
  const startup = server.memory.startup;
  const overhead = Math.max(0, used - dataset);
  const maxmemory = server.config.num("maxmemory");
  const total = totalmem();
  const engine = startedScriptEngine(server);
  const scriptsEval = engine?.scriptsMemory ?? 0;
  const functions = startedFunctionsEngine(server);
  // An engine never created holds Redis's empty-state figures.
  const vmFunctions = functions?.vmMemory ?? 32768;
  const functionsOverhead = functions?.overheadMemory ?? 184;
  const frag = used > 0 ? rss / used : 0;
  const heap = process.memoryUsage();
  return [
    `used_memory:${used}`,
    `used_memory_human:${bytesToHuman(used)}`,
    `used_memory_rss:${rss}`,
    `used_memory_rss_human:${bytesToHuman(rss)}`,
    `used_memory_peak:${peak}`,
    `used_memory_peak_human:${bytesToHuman(peak)}`,
    `used_memory_peak_perc:${peak > 0 ? ((used * 100) / peak).toFixed(2) : "0.00"}%`,
    `used_memory_overhead:${overhead}`,
    `used_memory_startup:${startup}`,
    `used_memory_dataset:${dataset}`,
    `used_memory_dataset_perc:${used - startup > 0 ? ((dataset * 100) / (used - startup)).toFixed(2) : "0.00"}%`,
    `allocator_allocated:${heap.heapUsed + heap.external}`,
    `allocator_active:${heap.heapTotal + heap.external}`,
    `allocator_resident:${rss}`,
    `total_system_memory:${total}`,
    `total_system_memory_human:${bytesToHuman(total)}`,
    "used_memory_lua:31744",
    "used_memory_vm_eval:31744",
    "used_memory_lua_human:31.00K",
    `used_memory_scripts_eval:${scriptsEval}`,
    `number_of_cached_scripts:${engine?.cachedScripts ?? 0}`,
    `number_of_functions:${functions?.functionCount ?? 0}`,
    `number_of_libraries:${functions?.libraryCount ?? 0}`,
    `used_memory_vm_functions:${vmFunctions}`,
    `used_memory_vm_total:${31744 + vmFunctions}`,
    `used_memory_vm_total_human:${bytesToHuman(31744 + vmFunctions)}`,
    `used_memory_functions:${functionsOverhead}`,
    `used_memory_scripts:${functionsOverhead + scriptsEval}`,
    `used_memory_scripts_human:${bytesToHuman(functionsOverhead + scriptsEval)}`,
    `maxmemory:${maxmemory}`,
    `maxmemory_human:${bytesToHuman(maxmemory)}`,
    `maxmemory_policy:${server.config.str("maxmemory-policy")}`,
    `allocator_frag_ratio:${heap.heapUsed > 0 ? (heap.heapTotal / heap.heapUsed).toFixed(2) : "1.00"}`,
    `allocator_frag_bytes:${Math.max(0, heap.heapTotal - heap.heapUsed)}`,
    `allocator_rss_ratio:${heap.heapTotal > 0 ? (rss / (heap.heapTotal + heap.external)).toFixed(2) : "1.00"}`,
    `allocator_rss_bytes:${Math.max(0, rss - heap.heapTotal - heap.external)}`,
    "rss_overhead_ratio:1.00",
    "rss_overhead_bytes:0",
    `mem_fragmentation_ratio:${frag.toFixed(2)}`,
    `mem_fragmentation_bytes:${rss - used}`,
    `mem_not_counted_for_evict:${server.memory.notCountedForEvict()}`,
    `mem_replication_backlog:${server.memory.hooks.backlog()}`,
    `mem_total_replication_buffers:${server.memory.hooks.replicationBuffers()}`,
    `mem_clients_slaves:${server.memory.clients(true)}`,
    `mem_clients_normal:${server.memory.clients(false)}`,
    "mem_cluster_links:0",
    `mem_aof_buffer:${server.memory.hooks.aofBuffer()}`,
    `mem_allocator:v8-${process.versions.v8}`,
    "active_defrag_running:0",
    "lazyfree_pending_objects:0",
    "lazyfreed_objects:0",
  ];
}

function statsInfo(server: Server): string[] {
  const s = server.stats;
  return [
    `total_connections_received:${s.totalConnectionsReceived}`,
    `total_commands_processed:${s.totalCommandsProcessed}`,
    `instantaneous_ops_per_sec:${Math.round(s.opsPerSec.value)}`,
    // As Redis 7.0 prints them: the totals include the replication traffic counted apart.
    `total_net_input_bytes:${s.totalNetInputBytes + s.totalNetReplInputBytes}`,
    `total_net_output_bytes:${s.totalNetOutputBytes + s.totalNetReplOutputBytes}`,
    `total_net_repl_input_bytes:${s.totalNetReplInputBytes}`,
    `total_net_repl_output_bytes:${s.totalNetReplOutputBytes}`,
    `instantaneous_input_kbps:${s.inputKbps.value.toFixed(2)}`,
    `instantaneous_output_kbps:${s.outputKbps.value.toFixed(2)}`,
    `instantaneous_input_repl_kbps:${s.inputReplKbps.value.toFixed(2)}`,
    `instantaneous_output_repl_kbps:${s.outputReplKbps.value.toFixed(2)}`,
    `rejected_connections:${s.rejectedConnections}`,
    `sync_full:${s.syncFull}`,
    `sync_partial_ok:${s.syncPartialOk}`,
    `sync_partial_err:${s.syncPartialErr}`,
    `expired_keys:${s.expiredKeys}`,
    `expired_stale_perc:${(s.expiredStalePerc * 100).toFixed(2)}`,
    `expired_time_cap_reached_count:${s.expiredTimeCapReachedCount}`,
    `expire_cycle_cpu_milliseconds:${Math.round(s.expireCycleCpuMs)}`,
    `evicted_keys:${s.evictedKeys}`,
    `evicted_clients:${s.evictedClients}`,
    `total_eviction_exceeded_time:${Math.floor(s.totalEvictionExceededTimeMs + currentEvictionExceededMs(server))}`,
    `current_eviction_exceeded_time:${Math.floor(currentEvictionExceededMs(server))}`,
    `keyspace_hits:${s.keyspaceHits}`,
    `keyspace_misses:${s.keyspaceMisses}`,
    `pubsub_channels:${server.pubsub.channels.size}`,
    `pubsub_patterns:${server.pubsub.patterns.size}`,
    `pubsubshard_channels:${server.pubsub.shardChannels.size}`,
    `latest_fork_usec:${s.latestForkUsec}`,
    `total_forks:${s.totalForks}`,
    `migrate_cached_sockets:${migrateCachedSockets()}`,
    "slave_expires_tracked_keys:0",
    "active_defrag_hits:0",
    "active_defrag_misses:0",
    "active_defrag_key_hits:0",
    "active_defrag_key_misses:0",
    "total_active_defrag_time:0",
    "current_active_defrag_time:0",
    `tracking_total_keys:${server.tracking.totalKeys}`,
    `tracking_total_items:${server.tracking.totalItems}`,
    `tracking_total_prefixes:${server.tracking.totalPrefixes}`,
    `unexpected_error_replies:${s.unexpectedErrorReplies}`,
    `total_error_replies:${s.totalErrorReplies}`,
    `dump_payload_sanitizations:${s.dumpPayloadSanitizations}`,
    `total_reads_processed:${s.totalReadsProcessed}`,
    `total_writes_processed:${s.totalWritesProcessed}`,
    "io_threaded_reads_processed:0",
    "io_threaded_writes_processed:0",
    "reply_buffer_shrinks:0",
    "reply_buffer_expands:0",
  ];
}

/** Idle master replication fields, for when no replication subsystem registered its own. */
function replicationIdleInfo(server: Server): string[] {
  return [
    "role:master",
    "connected_slaves:0",
    "master_failover_state:no-failover",
    `master_replid:${server.runId}`,
    "master_replid2:0000000000000000000000000000000000000000",
    "master_repl_offset:0",
    "second_repl_offset:-1",
    "repl_backlog_active:0",
    `repl_backlog_size:${server.config.num("repl-backlog-size")}`,
    "repl_backlog_first_byte_offset:0",
    "repl_backlog_histlen:0",
  ];
}

function cpuInfo(): string[] {
  const u = process.cpuUsage();
  const sys = (u.system / 1e6).toFixed(6);
  const user = (u.user / 1e6).toFixed(6);
  return [
    `used_cpu_sys:${sys}`,
    `used_cpu_user:${user}`,
    "used_cpu_sys_children:0.000000",
    "used_cpu_user_children:0.000000",
    `used_cpu_sys_main_thread:${sys}`,
    `used_cpu_user_main_thread:${user}`,
  ];
}

function commandstatsInfo(server: Server): string[] {
  const lines: string[] = [];
  const add = (
    name: string,
    cmd: { calls: number; usec: number; rejectedCalls: number; failedCalls: number },
  ) => {
    if (cmd.calls === 0 && cmd.rejectedCalls === 0 && cmd.failedCalls === 0) return;
    const usec = Math.round(cmd.usec);
    const per = cmd.calls > 0 ? (cmd.usec / cmd.calls).toFixed(2) : "0.00";
    lines.push(
      `cmdstat_${name}:calls=${cmd.calls},usec=${usec},usec_per_call=${per},rejected_calls=${cmd.rejectedCalls},failed_calls=${cmd.failedCalls}`,
    );
  };
  for (const cmd of server.commands.all()) {
    add(cmd.name, cmd);
    if (cmd.subcommandMap !== null) for (const sub of cmd.subcommandMap.values()) add(sub.fullName, sub);
  }
  return lines;
}

/** latencystats: `latency_percentiles_usec_<cmd>:p50=..,p99=..,p99.9=..` per command called. */
function latencystatsInfo(server: Server): string[] {
  const percentiles = server.config
    .str("latency-tracking-info-percentiles")
    .split(" ")
    .filter((p) => p.length > 0)
    .map(Number)
    .filter((p) => Number.isFinite(p));
  const lines: string[] = [];
  const add = (name: string, histogram: Float64Array | null) => {
    if (histogram === null) return;
    const parts = percentiles.map((p) => `p${p}=${latencyPercentile(histogram, p).toFixed(3)}`);
    lines.push(`latency_percentiles_usec_${name}:${parts.join(",")}`);
  };
  for (const cmd of server.commands.all()) {
    add(cmd.name, cmd.latency);
    if (cmd.subcommandMap !== null)
      for (const sub of cmd.subcommandMap.values()) add(sub.fullName, sub.latency);
  }
  return lines;
}

function errorstatsInfo(server: Server): string[] {
  const lines: string[] = [];
  for (const [code, count] of server.stats.errorCodes) lines.push(`errorstat_${code}:count=${count}`);
  return lines;
}

function keyspaceInfo(server: Server): string[] {
  const lines: string[] = [];
  for (const db of server.dbs) {
    if (db.size === 0) continue;
    lines.push(`db${db.id}:keys=${db.size},expires=${db.expiresCount},avg_ttl=${Math.round(db.avgTtl)}`);
  }
  return lines;
}

const SECTION_TITLES: Record<string, string> = {
  server: "Server",
  clients: "Clients",
  memory: "Memory",
  persistence: "Persistence",
  stats: "Stats",
  replication: "Replication",
  cpu: "CPU",
  modules: "Modules",
  commandstats: "Commandstats",
  errorstats: "Errorstats",
  latencystats: "Latencystats",
  cluster: "Cluster",
  keyspace: "Keyspace",
  sentinel: "Sentinel",
};

/** Registers the core sections; subsystems may replace persistence and replication. */
export function registerCoreInfoSections(server: Server): void {
  const s = server.infoSections;
  s.set("server", () => serverInfo(server));
  s.set("clients", () => clientsInfo(server));
  s.set("memory", () => memoryInfo(server));
  // Without the RDB subsystem registered (an embedded server) the same fields read as idle.
  if (!s.has("persistence")) s.set("persistence", () => persistenceInfo(server));
  s.set("stats", () => statsInfo(server));
  if (!s.has("replication")) s.set("replication", () => replicationIdleInfo(server));
  s.set("cpu", () => cpuInfo());
  s.set("modules", () => []);
  s.set("commandstats", () => commandstatsInfo(server));
  s.set("errorstats", () => errorstatsInfo(server));
  s.set("latencystats", () => latencystatsInfo(server));
  s.set("cluster", () => ["cluster_enabled:0"]);
  s.set("keyspace", () => keyspaceInfo(server));
}

/** The INFO text for the requested section names (none = default). */
export function genInfoString(server: Server, requested: string[]): string {
  let names: string[];
  const lower = requested.map((r) => r.toLowerCase());
  if (lower.length === 0 || (lower.length === 1 && lower[0] === "default")) names = DEFAULT_SECTIONS;
  else if (lower.includes("all") || lower.includes("everything")) names = ALL_SECTIONS;
  else {
    const wanted = new Set(lower.flatMap((r) => (r === "default" ? DEFAULT_SECTIONS : [r])));
    names = [
      ...ALL_SECTIONS,
      ...[...server.infoSections.keys()].filter((k) => !ALL_SECTIONS.includes(k)),
    ].filter((n) => wanted.has(n));
  }
  const parts: string[] = [];
  for (const name of names) {
    const builder = server.infoSections.get(name);
    if (builder === undefined) continue;
    parts.push(section(SECTION_TITLES[name] ?? name[0].toUpperCase() + name.slice(1), builder()));
  }
  return parts.join("\r\n");
}
