/**
 * The SENTINEL command and its subcommands (sentinel.c sentinelCommand,
 * addReplySentinelRedisInstance, sentinelSetCommand, sentinelConfigGetCommand/SetCommand,
 * sentinelPendingScriptsCommand, sentinelInfoCache...), with Redis's field names, value formats
 * (every numeric field is a bulk string, as addReplyBulkLongLong writes it) and error texts.
 *
 * Handlers are synchronous and reply through `c.out`; they reach the Sentinel context bound to
 * their server with `bindSentinel`. Arity and unknown-subcommand errors come from the command
 * table (`sentinel|<sub>` entries), as in Redis 7.0.
 *
 * Registered by mode.ts when it builds the Sentinel-mode server.
 */

import { isIP } from "node:net";
import { type Client, type CommandSpec, container, globMatch, type Server, spec } from "@keyhaven/server";
import { handleConfiguration } from "./config.js";
import { startFailover, voteLeader } from "./election.js";
import { type Sentinel, sentinelEvent } from "./events.js";
import { RESET_GENERATE_EVENT, resetMaster, selectSlave } from "./failover.js";
import {
  createInstance,
  currentMasterAddress,
  findByAddrAndRunid,
  type Instance,
  releaseInstance,
  SIMFAILURE_CRASH_AFTER_ELECTION,
  SIMFAILURE_CRASH_AFTER_PROMOTION,
  SRI_FAILOVER_IN_PROGRESS,
  SRI_FORCE_FAILOVER,
  SRI_MASTER,
  SRI_O_DOWN,
  SRI_S_DOWN,
  SRI_SENTINEL,
  SRI_SLAVE,
  type Timings,
} from "./instance.js";

const contexts = new WeakMap<Server, Sentinel>();

export function bindSentinel(s: Sentinel): void {
  contexts.set(s.server, s);
}

function ctx(c: Client): Sentinel {
  return contexts.get(c.server)!;
}

const NO_SUCH_MASTER = "ERR No such master with that name";

function masterOrReply(c: Client, name: string): Instance | null {
  const ri = ctx(c).state.masters.get(name);
  if (ri === undefined) {
    c.error(NO_SUCH_MASTER);
    return null;
  }
  return ri;
}

/** addReplySentinelRedisInstance: one instance as a map of Redis's fields. */
function replyInstance(c: Client, ri: Instance): void {
  const now = Date.now();
  const link = ri.link;
  const f: [string, string][] = [
    ["name", ri.name],
    ["ip", ri.addr.ip],
    ["port", String(ri.addr.port)],
    ["runid", ri.runid ?? ""],
    ["flags", ri.flagsString()],
    ["link-pending-commands", String(link.pendingCommands)],
    ["link-refcount", "1"],
    ["last-ping-sent", String(link.actPingTime !== 0 ? now - link.actPingTime : 0)],
    ["last-ok-ping-reply", String(now - link.lastAvailTime)],
    ["last-ping-reply", String(now - link.lastPongTime)],
  ];
  if (ri.has(SRI_S_DOWN)) f.push(["s-down-time", String(now - ri.sDownSinceTime)]);
  if (ri.has(SRI_O_DOWN)) f.push(["o-down-time", String(now - ri.oDownSinceTime)]);
  f.push(["down-after-milliseconds", String(ri.downAfterPeriod)]);
  if (ri.has(SRI_MASTER | SRI_SLAVE)) {
    f.push(["info-refresh", String(ri.infoRefresh !== 0 ? now - ri.infoRefresh : 0)]);
    f.push(["role-reported", ri.roleReported === SRI_MASTER ? "master" : "slave"]);
    f.push(["role-reported-time", String(now - ri.roleReportedTime)]);
  }
  if (ri.has(SRI_MASTER)) {
    f.push(["config-epoch", String(ri.configEpoch)]);
    f.push(["num-slaves", String(ri.slaves.size)]);
    f.push(["num-other-sentinels", String(ri.sentinels.size)]);
    f.push(["quorum", String(ri.quorum)]);
    f.push(["failover-timeout", String(ri.failoverTimeout)]);
    f.push(["parallel-syncs", String(ri.parallelSyncs)]);
    if (ri.notificationScript !== null) f.push(["notification-script", ri.notificationScript]);
    if (ri.clientReconfigScript !== null) f.push(["client-reconfig-script", ri.clientReconfigScript]);
  }
  if (ri.has(SRI_SLAVE)) {
    f.push(["master-link-down-time", String(ri.masterLinkDownTime)]);
    f.push(["master-link-status", ri.slaveMasterLinkStatus === 0 ? "ok" : "err"]);
    f.push(["master-host", ri.slaveMasterHost ?? "?"]);
    f.push(["master-port", String(ri.slaveMasterPort)]);
    f.push(["slave-priority", String(ri.slavePriority)]);
    f.push(["slave-repl-offset", String(ri.slaveReplOffset)]);
    f.push(["replica-announced", String(ri.replicaAnnounced)]);
  }
  if (ri.has(SRI_SENTINEL)) {
    f.push(["last-hello-message", String(now - ri.lastHelloTime)]);
    f.push(["voted-leader", ri.leader ?? "?"]);
    f.push(["voted-leader-epoch", String(ri.leaderEpoch)]);
  }
  c.out.mapHeader(f.length);
  for (const [k, v] of f) {
    c.out.bulk(k);
    c.out.bulk(v);
  }
}

