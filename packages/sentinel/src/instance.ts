/**
 * The records Sentinel keeps (sentinel.c `sentinelRedisInstance` and `struct sentinelState`):
 * one Instance per monitored master, per replica of a master and per other Sentinel watching
 * that master, plus the process-wide state (current epoch, myid, TILT, tunables).
 *
 * Invariants: a master owns its replicas and sentinels (keyed "ip:port" for replicas, runid for
 * Sentinels, as Redis keys them); a replica or Sentinel points back at its master. Every
 * instance owns exactly one InstanceLink (no link sharing between Sentinels with the same runid:
 * `link-refcount` is always 1). All times are Unix milliseconds (Redis's mstime()).
 *
 * Called by every other module of the package; it has no behaviour beyond construction,
 * lookup and formatting.
 */

import { randomBytes } from "node:crypto";
import { isIP } from "node:net";
import { InstanceLink } from "./link.js";
import { HostResolver } from "./resolve.js";

export const SRI_MASTER = 1 << 0;
export const SRI_SLAVE = 1 << 1;
export const SRI_SENTINEL = 1 << 2;
export const SRI_S_DOWN = 1 << 4;
export const SRI_O_DOWN = 1 << 5;
export const SRI_MASTER_DOWN = 1 << 6;
export const SRI_FAILOVER_IN_PROGRESS = 1 << 7;
export const SRI_PROMOTED = 1 << 8;
export const SRI_RECONF_SENT = 1 << 9;
export const SRI_RECONF_INPROG = 1 << 10;
export const SRI_RECONF_DONE = 1 << 11;
export const SRI_FORCE_FAILOVER = 1 << 12;
export const SRI_SCRIPT_KILL_SENT = 1 << 13;
export const SRI_MASTER_REBOOT = 1 << 14;

/**
 * Failover states (SENTINEL_FAILOVER_STATE_*):
 *
 *   NONE ─► WAIT_START ─► SELECT_SLAVE ─► SEND_SLAVEOF_NOONE ─► WAIT_PROMOTION
 *              │ (not elected)  │ (no good replica)    │ (timeout)       │ (timeout)
 *              └──── abort ◄────┴──────────────────────┴─────────────────┘
 *   WAIT_PROMOTION ─(INFO says role:master)─► RECONF_SLAVES ─► UPDATE_CONFIG ─► (switch) NONE
 */
export const FAILOVER_NONE = 0;
export const FAILOVER_WAIT_START = 1;
export const FAILOVER_SELECT_SLAVE = 2;
export const FAILOVER_SEND_SLAVEOF_NOONE = 3;
export const FAILOVER_WAIT_PROMOTION = 4;
export const FAILOVER_RECONF_SLAVES = 5;
export const FAILOVER_UPDATE_CONFIG = 6;

/** sentinelFailoverStateStr: the `failover-state` value of SENTINEL MASTER(S). */
export function failoverStateName(state: number): string {
  return (
    [
      "none",
      "wait_start",
      "select_slave",
      "send_slaveof_noone",
      "wait_promotion",
      "reconf_slaves",
      "update_config",
    ][state] ?? "unknown"
  );
}

export const MASTER_LINK_STATUS_UP = 0;
export const MASTER_LINK_STATUS_DOWN = 1;

export const DEFAULT_SLAVE_PRIORITY = 100;
export const DEFAULT_PARALLEL_SYNCS = 1;
/** Sentinels started together drift apart by up to this much before asking for votes. */
export const SENTINEL_MAX_DESYNC = 1000;

/**
 * Tunables that SENTINEL DEBUG may change at run time (sentinel.c keeps them as globals with
 * the SENTINEL_* defaults). Tests shorten TILT-PERIOD with it.
 */
export interface Timings {
  infoPeriod: number;
  pingPeriod: number;
  askPeriod: number;
  publishPeriod: number;
  defaultDownAfter: number;
  defaultFailoverTimeout: number;
  tiltTrigger: number;
  tiltPeriod: number;
  slaveReconfTimeout: number;
  minLinkReconnectPeriod: number;
  electionTimeout: number;
  scriptMaxRuntime: number;
  scriptRetryDelay: number;
}

