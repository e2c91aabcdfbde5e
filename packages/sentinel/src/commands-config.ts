/**
 * SENTINEL subcommands that change the configuration or the process's tunables (sentinel.c
 * sentinelCommand's MONITOR, REMOVE, SET, RESET, FLUSHCONFIG, CONFIG, DEBUG, SIMULATE-FAILURE and
 * PENDING-SCRIPTS branches), with Redis's error texts. Every accepted change is written to the
 * config file (flushConfig) and, where Redis does, published as an event (+monitor, -monitor,
 * +set, +reset-master).
 *
 * Registered through the table in commands.ts.
 */

import { isIP } from "node:net";
import { type Client, globMatch } from "@keyhaven/server";
import { ctx, masterOrReply } from "./command-context.js";
import { handleConfiguration } from "./config.js";
import { type Sentinel, sentinelEvent } from "./events.js";
import { RESET_GENERATE_EVENT, resetMaster } from "./failover.js";
import {
  createInstance,
  releaseInstance,
  SIMFAILURE_CRASH_AFTER_ELECTION,
  SIMFAILURE_CRASH_AFTER_PROMOTION,
  SRI_MASTER,
  type Timings,
} from "./instance.js";

const CONFIG_PARAMS = [
  "resolve-hostnames",
  "announce-hostnames",
  "announce-ip",
  "announce-port",
  "sentinel-user",
  "sentinel-pass",
] as const;

function configParamValue(s: Sentinel, name: (typeof CONFIG_PARAMS)[number]): string {
  const st = s.state;
  switch (name) {
    case "resolve-hostnames":
      return st.resolveHostnames ? "yes" : "no";
    case "announce-hostnames":
      return st.announceHostnames ? "yes" : "no";
    case "announce-ip":
      return st.announceIp;
    case "announce-port":
      return String(st.announcePort);
    case "sentinel-user":
      return st.sentinelAuthUser;
    case "sentinel-pass":
      return st.sentinelAuthPass;
  }
}

const DEBUG_PARAMS: [string, keyof Timings][] = [
  ["info-period", "infoPeriod"],
  ["ping-period", "pingPeriod"],
  ["ask-period", "askPeriod"],
  ["publish-period", "publishPeriod"],
  ["default-down-after", "defaultDownAfter"],
  ["default-failover-timeout", "defaultFailoverTimeout"],
  ["tilt-trigger", "tiltTrigger"],
  ["tilt-period", "tiltPeriod"],
  ["slave-reconf-timeout", "slaveReconfTimeout"],
  ["min-link-reconnect-period", "minLinkReconnectPeriod"],
  ["election-timeout", "electionTimeout"],
  ["script-max-runtime", "scriptMaxRuntime"],
  ["script-retry-delay", "scriptRetryDelay"],
];

export function resetCommand(c: Client): void {
  const s = ctx(c);
  let reset = 0;
  for (const ri of s.state.masters.values()) {
    if (ri.name !== "" && globMatch(c.argv[2], ri.name)) {
      resetMaster(s, ri, RESET_GENERATE_EVENT);
      reset++;
    }
  }
  if (reset > 0) s.flushConfig();
  c.out.integer(reset);
}

export function flushconfigCommand(c: Client): void {
  ctx(c).flushConfig();
  c.out.simple("OK");
}

export function monitorCommand(c: Client): void {
  const s = ctx(c);
  const argv = c.argv;
  const quorum = /^-?\d+$/.test(argv[5]) ? Number(argv[5]) : Number.NaN;
  if (Number.isNaN(quorum)) {
    c.error("ERR Invalid quorum");
    return;
  }
  if (quorum <= 0) {
    c.error("ERR Quorum must be 1 or greater.");
    return;
  }
  const port = /^-?\d+$/.test(argv[4]) ? Number(argv[4]) : Number.NaN;
  if (Number.isNaN(port)) {
    c.error("ERR Invalid port");
    return;
  }
  if (port <= 0 || port > 65535) {
    c.error("ERR Invalid port number.");
    return;
  }
  const host = argv[3];
  if (isIP(host) === 0 && !s.state.resolveHostnames) {
    c.error(INVALID_HOST);
    return;
  }
  if (isIP(host) !== 0 || s.state.resolver.cached(host) !== undefined) {
    addMonitoredMaster(c, s, argv[2], host, port, quorum);
    return;
  }
  // Redis resolves here with a blocking getaddrinfo; only this client waits for ours.
  let done = false;
  void s.state.resolver.resolve(host).then(() => {
    done = true;
    c.server.scheduleBeforeSleep();
  });
  c.server.blocking.blockGeneric(
    c,
    0,
    (x) => {
      if (done) addMonitoredMaster(x, s, argv[2], host, port, quorum);
      return done;
    },
    (x) => x.error(INVALID_HOST),
  );
}