function replyInstances(c: Client, instances: Iterable<Instance>, count: number): void {
  c.out.arrayHeader(count);
  for (const ri of instances) replyInstance(c, ri);
}

function mastersCommand(c: Client): void {
  const masters = ctx(c).state.masters;
  replyInstances(c, masters.values(), masters.size);
}

function masterCommand(c: Client): void {
  const ri = masterOrReply(c, c.argv[2]);
  if (ri !== null) replyInstance(c, ri);
}

function replicasCommand(c: Client): void {
  const ri = masterOrReply(c, c.argv[2]);
  if (ri !== null) replyInstances(c, ri.slaves.values(), ri.slaves.size);
}

function sentinelsCommand(c: Client): void {
  const ri = masterOrReply(c, c.argv[2]);
  if (ri !== null) replyInstances(c, ri.sentinels.values(), ri.sentinels.size);
}

function getMasterAddrByNameCommand(c: Client): void {
  const ri = ctx(c).state.masters.get(c.argv[2]);
  if (ri === undefined) {
    c.out.nullArray();
    return;
  }
  const addr = currentMasterAddress(ri);
  c.out.arrayHeader(2);
  c.out.bulk(addr.ip);
  c.out.bulk(String(addr.port));
}

function integerArg(c: Client, v: string): number | null {
  if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(Number(v))) {
    c.error("ERR value is not an integer or out of range");
    return null;
  }
  return Number(v);
}

/**
 * SENTINEL IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>: our SDOWN opinion of
 * that master (always 0 in TILT), and our vote when `runid` is not "*".
 */
function isMasterDownByAddrCommand(c: Client): void {
  const s = ctx(c);
  const argv = c.argv;
  const port = integerArg(c, argv[3]);
  if (port === null) return;
  const reqEpoch = integerArg(c, argv[4]);
  if (reqEpoch === null) return;
  const ri = findByAddrAndRunid(s.state.masters, argv[2], port, null);
  const isDown = !s.state.tilt && ri !== undefined && ri.has(SRI_S_DOWN) && ri.has(SRI_MASTER);
  let leader: string | null = null;
  let leaderEpoch = 0;
  if (ri?.has(SRI_MASTER) && argv[5] !== "*") {
    const vote = voteLeader(s, ri, reqEpoch, argv[5]);
    leader = vote.leader;
    leaderEpoch = vote.epoch;
  }
  c.out.arrayHeader(3);
  c.out.integer(isDown ? 1 : 0);
  c.out.bulk(leader ?? "*");
  c.out.integer(leaderEpoch);
}