export function defaultTimings(): Timings {
  return {
    infoPeriod: 10000,
    pingPeriod: 1000,
    askPeriod: 1000,
    publishPeriod: 2000,
    defaultDownAfter: 30000,
    defaultFailoverTimeout: 180000,
    tiltTrigger: 2000,
    tiltPeriod: 30000,
    slaveReconfTimeout: 10000,
    minLinkReconnectPeriod: 15000,
    electionTimeout: 10000,
    scriptMaxRuntime: 60000,
    scriptRetryDelay: 30000,
  };
}

/**
 * sentinelAddr: `hostname` is the address as configured or reported (a hostname only with
 * resolve-hostnames yes, otherwise the IP itself), `ip` what it resolved to; links connect to
 * `ip`, replies and events show `announceAddr` (the hostname with announce-hostnames yes).
 */
export interface Addr {
  ip: string;
  hostname: string;
  port: number;
}

export class Instance {
  flags: number;
  /** Master: its configured name; replica: "ip:port"; Sentinel: its runid. */
  name: string;
  runid: string | null = null;
  configEpoch = 0;
  addr: Addr;
  readonly link: InstanceLink;
  lastPubTime: number;
  lastHelloTime: number;
  lastMasterDownReplyTime: number;
  sDownSinceTime = 0;
  oDownSinceTime = 0;
  downAfterPeriod: number;
  masterRebootDownAfterPeriod = 0;
  masterRebootSinceTime = 0;
  /** When INFO was last received (0: never). */
  infoRefresh = 0;
  /** The last INFO text received (SENTINEL INFO-CACHE). */
  info: string | null = null;
  roleReported: number;
  roleReportedTime: number;
  slaveConfChangeTime: number;
  // Master specific.
  readonly sentinels = new Map<string, Instance>();
  readonly slaves = new Map<string, Instance>();
  quorum: number;
  parallelSyncs = DEFAULT_PARALLEL_SYNCS;
  authPass: string | null = null;
  authUser: string | null = null;
  /** rename-command: original (lower case) -> renamed. */
  readonly renamedCommands = new Map<string, string>();
  // Replica specific.
  masterLinkDownTime = 0;
  slavePriority = DEFAULT_SLAVE_PRIORITY;
  replicaAnnounced = 1;
  slaveReconfSentTime = 0;
  readonly master: Instance | null;
  slaveMasterHost: string | null = null;
  slaveMasterPort = 0;
  slaveMasterLinkStatus = MASTER_LINK_STATUS_DOWN;
  slaveReplOffset = 0;
  // Failover. For a master, `leader` is who should fail it over; for a Sentinel, whom it voted for.
  leader: string | null = null;
  leaderEpoch = 0;
  failoverEpoch = 0;
  failoverState = FAILOVER_NONE;
  failoverStateChangeTime = 0;
  failoverStartTime = 0;
  failoverTimeout: number;
  failoverDelayLogged = 0;
  promotedSlave: Instance | null = null;
  notificationScript: string | null = null;
  clientReconfigScript: string | null = null;

  constructor(
    name: string,
    flags: number,
    addr: Addr,
    quorum: number,
    master: Instance | null,
    timings: Timings,
    now: number,
  ) {
    this.flags = flags;
    this.name = name;
    this.addr = addr;
    this.master = master;
    this.quorum = quorum;
    this.link = new InstanceLink(now);
    this.lastPubTime = now;
    this.lastHelloTime = now;
    this.lastMasterDownReplyTime = now;
    this.downAfterPeriod = master !== null ? master.downAfterPeriod : timings.defaultDownAfter;
    this.failoverTimeout = timings.defaultFailoverTimeout;
    this.roleReported = flags & (SRI_MASTER | SRI_SLAVE);
    this.roleReportedTime = now;
    this.slaveConfChangeTime = now;
  }

  has(flag: number): boolean {
    return (this.flags & flag) !== 0;
  }

  /** The master this instance belongs to (itself for a master). */
  get masterOf(): Instance {
    return this.master ?? this;
  }