const INVALID_HOST = "ERR Invalid IP address or hostname specified";

/** The end of SENTINEL MONITOR, once `host` is an IP or a resolved (or unresolvable) name. */
function addMonitoredMaster(
  c: Client,
  s: Sentinel,
  name: string,
  host: string,
  port: number,
  quorum: number,
): void {
  if (isIP(host) === 0 && !s.state.resolver.cached(host)) {
    c.error(INVALID_HOST);
    return;
  }
  const ri = createInstance(s.state, name, SRI_MASTER, host, port, quorum, null);
  if (typeof ri === "string") {
    c.error(`ERR ${ri}`);
    return;
  }
  s.flushConfig();
  sentinelEvent(s, "warning", "+monitor", ri, ` quorum ${ri.quorum}`);
  c.out.simple("OK");
}

export function removeCommand(c: Client): void {
  const s = ctx(c);
  const ri = masterOrReply(c, c.argv[2]);
  if (ri === null) return;
  sentinelEvent(s, "warning", "-monitor", ri, "");
  releaseInstance(ri);
  s.state.masters.delete(ri.name);
  s.flushConfig();
  c.out.simple("OK");
}

/** SENTINEL SET <master> <option> <value> [<option> <value> ...] */
export function setCommand(c: Client): void {
  const s = ctx(c);
  const argv = c.argv;
  const ri = masterOrReply(c, argv[2]);
  if (ri === null) return;
  const events: string[] = [];
  let changed = false;
  for (let j = 3; j < argv.length; j++) {
    const option = argv[j];
    const opt = option.toLowerCase();
    const moreargs = argv.length - 1 - j;
    const badArg = (k: number) => c.error(`ERR Invalid argument '${argv[k]}' for SENTINEL SET '${option}'`);
    const positive = (k: number, allowZero = false): number | null => {
      const v = /^-?\d+$/.test(argv[k]) ? Number(argv[k]) : Number.NaN;
      if (Number.isNaN(v) || v < 0 || (!allowZero && v === 0)) {
        badArg(k);
        return null;
      }
      return v;
    };
    if (
      (opt === "down-after-milliseconds" ||
        opt === "failover-timeout" ||
        opt === "parallel-syncs" ||
        opt === "quorum" ||
        opt === "master-reboot-down-after-period") &&
      moreargs > 0
    ) {
      const v = positive(++j, opt === "master-reboot-down-after-period");
      if (v === null) break;
      if (opt === "down-after-milliseconds") {
        ri.downAfterPeriod = v;
        for (const r of ri.slaves.values()) r.downAfterPeriod = v;
        for (const r of ri.sentinels.values()) r.downAfterPeriod = v;
      } else if (opt === "failover-timeout") ri.failoverTimeout = v;
      else if (opt === "parallel-syncs") ri.parallelSyncs = v;
      else if (opt === "quorum") ri.quorum = v;
      else ri.masterRebootDownAfterPeriod = v;
      events.push(`${opt} ${v}`);
    } else if ((opt === "notification-script" || opt === "client-reconfig-script") && moreargs > 0) {
      const value = argv[++j];
      if (s.state.denyScriptsReconfig) {
        c.error(
          "ERR Reconfiguration of scripts path is denied for security reasons. Check the deny-scripts-reconfig configuration directive in your Sentinel configuration",
        );
        break;
      }
      if (value !== "" && handleConfiguration(s.state, [opt, ri.name, value]) !== null) {
        c.error(
          `ERR ${opt === "notification-script" ? "Notification" : "Client reconfiguration"} script seems non existing or non executable`,
        );
        break;
      }
      if (value === "") {
        if (opt === "notification-script") ri.notificationScript = null;
        else ri.clientReconfigScript = null;
      }
      events.push(`${opt} ${value}`);
    } else if ((opt === "auth-pass" || opt === "auth-user") && moreargs > 0) {
      const value = argv[++j];
      if (opt === "auth-pass") ri.authPass = value === "" ? null : value;
      else ri.authUser = value === "" ? null : value;
      // Reconnect with the new credentials.
      ri.link.closeAll();
      for (const r of ri.slaves.values()) r.link.closeAll();
      events.push(`${opt} ******`);
    } else if (opt === "rename-command" && moreargs > 1) {
      const from = argv[++j];
      const to = argv[++j];
      if (from.toLowerCase() === to.toLowerCase()) ri.renamedCommands.delete(from.toLowerCase());
      else ri.renamedCommands.set(from.toLowerCase(), to);
      events.push(`${opt} ${from} ${to}`);
    } else {
      c.error(`ERR Unknown option or number of arguments for SENTINEL SET '${option}'`);
      break;
    }
    changed = true;
  }
  if (changed) s.flushConfig();
  for (const e of events) sentinelEvent(s, "warning", "+set", ri, ` ${e}`);
  if (!c.failed) c.out.simple("OK");
}