function resetCommand(c: Client): void {
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

function failoverCommand(c: Client): void {
  const s = ctx(c);
  const ri = masterOrReply(c, c.argv[2]);
  if (ri === null) return;
  if (ri.has(SRI_FAILOVER_IN_PROGRESS)) {
    c.error("INPROG Failover already in progress");
    return;
  }
  if (selectSlave(s, ri) === null) {
    c.error("NOGOODSLAVE No suitable replica to promote");
    return;
  }
  s.server.logger.warning(`Executing user requested FAILOVER of '${ri.name}'`);
  startFailover(s, ri);
  ri.flags |= SRI_FORCE_FAILOVER;
  c.out.simple("OK");
}

/** sentinelIsQuorumReachable + the CKQUORUM reply texts. */
function ckquorumCommand(c: Client): void {
  const ri = masterOrReply(c, c.argv[2]);
  if (ri === null) return;
  let usable = 1;
  const voters = ri.sentinels.size + 1;
  for (const si of ri.sentinels.values()) if (!si.has(SRI_S_DOWN | SRI_O_DOWN)) usable++;
  const noQuorum = usable < ri.quorum;
  const noAuth = usable < Math.floor(voters / 2) + 1;
  if (!noQuorum && !noAuth) {
    c.out.simple(`OK ${usable} usable Sentinels. Quorum and failover authorization can be reached`);
    return;
  }
  let e = `NOQUORUM ${usable} usable Sentinels. `;
  if (noQuorum) e += "Not enough available Sentinels to reach the specified quorum for this master";
  if (noAuth) {
    if (noQuorum) e += ". ";
    e += "Not enough available Sentinels to reach the majority and authorize a failover";
  }
  c.error(e);
}

function flushconfigCommand(c: Client): void {
  ctx(c).flushConfig();
  c.out.simple("OK");
}

function monitorCommand(c: Client): void {
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
  if (!s.state.resolveHostnames && isIP(argv[3]) === 0) {
    c.error("ERR Invalid IP address or hostname specified");
    return;
  }
  const ri = createInstance(s.state, argv[2], SRI_MASTER, argv[3], port, quorum, null);
  if (typeof ri === "string") {
    c.error(`ERR ${ri}`);
    return;
  }
  s.flushConfig();
  sentinelEvent(s, "warning", "+monitor", ri, ` quorum ${ri.quorum}`);
  c.out.simple("OK");
}

function removeCommand(c: Client): void {
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
function setCommand(c: Client): void {
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

/** SENTINEL CONFIG GET <pattern> | SET <name> <value> */
function configCommand(c: Client): void {
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

function myidCommand(c: Client): void {
  c.out.bulk(ctx(c).state.myid);
}

/** SENTINEL INFO-CACHE <master> [...]: the last INFO of each master and its replicas, with age. */
function infoCacheCommand(c: Client): void {
  const s = ctx(c);
  const masters: Instance[] = [];
  for (const name of c.argv.slice(2)) {
    const ri = s.state.masters.get(name);
    if (ri !== undefined) masters.push(ri);
  }
  const now = Date.now();
  const one = (ri: Instance) => {
    c.out.arrayHeader(2);
    c.out.integer(ri.infoRefresh !== 0 ? now - ri.infoRefresh : 0);
    if (ri.info !== null) c.out.bulk(ri.info);
    else c.out.nullBulk();
  };
  c.out.arrayHeader(masters.length * 2);
  for (const ri of masters) {
    c.out.bulk(ri.name);
    c.out.arrayHeader(ri.slaves.size + 1);
    one(ri);
    for (const r of ri.slaves.values()) one(r);
  }
}

function simulateFailureCommand(c: Client): void {
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

/** SENTINEL DEBUG [<param> <value> ...]: shows or changes the timing constants. */
function debugCommand(c: Client): void {
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

function pendingScriptsCommand(c: Client): void {
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

const HELP = [
  "SENTINEL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CKQUORUM <master-name>",
  "    Check if the current Sentinel configuration is able to reach the quorum needed",
  "    to failover a master and the majority needed to authorize the failover.",
  "CONFIG SET <param> <value>",
  "    Set a global Sentinel configuration parameter.",
  "CONFIG GET <param>",
  "    Get global Sentinel configuration parameter.",
  "DEBUG [<param> <value> ...]",
  "    Show a list of configurable time parameters and their values (milliseconds).",
  "    Or update current configurable parameters values (one or more).",
  "GET-MASTER-ADDR-BY-NAME <master-name>",
  "    Return the ip and port number of the master with that name.",
  "FAILOVER <master-name>",
  "    Manually failover a master node without asking for agreement from other",
  "    Sentinels",
  "FLUSHCONFIG",
  "    Force Sentinel to rewrite its configuration on disk, including the current",
  "    Sentinel state.",
  "INFO-CACHE <master-name>",
  "    Return last cached INFO output from masters and all its replicas.",
  "IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>",
  "    Check if the master specified by ip:port is down from current Sentinel's",
  "    point of view.",
  "MASTER <master-name>",
  "    Show the state and info of the specified master.",
  "MASTERS",
  "    Show a list of monitored masters and their state.",
  "MONITOR <name> <ip> <port> <quorum>",
  "    Start monitoring a new master with the specified name, ip, port and quorum.",
  "MYID",
  "    Return the ID of the Sentinel instance.",
  "PENDING-SCRIPTS",
  "    Get pending scripts information.",
  "REMOVE <master-name>",
  "    Remove master from Sentinel's monitor list.",
  "REPLICAS <master-name>",
  "    Show a list of replicas for this master and their state.",
  "RESET <pattern>",
  "    Reset masters for specific master name matching this pattern.",
  "SENTINELS <master-name>",
  "    Show a list of Sentinel instances for this master and their state.",
  "SET <master-name> <option> <value> [<option> <value> ...]",
  "    Set configuration parameters for certain masters.",
  "SIMULATE-FAILURE [CRASH-AFTER-ELECTION] [CRASH-AFTER-PROMOTION] [HELP]",
  "    Simulate a Sentinel crash.",
  "HELP",
  "    Print this help.",
];

function helpCommand(c: Client): void {
  c.out.arrayHeader(HELP.length);
  for (const l of HELP) c.out.simple(l);
}

const F = "admin sentinel only_sentinel";
const sub = (name: string, arity: number, handler: (c: Client) => void, summary: string) =>
  spec(name, arity, F, [0, 0, 0], "sentinel", summary, "2.8.4", handler);

export const sentinelCommands = [
  container("sentinel", -2, "sentinel", "A container for Sentinel commands.", "2.8.4", [
    sub("ckquorum", 3, ckquorumCommand, "Checks for a Redis Sentinel quorum."),
    sub("config", -4, configCommand, "Configures Redis Sentinel."),
    sub("debug", -2, debugCommand, "Lists or updates the current configurable parameters of Redis Sentinel."),
    sub("failover", 3, failoverCommand, "Forces a Redis Sentinel failover."),
    sub("flushconfig", 2, flushconfigCommand, "Rewrites the Redis Sentinel configuration file."),
    sub(
      "get-master-addr-by-name",
      3,
      getMasterAddrByNameCommand,
      "Returns the port and address of a master Redis instance.",
    ),
    sub("help", 2, helpCommand, "Returns helpful text about the different subcommands."),
    sub(
      "info-cache",
      -3,
      infoCacheCommand,
      "Returns the cached INFO replies from the deployment's instances.",
    ),
    sub(
      "is-master-down-by-addr",
      6,
      isMasterDownByAddrCommand,
      "Determines whether a master Redis instance is down.",
    ),
    sub("master", 3, masterCommand, "Returns the state of a master Redis instance."),
    sub("masters", 2, mastersCommand, "Returns a list of monitored Redis masters."),
    sub("monitor", 6, monitorCommand, "Starts monitoring."),
    sub("myid", 2, myidCommand, "Returns the Redis Sentinel instance ID."),
    sub(
      "pending-scripts",
      2,
      pendingScriptsCommand,
      "Returns information about pending scripts for Redis Sentinel.",
    ),
    sub("remove", 3, removeCommand, "Stops monitoring."),
    sub("replicas", 3, replicasCommand, "Returns a list of the monitored Redis replicas."),
    sub("reset", 3, resetCommand, "Resets Redis masters by name matching a pattern."),
    sub("sentinels", 3, sentinelsCommand, "Returns a list of Sentinel instances."),
    sub("set", -5, setCommand, "Changes the configuration of a monitored Redis master."),
    sub("simulate-failure", -3, simulateFailureCommand, "Simulates failover scenarios."),
    sub("slaves", 3, replicasCommand, "Returns a list of the monitored replicas."),
  ]),
] satisfies CommandSpec[];
