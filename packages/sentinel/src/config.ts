/**
 * sentinel.conf: reading the `sentinel ...` directives (sentinel.c sentinelHandleConfiguration,
 * loadSentinelConfigFromQueue) and writing the state back (rewriteConfigSentinelOption +
 * sentinelFlushConfig).
 *
 * Reading: server directives (port, bind, dir, logfile, requirepass, ...) go to the server's
 * Config; `sentinel <directive>` lines (and, for convenience, the per-master directives written
 * without the `sentinel` prefix, e.g. `down-after-milliseconds mymaster 5000`) are queued and
 * applied after the whole file, in Redis's three passes: global settings, then `monitor`, then
 * everything that refers to a monitored master. Errors are ConfigErrors with file and line.
 *
 * Writing: every `sentinel` line of the file is replaced by the generated block (myid, per
 * master settings, config/leader epochs, known replicas and Sentinels, current epoch, announce
 * settings) at the place of the first one; comments and other lines are kept; `port` is kept
 * up to date so the file restarts the same Sentinel. The file is replaced atomically (tmp,
 * fsync, rename) with an in-place fallback where rename is impossible (server's
 * writeFileAtomically).
 *
 * Called by main.ts at start-up and by every state change through Sentinel.flushConfig.
 */

import { accessSync, constants } from "node:fs";
import { isIP } from "node:net";
import { splitInlineArgs } from "@keyhaven/protocol";
import {
  type Config,
  ConfigError,
  readConfigText,
  rewriteConfigText,
  writeFileAtomically,
} from "@keyhaven/server";
import {
  addrEquals,
  announceAddr,
  createInstance,
  currentMasterAddress,
  type Instance,
  type SentinelState,
  SRI_MASTER,
  SRI_SENTINEL,
  SRI_SLAVE,
} from "./instance.js";

export interface SentinelDirective {
  args: string[];
  file: string;
  line: number;
  text: string;
}

/** Per-master directives also accepted without the `sentinel` prefix. */
const BARE_MASTER_DIRECTIVES = new Set([
  "down-after-milliseconds",
  "failover-timeout",
  "parallel-syncs",
  "notification-script",
  "client-reconfig-script",
  "auth-pass",
  "auth-user",
]);

/** Directives applied before `monitor` (loadSentinelConfigFromQueue's pre-monitor group). */
const PRE_MONITOR = new Set([
  "myid",
  "current-epoch",
  "announce-ip",
  "announce-port",
  "resolve-hostnames",
  "announce-hostnames",
  "deny-scripts-reconfig",
  "sentinel-user",
  "sentinel-pass",
]);

/**
 * Splits config text into what the server's Config parses (sentinel lines blanked, so line
 * numbers in its errors stay right) and the queued sentinel directives.
 */
export function splitConfigText(
  text: string,
  file: string,
): { serverText: string; directives: SentinelDirective[] } {
  const lines = text.split("\n");
  const directives: SentinelDirective[] = [];
  for (let i = 0; i < lines.length; i++) {
    const trimmed = lines[i].replace(/\r$/, "").trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const buf = Buffer.from(trimmed, "latin1");
    const args = splitInlineArgs(buf, 0, buf.length);
    if (args === null || args.length === 0) continue;
    const name = args[0].toLowerCase();
    if (name === "sentinel") {
      directives.push({ args: args.slice(1), file, line: i + 1, text: trimmed });
      lines[i] = "";
    } else if (BARE_MASTER_DIRECTIVES.has(name)) {
      directives.push({ args, file, line: i + 1, text: trimmed });
      lines[i] = "";
    }
  }
  return { serverText: lines.join("\n"), directives };
}

function yesno(v: string): boolean | null {
  const l = v.toLowerCase();
  return l === "yes" ? true : l === "no" ? false : null;
}