  /** sentinelRedisInstanceTypeStr */
  get typeStr(): string {
    if (this.flags & SRI_MASTER) return "master";
    if (this.flags & SRI_SLAVE) return "slave";
    if (this.flags & SRI_SENTINEL) return "sentinel";
    return "unknown";
  }

  /** The flags field of SENTINEL MASTER/REPLICAS/SENTINELS, in Redis's order. */
  flagsString(): string {
    const f = this.flags;
    let s = "";
    if (f & SRI_S_DOWN) s += "s_down,";
    if (f & SRI_O_DOWN) s += "o_down,";
    if (f & SRI_MASTER) s += "master,";
    if (f & SRI_SLAVE) s += "slave,";
    if (f & SRI_SENTINEL) s += "sentinel,";
    if (this.link.disconnected) s += "disconnected,";
    if (f & SRI_MASTER_DOWN) s += "master_down,";
    if (f & SRI_FAILOVER_IN_PROGRESS) s += "failover_in_progress,";
    if (f & SRI_PROMOTED) s += "promoted,";
    if (f & SRI_RECONF_SENT) s += "reconf_sent,";
    if (f & SRI_RECONF_INPROG) s += "reconf_inprog,";
    if (f & SRI_RECONF_DONE) s += "reconf_done,";
    if (f & SRI_FORCE_FAILOVER) s += "force_failover,";
    if (f & SRI_SCRIPT_KILL_SENT) s += "script_kill_sent,";
    if (f & SRI_MASTER_REBOOT) s += "master_reboot,";
    return s.length > 0 ? s.slice(0, -1) : s;
  }

  /** sentinelInstanceMapCommand: a command name after the master's rename-command table. */
  mapCommand(name: string): string {
    const renamed = this.masterOf.renamedCommands.get(name.toLowerCase());
    return renamed ?? name;
  }
}

/** announceSentinelAddrAndPort: "ip:port", with IPv6 addresses in brackets. */
export function addrName(ip: string, port: number): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/**
 * sentinelAddrEqualsHostname / sentinelAddrOrHostnameEqual: `host` (an IP or a hostname, as a
 * replica's INFO or a hello message gives it) names `a` when it equals its IP or its hostname,
 * case-insensitively, or (given `state`, with resolve-hostnames yes) resolves to its IP.
 */
export function addrEquals(
  a: Addr,
  host: string | null,
  port: number,
  state: SentinelState | null = null,
): boolean {
  if (host === null || a.port !== port) return false;
  const h = host.toLowerCase();
  if (a.ip.toLowerCase() === h || a.hostname.toLowerCase() === h) return true;
  if (state === null || !state.resolveHostnames || isIP(host) !== 0) return false;
  const ip = state.resolver.cached(host);
  return ip !== undefined && ip !== null && ip === a.ip;
}

/** announceSentinelAddr: what replies, events, hellos and the config file show for `a`. */
export function announceAddr(state: SentinelState, a: Addr): string {
  return state.announceHostnames ? a.hostname : a.ip;
}

/** Redis's createSentinelAddr error texts (sentinelCheckCreateInstanceErrors). */
export const ERR_INVALID_PORT = "Invalid port number";
export const ERR_UNRESOLVED = "Can't resolve instance hostname.";

/**
 * createSentinelAddr: an IP is taken as is; a hostname only with resolve-hostnames yes, and
 * only once the resolver knows it (it is then looked up in the background: callers whose
 * input repeats, INFO and hello, simply try again next time). Returns the error text otherwise.
 */
export function makeAddr(state: SentinelState, host: string, port: number): Addr | string {
  if (!Number.isInteger(port) || port < 0 || port > 65535) return ERR_INVALID_PORT;
  if (host === "") return ERR_UNRESOLVED;
  if (isIP(host) !== 0) return { ip: host, hostname: host, port };
  if (!state.resolveHostnames) return ERR_UNRESOLVED;
  const ip = state.resolver.cached(host);
  if (ip === undefined || ip === null) return ERR_UNRESOLVED;
  return { ip, hostname: host, port };
}

