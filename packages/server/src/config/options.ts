/**
 * The declarative table of configuration options, as Redis 7.0's config.c `static_configs`:
 * name, legacy alias, type, default, whether CONFIG SET may change it at runtime. The parser,
 * CONFIG GET/SET/REWRITE and INFO all read this one table; subsystems react to changes through
 * `Config.onChange`.
 *
 * Values are held in their typed form (numbers in bytes for memory options, booleans, enum names,
 * strings); `format` gives the text CONFIG GET and CONFIG REWRITE print.
 */

export type OptionType = "bool" | "int" | "memory" | "enum" | "string" | "special" | "octal" | "flags";

export interface OptionSpec {
  name: string;
  alias?: string;
  type: OptionType;
  default: unknown;
  /** CONFIG SET may change it (Redis's non-IMMUTABLE_CONFIG). */
  mutable: boolean;
  min?: number;
  max?: number;
  /** Allowed values of an enum/flags option. */
  values?: readonly string[];
  /** PROTECTED_CONFIG: CONFIG SET needs enable-protected-configs (yes, or local + loopback). */
  protected?: boolean;
  /** Hidden from `CONFIG GET *` (Redis's HIDDEN_CONFIG); exact names still answer. */
  hidden?: boolean;
  /** SENSITIVE_CONFIG: MONITOR and SLOWLOG show a CONFIG SET of it as "(redacted)"; CONFIG REWRITE still writes it. */
  sensitive?: boolean;
  /** A memory option that also takes a percentage ("10%"), held as its negative. */
  percent?: boolean;
  /** Options that only matter to Sentinel or features we refuse are accepted but inert. */
  inert?: boolean;
  /**
   * CONFIG REWRITE and the default value. Unset: the default is written only by a forced rewrite
   * (DEBUG CONFIG-REWRITE-FORCE-ALL). "always": by every rewrite (Redis's rewrite of save, dir
   * and the latency percentiles compares with no default). "never": not even by a forced one
   * (a string whose default is Redis's NULL, bind's default address list, a deprecated option).
   * Checked against redis-server 7.0's DEBUG CONFIG-REWRITE-FORCE-ALL.
   */
  rewriteDefault?: "always" | "never";
}

/**
 * Redis's LLONG_MAX bound. Values are JS numbers, so anything above 2^53 is clamped on parse;
 * error messages still print Redis's 9223372036854775807 (see formatBound).
 */
const LONG_MAX = Number.MAX_SAFE_INTEGER;
const INT_MAX = 2147483647;
const UINT_MAX = 4294967295;

function bool(name: string, def: boolean, mutable = true, alias?: string): OptionSpec {
  return { name, alias, type: "bool", default: def, mutable };
}
function int(
  name: string,
  def: number,
  min: number,
  max: number,
  mutable = true,
  alias?: string,
): OptionSpec {
  return { name, alias, type: "int", default: def, mutable, min, max };
}
/** A memory option: bounded like an int, parsed as a memory value, rewritten with units. */
function mem(...args: Parameters<typeof int>): OptionSpec {
  return { ...int(...args), type: "memory" };
}
function enm(
  name: string,
  def: string,
  values: readonly string[],
  mutable = true,
  alias?: string,
): OptionSpec {
  return { name, alias, type: "enum", default: def, mutable, values };
}
function str(name: string, def: string, mutable = true, alias?: string): OptionSpec {
  return { name, alias, type: "string", default: def, mutable };
}
function special(name: string, def: unknown, mutable = true, alias?: string): OptionSpec {
  return { name, alias, type: "special", default: def, mutable };
}
/** `spec`, whose default no CONFIG REWRITE writes (rewriteDefault "never"). */
function unwrittenDefault(spec: OptionSpec): OptionSpec {
  return { ...spec, rewriteDefault: "never" };
}

export const MAXMEMORY_POLICIES = [
  "volatile-lru",
  "volatile-lfu",
  "volatile-random",
  "volatile-ttl",
  "allkeys-lru",
  "allkeys-lfu",
  "allkeys-random",
  "noeviction",
] as const;

export const LOGLEVELS = ["debug", "verbose", "notice", "warning"] as const;

/** One save point: save after `seconds` if at least `changes` writes happened. */
export interface SavePoint {
  seconds: number;
  changes: number;
}

/** client-output-buffer-limit for one class of clients. */
export interface OutputBufferLimit {
  hard: number;
  soft: number;
  softSeconds: number;
}
export type OutputBufferClass = "normal" | "replica" | "pubsub";

