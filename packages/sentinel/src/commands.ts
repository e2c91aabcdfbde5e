/**
 * The SENTINEL command and its subcommands (sentinel.c sentinelCommand,
 * addReplySentinelRedisInstance, sentinelSetCommand, sentinelConfigGetCommand/SetCommand,
 * sentinelPendingScriptsCommand, sentinelInfoCache...), with Redis's field names, value formats
 * (every numeric field is a bulk string, as addReplyBulkLongLong writes it) and error texts.
 *
 * Handlers are synchronous and reply through `c.out`; they reach the Sentinel context bound to
 * their server with `bindSentinel` (command-context.ts). Reconfiguration subcommands live in
 * commands-config.ts. Arity and unknown-subcommand errors come from the command
 * table (`sentinel|<sub>` entries), as in Redis 7.0.
 *
 * Registered by mode.ts when it builds the Sentinel-mode server.
 */

import { type Client, type CommandSpec, container, spec } from "@keyhaven/server";
import { bindSentinel, ctx, masterOrReply } from "./command-context.js";
import {
  configCommand,
  debugCommand,
  flushconfigCommand,
  monitorCommand,
  pendingScriptsCommand,
  removeCommand,
  resetCommand,
  setCommand,
  simulateFailureCommand,
} from "./commands-config.js";
import { startFailover, voteLeader } from "./election.js";
import { selectSlave } from "./failover.js";
import {
  announceAddr,
  currentMasterAddress,
  failoverStateName,
  findByAddrAndRunid,
  type Instance,
  SRI_FAILOVER_IN_PROGRESS,
  SRI_FORCE_FAILOVER,
  SRI_MASTER,
  SRI_O_DOWN,
  SRI_S_DOWN,
  SRI_SENTINEL,
  SRI_SLAVE,
} from "./instance.js";

export { bindSentinel };

/** addReplySentinelRedisInstance: one instance as a map of Redis's fields. */
function replyInstance(c: Client, ri: Instance): void {
  const now = Date.now();
  const link = ri.link;
  const f: [string, string][] = [
    ["name", ri.name],
    ["ip", announceAddr(ctx(c).state, ri.addr)],
    ["port", String(ri.addr.port)],
    ["runid", ri.runid ?? ""],
    ["flags", ri.flagsString()],
    ["link-pending-commands", String(link.pendingCommands)],
    ["link-refcount", "1"],
  ];
  if (ri.has(SRI_FAILOVER_IN_PROGRESS)) f.push(["failover-state", failoverStateName(ri.failoverState)]);
  f.push(
    ["last-ping-sent", String(link.actPingTime !== 0 ? now - link.actPingTime : 0)],
    ["last-ok-ping-reply", String(now - link.lastAvailTime)],
    ["last-ping-reply", String(now - link.lastPongTime)],
  );
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
  c.out.bulk(announceAddr(ctx(c).state, addr));
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
  const ri = findByAddrAndRunid(s.state.masters, argv[2], port, null, s.state);
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

const sentinelContainer = container(
  "sentinel",
  -2,
  "sentinel",
  "A container for Sentinel commands.",
  "2.8.4",
  [
    sub("ckquorum", 3, ckquorumCommand, "Checks for a Redis Sentinel quorum."),
    sub("config", -3, configCommand, "Configures Redis Sentinel."),
    sub("debug", -2, debugCommand, "Lists or updates the current configurable parameters of Redis Sentinel."),
    sub("failover", 3, failoverCommand, "Forces a Redis Sentinel failover."),
    sub("flushconfig", 2, flushconfigCommand, "Rewrites the Redis Sentinel configuration file."),
    sub(
      "get-master-addr-by-name",
      3,
      getMasterAddrByNameCommand,
      "Returns the port and address of a master Redis instance.",
    ),
    // Unlike its siblings, HELP is no admin command and is served while loading.
    spec(
      "help",
      2,
      "loading stale sentinel",
      [0, 0, 0],
      "sentinel",
      "Returns helpful text.",
      "6.2.0",
      helpCommand,
    ),
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
  ],
);

export const sentinelCommands: CommandSpec[] = [
  // Unlike other containers, Redis flags this one itself as an admin command.
  { ...sentinelContainer, flags: ["admin", "sentinel"], acl: ["admin", "slow", "dangerous"] },
];