/** SENTINEL CONFIG GET <pattern> | SET <name> <value> */
export function configCommand(c: Client): void {
  const s = ctx(c);
  const argv = c.argv;
  const sub = argv[2].toLowerCase();
  if (sub === "get" && argv.length === 4) {
    const matched = CONFIG_PARAMS.filter((p) => globMatch(argv[3], p, true));
    c.out.mapHeader(matched.length);
    for (const p of matched) {
      c.out.bulk(p);
      c.out.bulk(configParamValue(s, p));
    }
    return;
  }
  if (sub === "set" && argv.length === 5) {
    const name = argv[3].toLowerCase();
    const value = argv[4];
    if (!(CONFIG_PARAMS as readonly string[]).includes(name)) {
      c.error(`ERR Invalid argument '${argv[3]}' to SENTINEL CONFIG SET`);
      return;
    }
    const err = handleConfiguration(s.state, [name, value]);
    if (err !== null) {
      c.error(`ERR Invalid value '${value}' to SENTINEL CONFIG SET '${argv[3]}'`);
      return;
    }
    s.flushConfig();
    c.out.simple("OK");
    return;
  }
  c.error("ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.");
}

export function simulateFailureCommand(c: Client): void {
  const s = ctx(c);
  s.state.simFailureFlags = 0;
  for (const a of c.argv.slice(2)) {
    const l = a.toLowerCase();
    if (l === "crash-after-election") {
      s.state.simFailureFlags |= SIMFAILURE_CRASH_AFTER_ELECTION;
      s.server.logger.warning(
        "Failure simulation: this Sentinel will crash after being successfully elected as failover leader",
      );
    } else if (l === "crash-after-promotion") {
      s.state.simFailureFlags |= SIMFAILURE_CRASH_AFTER_PROMOTION;
      s.server.logger.warning(
        "Failure simulation: this Sentinel will crash after promoting the selected replica to master",
      );
    } else if (l === "help") {
      c.out.arrayHeader(2);
      c.out.bulk("crash-after-election");
      c.out.bulk("crash-after-promotion");
      return;
    } else {
      c.error("ERR Unknown failure simulation specified");
      return;
    }
  }
  c.out.simple("OK");
}

/** SENTINEL DEBUG [<param> <value> ...]: shows or changes the timing constants. */
export function debugCommand(c: Client): void {
  const t = ctx(c).state.timings;
  const argv = c.argv;
  if (argv.length === 2) {
    c.out.mapHeader(DEBUG_PARAMS.length);
    for (const [name, key] of DEBUG_PARAMS) {
      c.out.bulk(name.toUpperCase());
      c.out.bulk(String(t[key]));
    }
    return;
  }
  const updates: [keyof Timings, number][] = [];
  for (let j = 2; j < argv.length; j += 2) {
    const entry = DEBUG_PARAMS.find(([n]) => n === argv[j].toLowerCase());
    if (entry === undefined || j + 1 >= argv.length) {
      c.error(`ERR Unknown option or number of arguments for SENTINEL DEBUG '${argv[j]}'`);
      return;
    }
    const v = /^\d+$/.test(argv[j + 1]) ? Number(argv[j + 1]) : 0;
    if (v <= 0) {
      c.error(`ERR Invalid argument '${argv[j + 1] ?? ""}' for SENTINEL DEBUG '${argv[j]}'`);
      return;
    }
    updates.push([entry[1], v]);
  }
  for (const [k, v] of updates) t[k] = v;
  c.out.simple("OK");
}

export function pendingScriptsCommand(c: Client): void {
  const q = ctx(c).scripts;
  const now = Date.now();
  c.out.arrayHeader(q.jobs.length);
  for (const job of q.jobs) {
    c.out.mapHeader(5);
    c.out.bulk("argv");
    c.out.arrayHeader(job.argv.length);
    for (const a of job.argv) c.out.bulk(a);
    c.out.bulk("flags");
    c.out.bulk(job.running ? "running" : "scheduled");
    c.out.bulk("pid");
    c.out.bulk(String(job.pid));
    if (job.running) {
      c.out.bulk("run-time");
      c.out.bulk(String(now - job.startTime));
    } else {
      c.out.bulk("run-delay");
      c.out.bulk(String(job.startTime > now ? job.startTime - now : 0));
    }
    c.out.bulk("retry-num");
    c.out.bulk(String(job.retryNum));
  }
}