/** Applies queued directives in Redis's order; throws ConfigError on the first bad one. */
export function applySentinelDirectives(state: SentinelState, directives: SentinelDirective[]): void {
  const pre: SentinelDirective[] = [];
  const monitor: SentinelDirective[] = [];
  const post: SentinelDirective[] = [];
  for (const d of directives) {
    const name = (d.args[0] ?? "").toLowerCase();
    if (PRE_MONITOR.has(name)) pre.push(d);
    else if (name === "monitor") monitor.push(d);
    else post.push(d);
  }
  for (const d of [...pre, ...monitor, ...post]) {
    const err = handleConfiguration(state, d.args);
    if (err !== null) throw new ConfigError(err, d.file, d.line, d.text);
  }
}

/** Directives whose third word is an instance's address. */
const ADDRESS_DIRECTIVES = new Set(["monitor", "known-replica", "known-slave", "known-sentinel"]);

/**
 * With `resolve-hostnames yes`, looks up the hostnames the directives name before they are
 * applied (Redis resolves each while reading it, blocking), so applying stays synchronous.
 */
export async function resolveConfigHosts(
  state: SentinelState,
  directives: SentinelDirective[],
): Promise<void> {
  const enabled = directives.some(
    (d) => d.args[0]?.toLowerCase() === "resolve-hostnames" && d.args[1]?.toLowerCase() === "yes",
  );
  if (!enabled) return;
  const hosts = new Set<string>();
  for (const d of directives) {
    const host = d.args[2];
    if (ADDRESS_DIRECTIVES.has(d.args[0]?.toLowerCase()) && host !== undefined && isIP(host) === 0)
      hosts.add(host);
  }
  await Promise.all([...hosts].map((h) => state.resolver.resolve(h)));
}

function masterOrError(state: SentinelState, name: string): Instance | string {
  return state.masters.get(name) ?? "No such master with specified name.";
}