/** Process-wide Sentinel state (struct sentinelState). */
export class SentinelState {
  currentEpoch = 0;
  myid: string = randomBytes(20).toString("hex");
  /** Masters by name, in insertion order (Redis's dict order differs, clients do not rely on it). */
  readonly masters = new Map<string, Instance>();
  tilt = false;
  tiltStartTime = 0;
  previousTime = Date.now();
  announceIp = "";
  announcePort = 0;
  resolveHostnames = false;
  announceHostnames = false;
  denyScriptsReconfig = true;
  sentinelAuthUser = "";
  sentinelAuthPass = "";
  simFailureFlags = 0;
  readonly timings: Timings = defaultTimings();
  readonly resolver = new HostResolver();
}

export const SIMFAILURE_CRASH_AFTER_ELECTION = 1 << 0;
export const SIMFAILURE_CRASH_AFTER_PROMOTION = 1 << 1;

/**
 * createSentinelRedisInstance: builds an instance at `host` (an address or a hostname, see
 * makeAddr) or at an address already made, and files it under its master (or in the masters
 * table). Returns the Redis error text when the name is taken, the port invalid or the
 * hostname not resolvable. Replicas are filed under their "ip:port" but named after their
 * announced address, as Redis names them (announceSentinelAddrAndPort at creation).
 */
export function createInstance(
  state: SentinelState,
  name: string | null,
  flags: number,
  host: string | Addr,
  port: number,
  quorum: number,
  master: Instance | null,
): Instance | string {
  const addr = typeof host === "string" ? makeAddr(state, host, port) : { ...host };
  if (typeof addr === "string") return addr;
  let table: Map<string, Instance>;
  let key: string;
  if (flags & SRI_MASTER) {
    table = state.masters;
    key = name!;
  } else if (flags & SRI_SLAVE) {
    table = master!.slaves;
    key = addrName(addr.ip, addr.port);
  } else {
    table = master!.sentinels;
    key = name!;
  }
  if (table.has(key)) return flags & SRI_MASTER ? "Duplicate master name." : "Duplicated instance";
  const ri = new Instance(key, flags, addr, quorum, master, state.timings, Date.now());
  if (flags & SRI_SLAVE) ri.name = addrName(announceAddr(state, addr), addr.port);
  table.set(key, ri);
  return ri;
}

/** releaseSentinelRedisInstance: closes the links of an instance and of everything it owns. */
export function releaseInstance(ri: Instance): void {
  for (const s of ri.slaves.values()) releaseInstance(s);
  for (const s of ri.sentinels.values()) releaseInstance(s);
  ri.slaves.clear();
  ri.sentinels.clear();
  ri.link.closeAll();
}

/** sentinelRedisInstanceLookupSlave: by "ip:port", or by hostname. */
export function lookupSlave(master: Instance, host: string, port: number): Instance | undefined {
  const ri = master.slaves.get(addrName(host, port));
  if (ri !== undefined || isIP(host) !== 0) return ri;
  for (const r of master.slaves.values()) if (addrEquals(r.addr, host, port)) return r;
  return undefined;
}

/**
 * getSentinelRedisInstanceByAddrAndRunID: the first instance of `table` with this address (and
 * runid, unless null).
 */
export function findByAddrAndRunid(
  table: Map<string, Instance>,
  ip: string | null,
  port: number,
  runid: string | null,
  state: SentinelState | null = null,
): Instance | undefined {
  for (const ri of table.values()) {
    if (runid !== null && ri.runid !== runid) continue;
    if (ip !== null && !addrEquals(ri.addr, ip, port, state)) continue;
    return ri;
  }
  return undefined;
}

/** sentinelGetCurrentMasterAddress: the promoted replica's address once reconfiguration began. */
export function currentMasterAddress(master: Instance): Addr {
  if (
    master.has(SRI_FAILOVER_IN_PROGRESS) &&
    master.promotedSlave !== null &&
    master.failoverState >= FAILOVER_RECONF_SLAVES
  ) {
    return master.promotedSlave.addr;
  }
  return master.addr;
}
