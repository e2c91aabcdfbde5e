/**
 * LATENCY DOCTOR's report and LATENCY GRAPH's chart (latency.c createLatencyReport,
 * analyzeLatencyForEvent and latencyCommandGenSparkeline), worded exactly as Redis 7.0 words
 * them so that scripts and people reading either server see the same text.
 *
 * The report is built from the events the latency monitor holds plus a few settings Redis
 * consults (slowlog-log-slower-than, hz, appendfsync). Two inputs of Redis's have no meaning
 * here, and the report is what Redis prints when they are absent:
 *  - fork: Keyhaven persists without fork(), so no "fork" event is ever recorded and neither the
 *    fork-rate sentence nor the "better virtual machine" advice can appear;
 *  - transparent huge pages: Redis checks its own AnonHugePages (normally zero, since it turns
 *    THP off for itself by default), so the THP advice is never given.
 */

import { formatDoubleFixed } from "../util/long-double.js";
import { LATENCY_TS_LEN, type LatencyMonitor, type LatencyTimeSeries } from "./latency-monitor.js";
import { Sparkline } from "./sparkline.js";

/** latencyStats: what the report says about one event's samples. */
export interface LatencyStats {
  /** Number of samples held (at most LATENCY_TS_LEN). */
  samples: number;
  /** Integer mean, min and max of the held samples, in ms. */
  avg: number;
  min: number;
  max: number;
  /** Integer mean absolute deviation from `avg`. */
  mad: number;
  /** Seconds from the oldest held sample to now, at least 1 (0 without samples). */
  period: number;
}

/** The settings the report's advice depends on. */
export interface DoctorSettings {
  /** latency-monitor-threshold, ms. */
  threshold: number;
  /** slowlog-log-slower-than, µs (negative: slow log disabled). */
  slowlogSlowerThan: number;
  hz: number;
  appendfsync: string;
}

/** analyzeLatencyForEvent, with Redis's integer divisions (its fields are unsigned integers). */
export function analyzeLatency(ts: LatencyTimeSeries, nowSeconds: number): LatencyStats {
  const stats: LatencyStats = { samples: 0, avg: 0, min: 0, max: 0, mad: 0, period: 0 };
  let sum = 0;
  let oldest = 0;
  for (let j = 0; j < LATENCY_TS_LEN; j++) {
    if (ts.times[j] === 0) continue;
    const latency = ts.latencies[j];
    if (stats.samples === 0 || latency < stats.min) stats.min = latency;
    if (stats.samples === 0 || latency > stats.max) stats.max = latency;
    stats.samples++;
    sum += latency;
    if (oldest === 0 || ts.times[j] < oldest) oldest = ts.times[j];
  }
  if (stats.samples === 0) return stats;
  stats.avg = Math.floor(sum / stats.samples);
  stats.period = nowSeconds - oldest || 1;
  let deviation = 0;
  for (let j = 0; j < LATENCY_TS_LEN; j++) {
    if (ts.times[j] !== 0) deviation += Math.abs(stats.avg - ts.latencies[j]);
  }
  stats.mad = Math.floor(deviation / stats.samples);
  return stats;
}

/** The advice paragraphs, in the order the report prints them. */
type Advice =
  | "slowlogEnable"
  | "slowlogTuning"
  | "slowlogInspect"
  | "scheduler"
  | "localDisk"
  | "ssd"
  | "dataWriteback"
  | "diskContention"
  | "noAppendfsync"
  | "relaxFsync"
  | "writeLoadInfo"
  | "hz"
  | "largeObjects"
  | "massEviction";

/**
 * Advice each event (by lower-case name) calls for. "command" is handled apart: its slow-log
 * advice depends on settings. Redis compares names case-insensitively.
 */
const EVENT_ADVICE: Record<string, readonly Advice[]> = {
  "fast-command": ["scheduler"],
  "aof-write-pending-fsync": ["localDisk", "diskContention", "ssd", "dataWriteback"],
  "aof-write-active-child": ["noAppendfsync", "dataWriteback", "ssd"],
  "aof-write-alone": ["localDisk", "dataWriteback", "ssd"],
  "aof-fsync-always": ["relaxFsync"],
  "aof-fstat": ["diskContention", "localDisk"],
  "rdb-unlink-temp-file": ["diskContention", "localDisk"],
  "aof-rewrite-diff-write": ["writeLoadInfo", "dataWriteback", "ssd", "localDisk"],
  "aof-rename": ["writeLoadInfo", "dataWriteback", "ssd", "localDisk"],
  "expire-cycle": ["hz", "largeObjects"],
  "eviction-del": ["largeObjects"],
  "eviction-cycle": ["massEviction"],
};

const DISABLED =
  "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n";
const OBSERVED =
  "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n";
const NOTHING_OBSERVED =
  "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n";
const NO_EASY_FIX =
  "\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n";