/** sentinelHandleConfiguration: one directive; returns the error text or null. */
export function handleConfiguration(state: SentinelState, argv: string[]): string | null {
  const argc = argv.length;
  const name = (argv[0] ?? "").toLowerCase();
  const num = (s: string) => (/^-?\d+$/.test(s) ? Number(s) : Number.NaN);
  const withMaster = (n: number, fn: (m: Instance) => string | null): string | null => {
    if (argc !== n) return "Wrong number of arguments";
    const m = masterOrError(state, argv[1]);
    return typeof m === "string" ? m : fn(m);
  };
  switch (name) {
    case "monitor": {
      if (argc !== 5) return "Wrong number of arguments";
      const quorum = num(argv[4]);
      if (!(quorum > 0)) return "Quorum must be 1 or greater.";
      const ri = createInstance(state, argv[1], SRI_MASTER, argv[2], num(argv[3]), quorum, null);
      return typeof ri === "string" ? ri : null;
    }
    case "down-after-milliseconds":
      return withMaster(3, (m) => {
        const v = num(argv[2]);
        if (!(v > 0)) return "negative or zero time parameter.";
        m.downAfterPeriod = v;
        for (const r of m.slaves.values()) r.downAfterPeriod = v;
        for (const r of m.sentinels.values()) r.downAfterPeriod = v;
        return null;
      });
    case "failover-timeout":
      return withMaster(3, (m) => {
        const v = num(argv[2]);
        if (!(v > 0)) return "negative or zero time parameter.";
        m.failoverTimeout = v;
        return null;
      });
    case "parallel-syncs":
      return withMaster(3, (m) => {
        const v = num(argv[2]);
        if (!(v >= 0)) return "Invalid parallel-syncs value";
        m.parallelSyncs = v;
        return null;
      });
    case "notification-script":
    case "client-reconfig-script":
      return withMaster(3, (m) => {
        try {
          accessSync(argv[2], constants.X_OK);
        } catch {
          return `${name === "notification-script" ? "Notification" : "Client reconfiguration"} script seems non existing or non executable.`;
        }
        if (name === "notification-script") m.notificationScript = argv[2];
        else m.clientReconfigScript = argv[2];
        return null;
      });
    case "auth-pass":
      return withMaster(3, (m) => {
        m.authPass = argv[2];
        return null;
      });
    case "auth-user":
      return withMaster(3, (m) => {
        m.authUser = argv[2];
        return null;
      });
    case "master-reboot-down-after-period":
      return withMaster(3, (m) => {
        const v = num(argv[2]);
        if (!(v >= 0)) return "negative time parameter.";
        m.masterRebootDownAfterPeriod = v;
        return null;
      });
    case "current-epoch": {
      if (argc !== 2) return "Wrong number of arguments";
      const v = Number(argv[1]);
      if (!Number.isSafeInteger(v) || v < 0) return "Invalid current-epoch";
      if (v > state.currentEpoch) state.currentEpoch = v;
      return null;
    }
    case "myid":
      if (argc !== 2) return "Wrong number of arguments";
      if (argv[1].length !== 40) return "Malformed Sentinel id in myid option.";
      state.myid = argv[1];
      return null;
    case "config-epoch":
      return withMaster(3, (m) => {
        m.configEpoch = Number(argv[2]) || 0;
        // A config epoch greater than the current epoch is impossible: fix it up.
        if (m.configEpoch > state.currentEpoch) state.currentEpoch = m.configEpoch;
        return null;
      });
    case "leader-epoch":
      return withMaster(3, (m) => {
        m.leaderEpoch = Number(argv[2]) || 0;
        return null;
      });
    case "known-slave":
    case "known-replica":
      return withMaster(4, (m) => {
        const ri = createInstance(state, null, SRI_SLAVE, argv[2], num(argv[3]), m.quorum, m);
        return typeof ri === "string" ? ri : null;
      });
    case "known-sentinel": {
      if (argc !== 4 && argc !== 5) return "Wrong number of arguments";
      const m = masterOrError(state, argv[1]);
      if (typeof m === "string") return m;
      const runid = argc === 5 ? argv[4] : null;
      if (runid === null) return null; // Old configs without runid: rediscovered through hello.
      const ri = createInstance(state, runid, SRI_SENTINEL, argv[2], num(argv[3]), m.quorum, m);
      if (typeof ri === "string") return ri;
      ri.runid = runid;
      return null;
    }
    case "rename-command":
      return withMaster(4, (m) => {
        m.renamedCommands.set(argv[2].toLowerCase(), argv[3]);
        return null;
      });
    case "announce-ip":
      if (argc !== 2) return "Wrong number of arguments";
      state.announceIp = argv[1];
      return null;
    case "announce-port": {
      if (argc !== 2) return "Wrong number of arguments";
      const v = num(argv[1]);
      if (!(v >= 0 && v <= 65535)) return "Invalid port";
      state.announcePort = v;
      return null;
    }
    case "deny-scripts-reconfig":
    case "resolve-hostnames":
    case "announce-hostnames": {
      if (argc !== 2) return "Wrong number of arguments";
      const v = yesno(argv[1]);
      if (v === null) return `Please specify yes or no for the ${name} option.`;
      if (name === "deny-scripts-reconfig") state.denyScriptsReconfig = v;
      else if (name === "resolve-hostnames") state.resolveHostnames = v;
      else state.announceHostnames = v;
      return null;
    }
    case "sentinel-user":
      if (argc !== 2) return "Wrong number of arguments";
      state.sentinelAuthUser = argv[1];
      return null;
    case "sentinel-pass":
      if (argc !== 2) return "Wrong number of arguments";
      state.sentinelAuthPass = argv[1];
      return null;
    default:
      return "Unrecognized sentinel configuration statement.";
  }
}