export const OPTIONS: readonly OptionSpec[] = [
  // General
  bool("daemonize", false, false),
  unwrittenDefault(str("pidfile", "", false)),
  enm("loglevel", "notice", LOGLEVELS),
  str("logfile", "", false),
  bool("syslog-enabled", false, false),
  str("syslog-ident", "redis", false),
  enm(
    "syslog-facility",
    "local0",
    ["user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"],
    false,
  ),
  enm("supervised", "no", ["upstart", "systemd", "auto", "no"], false),
  int("databases", 16, 1, INT_MAX, false),
  bool("always-show-logo", false, false),
  bool("set-proc-title", true, false),
  str("proc-title-template", "{title} {listen-addr} {server-mode}", true),
  bool("crash-log-enabled", true),
  bool("crash-memcheck-enabled", true),
  enm("enable-protected-configs", "no", ["no", "yes", "local"], false),
  enm("enable-debug-command", "no", ["no", "yes", "local"], false),
  enm("enable-module-command", "no", ["no", "yes", "local"], false),
  str("ignore-warnings", "", true),
  // Network
  unwrittenDefault(special("bind", ["*", "-::*"])),
  unwrittenDefault(str("bind-source-addr", "", true)),
  bool("protected-mode", true),
  int("port", 6379, 0, 65535),
  int("tcp-backlog", 511, 0, INT_MAX, false),
  unwrittenDefault(str("unixsocket", "", false)),
  { name: "unixsocketperm", type: "octal", default: 0, mutable: false, min: 0, max: 0o777 },
  int("timeout", 0, 0, INT_MAX),
  int("tcp-keepalive", 300, 0, INT_MAX),
  int("maxclients", 10000, 1, UINT_MAX),
  mem("client-query-buffer-limit", 1024 * 1024 * 1024, 1024 * 1024, LONG_MAX),
  mem("proto-max-bulk-len", 512 * 1024 * 1024, 1024 * 1024, LONG_MAX),
  special("client-output-buffer-limit", {
    normal: { hard: 0, soft: 0, softSeconds: 0 },
    replica: { hard: 256 * 1024 * 1024, soft: 64 * 1024 * 1024, softSeconds: 60 },
    pubsub: { hard: 32 * 1024 * 1024, soft: 8 * 1024 * 1024, softSeconds: 60 },
  }),
  int("io-threads", 1, 1, 128, false),
  bool("io-threads-do-reads", false, false),
  int("hz", 10, 0, INT_MAX), // stored within 1..500 (values.ts), as Redis's updateHZ does
  bool("dynamic-hz", true),
  int("active-expire-effort", 1, 1, 10),
  // Security
  {
    name: "requirepass",
    type: "special",
    default: "",
    mutable: true,
    sensitive: true,
    rewriteDefault: "never",
  },
  str("aclfile", "", false),
  int("acllog-max-len", 128, 0, LONG_MAX),
  enm("acl-pubsub-default", "resetchannels", ["allchannels", "resetchannels"]),
  // Snapshotting
  {
    ...special("save", [
      { seconds: 3600, changes: 1 },
      { seconds: 300, changes: 100 },
      { seconds: 60, changes: 10000 },
    ] satisfies SavePoint[]),
    rewriteDefault: "always",
  },
  bool("stop-writes-on-bgsave-error", true),
  bool("rdbcompression", true),
  bool("rdbchecksum", true, false), // immutable in Redis 7.0
  enm("sanitize-dump-payload", "no", ["no", "yes", "clients"]),
  { name: "dbfilename", type: "string", default: "dump.rdb", mutable: true, protected: true },
  bool("rdb-del-sync-files", false),
  { name: "dir", type: "string", default: "", mutable: true, protected: true, rewriteDefault: "always" },
  { ...int("rdb-key-save-delay", 0, Number.MIN_SAFE_INTEGER, LONG_MAX), hidden: true },
  { ...int("key-load-delay", 0, Number.MIN_SAFE_INTEGER, LONG_MAX), hidden: true },
  { ...int("loading-process-events-interval-bytes", 2 * 1024 * 1024, 1024, INT_MAX), hidden: true },
  // Replication
  special("replicaof", null, false, "slaveof"),
  {
    name: "masterauth",
    type: "string",
    default: "",
    mutable: true,
    sensitive: true,
    rewriteDefault: "never",
  },
  { ...unwrittenDefault(str("masteruser", "", true)), sensitive: true },
  bool("replica-serve-stale-data", true, true, "slave-serve-stale-data"),
  bool("replica-read-only", true, true, "slave-read-only"),
  bool("repl-diskless-sync", true),
  int("repl-diskless-sync-delay", 5, 0, INT_MAX),
  int("repl-diskless-sync-max-replicas", 0, 0, INT_MAX),
  enm("repl-diskless-load", "disabled", ["disabled", "on-empty-db", "swapdb"]),
  int("repl-ping-replica-period", 10, 1, INT_MAX, true, "repl-ping-slave-period"),
  int("repl-timeout", 60, 1, INT_MAX),
  bool("repl-disable-tcp-nodelay", false),
  mem("repl-backlog-size", 1024 * 1024, 1, LONG_MAX),
  int("repl-backlog-ttl", 3600, 0, LONG_MAX),
  int("replica-priority", 100, 0, INT_MAX, true, "slave-priority"),
  bool("replica-announced", true),
  int("min-replicas-to-write", 0, 0, INT_MAX, true, "min-slaves-to-write"),
  int("min-replicas-max-lag", 10, 0, INT_MAX, true, "min-slaves-max-lag"),
  unwrittenDefault(str("replica-announce-ip", "", true, "slave-announce-ip")),
  int("replica-announce-port", 0, 0, 65535, true, "slave-announce-port"),
  bool("replica-ignore-maxmemory", true, true, "slave-ignore-maxmemory"),
  bool("replica-lazy-flush", false, true, "slave-lazy-flush"),
  // Memory management
  mem("maxmemory", 0, 0, LONG_MAX),
  enm("maxmemory-policy", "noeviction", MAXMEMORY_POLICIES),
  int("maxmemory-samples", 5, 1, INT_MAX),
  int("maxmemory-eviction-tenacity", 10, 0, 100),
  int("lfu-log-factor", 10, 0, INT_MAX),
  int("lfu-decay-time", 1, 0, INT_MAX),
  bool("lazyfree-lazy-eviction", false),
  bool("lazyfree-lazy-expire", false),
  bool("lazyfree-lazy-server-del", false),
  bool("lazyfree-lazy-user-del", false),
  bool("lazyfree-lazy-user-flush", false),
  bool("activerehashing", true),
  bool("activedefrag", false),
  bool("jemalloc-bg-thread", true),
  bool("disable-thp", true, false),
  // Append only mode
  bool("appendonly", false),
  str("appendfilename", "appendonly.aof", false),
  str("appenddirname", "appendonlydir", false),
  enm("appendfsync", "everysec", ["everysec", "always", "no"]),
  bool("no-appendfsync-on-rewrite", false),
  int("auto-aof-rewrite-percentage", 100, 0, INT_MAX),
  mem("auto-aof-rewrite-min-size", 64 * 1024 * 1024, 0, LONG_MAX),
  bool("aof-load-truncated", true),
  bool("aof-use-rdb-preamble", true),
  bool("aof-timestamp-enabled", false),
  bool("aof-rewrite-incremental-fsync", true),
  bool("rdb-save-incremental-fsync", true),
  // Shutdown
  int("shutdown-timeout", 10, 0, INT_MAX),
  {
    name: "shutdown-on-sigint",
    type: "flags",
    default: "default",
    mutable: true,
    values: ["default", "save", "nosave", "now", "force"],
  },
  {
    name: "shutdown-on-sigterm",
    type: "flags",
    default: "default",
    mutable: true,
    values: ["default", "save", "nosave", "now", "force"],
  },
  // Slow log, latency
  int("slowlog-log-slower-than", 10000, -1, LONG_MAX),
  int("slowlog-max-len", 128, 0, LONG_MAX),
  int("latency-monitor-threshold", 0, 0, LONG_MAX),
  bool("latency-tracking", true),
  { ...special("latency-tracking-info-percentiles", "50 99 99.9"), rewriteDefault: "always" },
  // Event notification
  special("notify-keyspace-events", ""),
  // Advanced config
  int("hash-max-listpack-entries", 512, 0, LONG_MAX, true, "hash-max-ziplist-entries"),
  mem("hash-max-listpack-value", 64, 0, LONG_MAX, true, "hash-max-ziplist-value"),
  int("list-max-listpack-size", -2, -5, INT_MAX, true, "list-max-ziplist-size"),
  int("list-compress-depth", 0, 0, INT_MAX),
  int("set-max-intset-entries", 512, 0, LONG_MAX),
  int("zset-max-listpack-entries", 128, 0, LONG_MAX, true, "zset-max-ziplist-entries"),
  mem("zset-max-listpack-value", 64, 0, LONG_MAX, true, "zset-max-ziplist-value"),
  mem("hll-sparse-max-bytes", 3000, 0, LONG_MAX),
  mem("stream-node-max-bytes", 4096, 0, LONG_MAX),
  int("stream-node-max-entries", 100, 0, LONG_MAX),
  int("tracking-table-max-keys", 1000000, 0, LONG_MAX),
  // A percentage is held negative, down to -100 (100%), as Redis holds it.
  { ...mem("maxmemory-clients", 0, -100, LONG_MAX), percent: true },
  int("busy-reply-threshold", 5000, 0, LONG_MAX, true, "lua-time-limit"),
  { ...int("lua-replicate-commands", 1, 0, 1, true), hidden: true, rewriteDefault: "never" },
  {
    name: "oom-score-adj",
    type: "enum",
    default: "no",
    mutable: true,
    values: ["no", "yes", "relative", "absolute"],
  },
  special("oom-score-adj-values", "0 200 800"),
  { ...int("watchdog-period", 0, 0, INT_MAX, true), hidden: true },
  bool("cluster-enabled", false, false),
  // Accepted so that real redis.conf files load and CONFIG GET lists what Redis lists, but
  // inert: Keyhaven has no TLS, cluster mode, active defrag or CPU affinity.
  ...inert([
    int("tls-port", 0, 0, 65535, false),
    unwrittenDefault(str("tls-cert-file", "")),
    unwrittenDefault(str("tls-key-file", "")),
    unwrittenDefault(str("tls-key-file-pass", "")),
    unwrittenDefault(str("tls-client-cert-file", "")),
    unwrittenDefault(str("tls-client-key-file", "")),
    unwrittenDefault(str("tls-client-key-file-pass", "")),
    unwrittenDefault(str("tls-dh-params-file", "")),
    unwrittenDefault(str("tls-ca-cert-file", "")),
    unwrittenDefault(str("tls-ca-cert-dir", "")),
    unwrittenDefault(str("tls-protocols", "")),
    unwrittenDefault(str("tls-ciphers", "")),
    unwrittenDefault(str("tls-ciphersuites", "")),
    bool("tls-prefer-server-ciphers", false),
    bool("tls-session-caching", true),
    int("tls-session-cache-size", 20480, 0, INT_MAX),
    int("tls-session-cache-timeout", 300, 0, INT_MAX),
    bool("tls-replication", false),
    bool("tls-cluster", false),
    enm("tls-auth-clients", "yes", ["no", "yes", "optional"]),
    str("cluster-config-file", "nodes.conf", false),
    int("cluster-port", 0, 0, 65535, false),
    int("cluster-node-timeout", 15000, 0, LONG_MAX),
    int("cluster-replica-validity-factor", 10, 0, INT_MAX, true, "cluster-slave-validity-factor"),
    int("cluster-migration-barrier", 1, 0, INT_MAX),
    bool("cluster-allow-replica-migration", true),
    bool("cluster-require-full-coverage", true),
    bool("cluster-replica-no-failover", false, true, "cluster-slave-no-failover"),
    bool("cluster-allow-reads-when-down", false),
    bool("cluster-allow-pubsubshard-when-down", true),
    unwrittenDefault(str("cluster-announce-ip", "")),
    unwrittenDefault(str("cluster-announce-hostname", "")),
    int("cluster-announce-port", 0, 0, 65535),
    int("cluster-announce-bus-port", 0, 0, 65535),
    int("cluster-announce-tls-port", 0, 0, 65535),
    enm("cluster-preferred-endpoint-type", "ip", ["ip", "hostname", "unknown-endpoint"]),
    mem("cluster-link-sendbuf-limit", 0, 0, LONG_MAX),
    mem("active-defrag-ignore-bytes", 100 * 1024 * 1024, 1, LONG_MAX),
    int("active-defrag-threshold-lower", 10, 0, 1000),
    int("active-defrag-threshold-upper", 100, 0, 1000),
    int("active-defrag-cycle-min", 1, 1, 99),
    int("active-defrag-cycle-max", 25, 1, 99),
    int("active-defrag-max-scan-fields", 1000, 1, LONG_MAX),
    unwrittenDefault(str("server_cpulist", "", false)),
    unwrittenDefault(str("bio_cpulist", "", false)),
    unwrittenDefault(str("aof_rewrite_cpulist", "", false)),
    unwrittenDefault(str("bgsave_cpulist", "", false)),
    int("socket-mark-id", 0, 0, UINT_MAX, false),
    enm("propagation-error-behavior", "ignore", ["ignore", "panic", "panic-on-replicas"]),
    bool("replica-ignore-disk-write-errors", false),
    bool("aof-disable-auto-gc", false),
  ]),
];

function inert(specs: OptionSpec[]): OptionSpec[] {
  return specs.map((s) => ({ ...s, inert: true }));
}

const byName = new Map<string, OptionSpec>();
for (const spec of OPTIONS) {
  byName.set(spec.name, spec);
  if (spec.alias) byName.set(spec.alias, spec);
}

/** The option named `name` (or its legacy alias), case-insensitive. */
export function findOption(name: string): OptionSpec | undefined {
  return byName.get(name.toLowerCase());
}