/** The paragraph for each advice; null when a setting makes it moot (it still counted). */
function adviceText(advice: Advice, s: DoctorSettings): string | null {
  switch (advice) {
    case "slowlogEnable":
      return `- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than ${s.threshold * 1000}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n`;
    case "slowlogTuning":
      return `- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than ${s.threshold * 1000}'.\n`;
    case "slowlogInspect":
      return "- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n";
    case "scheduler":
      return (
        "- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n" +
        "  1) Lower the system load.\n" +
        "  2) Use a computer / VM just for Redis if you are running other software in the same system.\n" +
        '  3) Check if you have a "noisy neighbour" problem.\n' +
        "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n" +
        "  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n"
      );
    case "localDisk":
      return "- It is strongly advised to use local disks for persistence, especially if you are using AOF. Remote disks provided by platform-as-a-service providers are known to be slow.\n";
    case "ssd":
      return "- SSD disks are able to reduce fsync latency, and total time needed for snapshotting and AOF log rewriting (resulting in smaller memory usage). With extremely high write load SSD disks can be a good option. However Redis should perform reasonably with high load using normal disks. Use this advice as a last resort.\n";
    case "dataWriteback":
      return "- Mounting ext3/4 filesystems with data=writeback can provide a performance boost compared to data=ordered, however this mode of operation provides less guarantees, and sometimes it can happen that after a hard crash the AOF file will have a half-written command at the end and will require to be repaired before Redis restarts.\n";
    case "diskContention":
      return "- Try to lower the disk contention. This is often caused by other disk intensive processes running in the same computer (including other Redis instances).\n";
    case "noAppendfsync":
      return "- Assuming from the point of view of data safety this is viable in your environment, you could try to enable the 'no-appendfsync-on-rewrite' option, so that fsync will not be performed while there is a child rewriting the AOF file or producing an RDB file (the moment where there is high disk contention).\n";
    case "relaxFsync":
      if (s.appendfsync !== "always") return null;
      return "- Your fsync policy is set to 'always'. It is very hard to get good performances with such a setup, if possible try to relax the fsync policy to 'onesec'.\n";
    case "writeLoadInfo":
      return "- Latency during the AOF atomic rename operation or when the final difference is flushed to the AOF file at the end of the rewrite, sometimes is caused by very high write load, causing the AOF buffer to get very large. If possible try to send less commands to accomplish the same work, or use Lua scripts to group multiple operations into a single EVALSHA call.\n";
    case "hz":
      if (s.hz >= 100) return null;
      return "- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n";
    case "largeObjects":
      return "- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n";
    case "massEviction":
      return "- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure forcing the server to block trying to evict keys. \n";
  }
}

const ADVICE_ORDER: readonly Advice[] = [
  "slowlogEnable",
  "slowlogTuning",
  "slowlogInspect",
  "scheduler",
  "localDisk",
  "ssd",
  "dataWriteback",
  "diskContention",
  "noAppendfsync",
  "relaxFsync",
  "writeLoadInfo",
  "hz",
  "largeObjects",
  "massEviction",
];

/** createLatencyReport: LATENCY DOCTOR's text. */
export function latencyReport(monitor: LatencyMonitor, settings: DoctorSettings, nowSeconds: number): string {
  // Never enabled and nothing left from when it was: say how to turn it on.
  if (monitor.events.size === 0 && settings.threshold === 0) return DISABLED;
  const wanted = new Set<Advice>();
  // Redis counts an advice once per event asking for it; only "none at all" matters.
  let adviceCount = 0;
  let report = "";
  let n = 0;
  for (const [event, ts] of monitor.events) {
    n++;
    if (n === 1) report += OBSERVED;
    const st = analyzeLatency(ts, nowSeconds);
    report += `${n}. ${event}: ${st.samples} latency spikes (average ${st.avg}ms, mean deviation ${st.mad}ms, period ${formatDoubleFixed(st.period / st.samples, 2)} sec). Worst all time event ${ts.max}ms.`;
    const name = event.toLowerCase();
    const advices: Advice[] = [];
    if (name === "command") {
      if (settings.slowlogSlowerThan < 0) advices.push("slowlogEnable");
      else if (Math.trunc(settings.slowlogSlowerThan / 1000) > settings.threshold)
        advices.push("slowlogTuning");
      advices.push("slowlogInspect", "largeObjects");
    } else {
      advices.push(...(EVENT_ADVICE[name] ?? []));
    }
    for (const a of advices) wanted.add(a);
    adviceCount += advices.length;
    report += "\n";
  }
  if (n === 0 && adviceCount === 0) return report + NOTHING_OBSERVED;
  if (n > 0 && adviceCount === 0) return report + NO_EASY_FIX;
  report += "\nI have a few advices for you:\n\n";
  for (const a of ADVICE_ORDER) {
    if (!wanted.has(a)) continue;
    const text = adviceText(a, settings);
    if (text !== null) report += text;
  }
  return report;
}

/** Columns of LATENCY GRAPH's chart (LATENCY_GRAPH_COLS): wider histories wrap. */
const GRAPH_COLUMNS = 80;
const GRAPH_ROWS = 4;

/** How long ago a sample was, in the largest whole unit: 42s, 3m, 5h, 2d. */
function agoLabel(elapsed: number): string {
  if (elapsed < 60) return `${elapsed}s`;
  if (elapsed < 3600) return `${Math.trunc(elapsed / 60)}m`;
  if (elapsed < 86400) return `${Math.trunc(elapsed / 3600)}h`;
  return `${Math.trunc(elapsed / 86400)}d`;
}

/** latencyCommandGenSparkeline: a header, a rule, and the samples oldest first. */
export function latencyGraph(event: string, ts: LatencyTimeSeries, nowSeconds: number): string {
  const line = new Sparkline();
  let min = 0;
  let max = 0;
  for (let j = 0; j < LATENCY_TS_LEN; j++) {
    const i = (ts.idx + j) % LATENCY_TS_LEN;
    if (ts.times[i] === 0) continue;
    const latency = ts.latencies[i];
    if (line.length === 0 || latency < min) min = latency;
    if (line.length === 0 || latency > max) max = latency;
    line.add(latency, agoLabel(nowSeconds - ts.times[i]));
  }
  const header = `${event} - high ${max} ms, low ${min} ms (all time high ${ts.max} ms)\n`;
  return `${header}${"-".repeat(GRAPH_COLUMNS)}\n${line.render(GRAPH_COLUMNS, GRAPH_ROWS, { fill: true })}`;
}