/** sdscatrepr-style quoting, only when the value needs it. */
export function quoteIfNeeded(v: string): string {
  if (v !== "" && /^[!-~]+$/.test(v) && !/["'\\]/.test(v)) return v;
  return `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\r/g, "\\r")}"`;
}

/** The `sentinel ...` lines describing the current state (rewriteConfigSentinelOption). */
export function sentinelConfigLines(state: SentinelState): string[] {
  const t = state.timings;
  const out: string[] = [`sentinel myid ${state.myid}`];
  if (!state.denyScriptsReconfig) out.push("sentinel deny-scripts-reconfig no");
  if (state.resolveHostnames) out.push("sentinel resolve-hostnames yes");
  if (state.announceHostnames) out.push("sentinel announce-hostnames yes");
  for (const m of state.masters.values()) {
    const n = m.name;
    // Once reconfiguration began the promoted replica is the master: a restart mid-failover
    // must come back pointing at it (the config epoch saved below already belongs to it).
    const masterAddr = currentMasterAddress(m);
    out.push(`sentinel monitor ${n} ${announceAddr(state, masterAddr)} ${masterAddr.port} ${m.quorum}`);
    if (m.downAfterPeriod !== t.defaultDownAfter)
      out.push(`sentinel down-after-milliseconds ${n} ${m.downAfterPeriod}`);
    if (m.failoverTimeout !== t.defaultFailoverTimeout)
      out.push(`sentinel failover-timeout ${n} ${m.failoverTimeout}`);
    if (m.parallelSyncs !== 1) out.push(`sentinel parallel-syncs ${n} ${m.parallelSyncs}`);
    if (m.notificationScript !== null)
      out.push(`sentinel notification-script ${n} ${quoteIfNeeded(m.notificationScript)}`);
    if (m.clientReconfigScript !== null) {
      out.push(`sentinel client-reconfig-script ${n} ${quoteIfNeeded(m.clientReconfigScript)}`);
    }
    if (m.authPass !== null) out.push(`sentinel auth-pass ${n} ${quoteIfNeeded(m.authPass)}`);
    if (m.authUser !== null) out.push(`sentinel auth-user ${n} ${quoteIfNeeded(m.authUser)}`);
    if (m.masterRebootDownAfterPeriod !== 0) {
      out.push(`sentinel master-reboot-down-after-period ${n} ${m.masterRebootDownAfterPeriod}`);
    }
    out.push(`sentinel config-epoch ${n} ${m.configEpoch}`);
    out.push(`sentinel leader-epoch ${n} ${m.leaderEpoch}`);
    for (const r of m.slaves.values()) {
      // The promoted replica is listed as the monitored master above: the old master takes its
      // place among the replicas, so a restart still knows every instance.
      const a = addrEquals(r.addr, masterAddr.ip, masterAddr.port) ? m.addr : r.addr;
      out.push(`sentinel known-replica ${n} ${announceAddr(state, a)} ${a.port}`);
    }
    for (const [orig, renamed] of m.renamedCommands)
      out.push(`sentinel rename-command ${n} ${orig} ${renamed}`);
    for (const si of m.sentinels.values()) {
      if (si.runid === null || si.addr.port === 0) continue;
      out.push(`sentinel known-sentinel ${n} ${announceAddr(state, si.addr)} ${si.addr.port} ${si.runid}`);
    }
  }
  out.push(`sentinel current-epoch ${state.currentEpoch}`);
  if (state.announceIp !== "") out.push(`sentinel announce-ip ${quoteIfNeeded(state.announceIp)}`);
  if (state.announcePort !== 0) out.push(`sentinel announce-port ${state.announcePort}`);
  if (state.sentinelAuthUser !== "")
    out.push(`sentinel sentinel-user ${quoteIfNeeded(state.sentinelAuthUser)}`);
  if (state.sentinelAuthPass !== "")
    out.push(`sentinel sentinel-pass ${quoteIfNeeded(state.sentinelAuthPass)}`);
  return out;
}

/**
 * sentinelFlushConfig: rewrites `path` with the current state. Throws on I/O errors (the
 * caller logs them; Redis logs "WARNING: Sentinel was not able to save the new configuration
 * on disk!!!").
 */
export function writeSentinelConfig(
  path: string,
  state: SentinelState,
  config: Config,
  boundPort: number,
  users: string[] | null = null,
): void {
  const old = readConfigText(path);
  const desired = new Map<string, string[]>();
  if (users !== null) desired.set("user", users);
  desired.set("sentinel", sentinelConfigLines(state));
  desired.set("port", [`port ${boundPort || config.num("port")}`]);
  const text = rewriteConfigText(old, desired, (args) => {
    const name = args[0].toLowerCase();
    if (name === "sentinel" || BARE_MASTER_DIRECTIVES.has(name)) return "sentinel";
    if (name === "port") return "port";
    if (name === "user" && users !== null) return "user";
    return null;
  });
  writeFileAtomically(path, text);
}
