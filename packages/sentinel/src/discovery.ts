/**
 * Discovery: what INFO and hello messages teach us (sentinel.c sentinelRefreshInstanceInfo,
 * sentinelSendHello's payload, sentinelProcessHelloMessage, sentinelReceiveHelloMessages).
 *
 * INFO of a master lists its replicas (`slaveN:ip=...,port=...`), which become replica
 * instances; INFO of any instance gives its run id (a change is `+reboot`), its role, and for a
 * replica its master address, link status, priority and offset. The acting half (skipped in
 * TILT) drives the failover (`+promoted-slave`, reconf progress) and corrects instances that
 * disagree with our configuration (`+convert-to-slave`, `+fix-slave-config`).
 *
 * Hello messages, published every 2 s by each Sentinel on `__sentinel__:hello` of every master
 * and replica (and sent to Sentinels with PUBLISH), have 8 comma-separated fields:
 *   <ip>,<port>,<runid>,<current_epoch>,<master_name>,<master_ip>,<master_port>,<master_config_epoch>
 * They add Sentinels, raise our current epoch, and carry newer master configurations (a higher
 * config epoch), which we adopt with `+config-update-from` / `+switch-master`.
 *
 * Called by monitor.ts (INFO replies, pub/sub messages) and commands.ts (PUBLISH to Sentinel).
 */

import { type Sentinel, sentinelEvent } from "./events.js";
import {
  callClientReconfScript,
  resetMasterAndChangeAddress,
  sendSlaveOf,
  simFailureCrash,
} from "./failover.js";
import {
  addrEquals,
  announceAddr,
  createInstance,
  currentMasterAddress,
  FAILOVER_RECONF_SLAVES,
  FAILOVER_WAIT_PROMOTION,
  findByAddrAndRunid,
  type Instance,
  lookupSlave,
  MASTER_LINK_STATUS_DOWN,
  MASTER_LINK_STATUS_UP,
  makeAddr,
  SIMFAILURE_CRASH_AFTER_PROMOTION,
  SRI_FAILOVER_IN_PROGRESS,
  SRI_MASTER,
  SRI_MASTER_REBOOT,
  SRI_O_DOWN,
  SRI_PROMOTED,
  SRI_RECONF_DONE,
  SRI_RECONF_INPROG,
  SRI_RECONF_SENT,
  SRI_S_DOWN,
  SRI_SENTINEL,
  SRI_SLAVE,
} from "./instance.js";
import type { Conn } from "./link.js";
import { forceHelloUpdateForMaster } from "./monitor.js";

/** sentinelRefreshInstanceInfo: parses INFO from `ri`, then acts on what changed. */
export function refreshInstanceInfo(s: Sentinel, ri: Instance, info: string): void {
  const state = s.state;
  let role = 0;
  ri.info = info;
  // Reset to its default when INFO does not mention it at all.
  ri.masterLinkDownTime = 0;
  for (const l of info.split("\r\n")) {
    if (l.length >= 47 && l.startsWith("run_id:")) {
      const runid = l.slice(7, 47);
      if (ri.runid === null) {
        ri.runid = runid;
      } else if (ri.runid !== runid) {
        sentinelEvent(s, "notice", "+reboot", ri, "");
        if (ri.has(SRI_MASTER) && ri.masterRebootDownAfterPeriod !== 0) {
          ri.flags |= SRI_MASTER_REBOOT;
          ri.masterRebootSinceTime = Date.now();
        }
        ri.runid = runid;
      }
    }
    if (
      ri.has(SRI_MASTER) &&
      l.length >= 7 &&
      l.startsWith("slave") &&
      l.charCodeAt(5) >= 48 &&
      l.charCodeAt(5) <= 57
    ) {
      const found = parseSlaveLine(l);
      if (found !== null && lookupSlave(ri, found.ip, found.port) === undefined) {
        const slave = createInstance(state, null, SRI_SLAVE, found.ip, found.port, ri.quorum, ri);
        if (typeof slave !== "string") {
          sentinelEvent(s, "notice", "+slave", slave, "");
          s.flushConfig();
        }
      }
    }
    if (l.length >= 32 && l.startsWith("master_link_down_since_seconds")) {
      ri.masterLinkDownTime = Number.parseInt(l.slice(31), 10) * 1000 || 0;
    }
    if (l.startsWith("role:master")) role = SRI_MASTER;
    else if (l.startsWith("role:slave")) role = SRI_SLAVE;
    if (role === SRI_SLAVE) {
      if (l.startsWith("master_host:")) {
        const host = l.slice(12);
        if (ri.slaveMasterHost === null || host.toLowerCase() !== ri.slaveMasterHost.toLowerCase()) {
          ri.slaveMasterHost = host;
          ri.slaveConfChangeTime = Date.now();
        }
      } else if (l.startsWith("master_port:")) {
        const port = Number.parseInt(l.slice(12), 10) || 0;
        if (ri.slaveMasterPort !== port) {
          ri.slaveMasterPort = port;
          ri.slaveConfChangeTime = Date.now();
        }
      } else if (l.startsWith("master_link_status:")) {
        ri.slaveMasterLinkStatus =
          l.slice(19, 21).toLowerCase() === "up" ? MASTER_LINK_STATUS_UP : MASTER_LINK_STATUS_DOWN;
      } else if (l.startsWith("slave_priority:")) {
        ri.slavePriority = Number.parseInt(l.slice(15), 10) || 0;
      } else if (l.startsWith("slave_repl_offset:")) {
        ri.slaveReplOffset = Number(l.slice(18)) || 0;
      } else if (l.startsWith("replica_announced:")) {
        ri.replicaAnnounced = Number.parseInt(l.slice(18), 10) || 0;
      }
    }
  }
  ri.infoRefresh = Date.now();

  // ---- Acting half ----
  if (role !== ri.roleReported) {
    ri.roleReportedTime = Date.now();
    ri.roleReported = role;
    if (role === SRI_SLAVE) ri.slaveConfChangeTime = Date.now();
    sentinelEvent(
      s,
      "verbose",
      (ri.flags & (SRI_MASTER | SRI_SLAVE)) === role ? "+role-change" : "-role-change",
      ri,
      ` new reported role is ${role === SRI_MASTER ? "master" : "slave"}`,
    );
  }
  if (state.tilt) return;

  // A master claiming to be a replica is left alone: it will look down and be failed over.

  if (ri.has(SRI_SLAVE) && role === SRI_MASTER) {
    const master = ri.master!;
    if (
      ri.has(SRI_PROMOTED) &&
      master.has(SRI_FAILOVER_IN_PROGRESS) &&
      master.failoverState === FAILOVER_WAIT_PROMOTION
    ) {
      // The promotion worked: claim the epoch we won, so the other Sentinels adopt this config.
      master.configEpoch = master.failoverEpoch;
      master.failoverState = FAILOVER_RECONF_SLAVES;
      master.failoverStateChangeTime = Date.now();
      s.flushConfig();
      sentinelEvent(s, "warning", "+promoted-slave", ri, "");
      if (state.simFailureFlags & SIMFAILURE_CRASH_AFTER_PROMOTION) simFailureCrash(s);
      sentinelEvent(s, "warning", "+failover-state-reconf-slaves", master, "");
      callClientReconfScript(s, master, "leader", "start", master.addr, ri.addr);
      forceHelloUpdateForMaster(s, master);
    } else {
      // A replica turned master behind our back: convert it back after a grace period, to
      // leave time for a newer configuration to reach us first.
      const waitTime = state.timings.publishPeriod * 4;
      if (
        !ri.has(SRI_PROMOTED) &&
        masterLooksSane(s, master) &&
        noDownFor(ri, waitTime) &&
        Date.now() - ri.roleReportedTime > waitTime
      ) {
        if (sendSlaveOf(s, ri, master.addr)) sentinelEvent(s, "notice", "+convert-to-slave", ri, "");
      }
    }
  }

  if (
    ri.has(SRI_SLAVE) &&
    role === SRI_SLAVE &&
    (ri.slaveMasterPort !== ri.master!.addr.port ||
      !addrEquals(ri.master!.addr, ri.slaveMasterHost, ri.slaveMasterPort, state))
  ) {
    const master = ri.master!;
    const waitTime = master.failoverTimeout;
    if (
      masterLooksSane(s, master) &&
      noDownFor(ri, waitTime) &&
      Date.now() - ri.slaveConfChangeTime > waitTime
    ) {
      if (sendSlaveOf(s, ri, master.addr)) sentinelEvent(s, "notice", "+fix-slave-config", ri, "");
    }
  }

  if (ri.has(SRI_SLAVE) && role === SRI_SLAVE && ri.has(SRI_RECONF_SENT | SRI_RECONF_INPROG)) {
    const promoted = ri.master!.promotedSlave;
    if (
      ri.has(SRI_RECONF_SENT) &&
      promoted !== null &&
      ri.slaveMasterHost !== null &&
      addrEquals(promoted.addr, ri.slaveMasterHost, ri.slaveMasterPort, state)
    ) {
      ri.flags &= ~SRI_RECONF_SENT;
      ri.flags |= SRI_RECONF_INPROG;
      sentinelEvent(s, "notice", "+slave-reconf-inprog", ri, "");
    }
    if (ri.has(SRI_RECONF_INPROG) && ri.slaveMasterLinkStatus === MASTER_LINK_STATUS_UP) {
      ri.flags &= ~SRI_RECONF_INPROG;
      ri.flags |= SRI_RECONF_DONE;
      sentinelEvent(s, "notice", "+slave-reconf-done", ri, "");
    }
  }
}

/** `slave0:ip=127.0.0.1,port=6380,...` (or the pre-2.8 `slave0:<ip>,<port>,<state>`). */
function parseSlaveLine(l: string): { ip: string; port: number } | null {
  const colon = l.indexOf(":");
  if (colon === -1) return null;
  const body = l.slice(colon + 1);
  let ip: string | undefined;
  let port: string | undefined;
  if (!body.includes("ip=")) {
    const parts = body.split(",");
    if (parts.length < 2) return null;
    ip = parts[0];
    port = parts[1];
  } else {
    for (const kv of body.split(",")) {
      if (kv.startsWith("ip=")) ip = kv.slice(3);
      else if (kv.startsWith("port=")) port = kv.slice(5);
    }
  }
  if (ip === undefined || port === undefined) return null;
  const n = Number.parseInt(port, 10);
  return Number.isInteger(n) ? { ip, port: n } : null;
}

/** sentinelMasterLooksSane: master, reported as master, up, and with fresh INFO. */
export function masterLooksSane(s: Sentinel, master: Instance): boolean {
  return (
    master.has(SRI_MASTER) &&
    master.roleReported === SRI_MASTER &&
    !master.has(SRI_S_DOWN | SRI_O_DOWN) &&
    Date.now() - master.infoRefresh < s.state.timings.infoPeriod * 2
  );
}

/** sentinelRedisInstanceNoDownFor: neither SDOWN nor disconnected during the last `ms`. */
export function noDownFor(ri: Instance, ms: number): boolean {
  let mostRecent = ri.sDownSinceTime;
  if (ri.link.disconnected && ri.link.lastAvailTime > mostRecent) mostRecent = ri.link.lastAvailTime;
  return mostRecent === 0 || Date.now() - mostRecent > ms;
}

/** Our hello payload for `ri`'s master, or null when we cannot tell our own address. */
export function helloPayload(s: Sentinel, ri: Instance, cc: Conn): string | null {
  const state = s.state;
  const master = ri.masterOf;
  const masterAddr = currentMasterAddress(master);
  let ip = state.announceIp;
  if (ip === "") {
    const local = cc.localAddress;
    if (local === undefined) return null;
    ip = local.startsWith("::ffff:") ? local.slice(7) : local;
  }
  const port = state.announcePort !== 0 ? state.announcePort : s.server.boundPort;
  return (
    `${ip},${port},${state.myid},${state.currentEpoch},` +
    `${master.name},${announceAddr(state, masterAddr)},${masterAddr.port},${master.configEpoch}`
  );
}

/** sentinelReceiveHelloMessages: a message on the hello channel of a master or replica. */
export function receiveHelloMessage(s: Sentinel, _ri: Instance, reply: unknown[]): void {
  if (reply.length !== 3 || reply[0] !== "message") return;
  const payload = reply[2];
  if (typeof payload !== "string") return;
  // Our own hellos come back to us too.
  if (payload.includes(s.state.myid)) return;
  processHelloMessage(s, payload);
}

/** sentinelProcessHelloMessage */
export function processHelloMessage(s: Sentinel, hello: string): void {
  const state = s.state;
  const token = hello.split(",");
  if (token.length !== 8) return;
  const master = state.masters.get(token[4]);
  if (master === undefined) return;
  const port = Number.parseInt(token[1], 10) || 0;
  const masterPort = Number.parseInt(token[6], 10) || 0;
  const runid = token[2];
  let si = findByAddrAndRunid(master.sentinels, token[0], port, runid, state);
  const currentEpoch = Number(token[3]) || 0;
  const masterConfigEpoch = Number(token[7]) || 0;
  if (si === undefined) {
    // Same runid at another address: the Sentinel moved. Same address, other runid: the old
    // record is stale (a restarted Sentinel with a new id), drop it everywhere.
    const removed = removeMatchingSentinelFromMaster(master, runid);
    if (removed > 0) {
      sentinelEvent(
        s,
        "notice",
        "+sentinel-address-switch",
        master,
        ` ip ${token[0]} port ${port} for ${runid}`,
      );
    } else {
      const other = findByAddrAndRunid(master.sentinels, token[0], port, null, state);
      if (other !== undefined) {
        sentinelEvent(s, "notice", "+sentinel-invalid-addr", other, "");
        const obsolete = other.runid;
        if (obsolete !== null)
          for (const m of state.masters.values()) removeMatchingSentinelFromMaster(m, obsolete);
      }
    }
    const created = createInstance(state, runid, SRI_SENTINEL, token[0], port, master.quorum, master);
    if (typeof created !== "string") {
      si = created;
      if (removed === 0) sentinelEvent(s, "notice", "+sentinel", si, "");
      si.runid = runid;
      if (removed > 0) updateSentinelAddressInAllMasters(s, si);
      s.flushConfig();
    }
  }
  if (currentEpoch > state.currentEpoch) {
    state.currentEpoch = currentEpoch;
    s.flushConfig();
    sentinelEvent(s, "warning", "+new-epoch", master, `${state.currentEpoch}`, false);
  }
  if (si !== undefined && master.configEpoch < masterConfigEpoch) {
    if (masterPort !== master.addr.port || !addrEquals(master.addr, token[5], masterPort, state)) {
      // A hostname not resolved yet: the config is adopted from a later hello (every 2 s).
      const newAddr = makeAddr(state, token[5], masterPort);
      if (typeof newAddr !== "string") {
        master.configEpoch = masterConfigEpoch;
        sentinelEvent(s, "warning", "+config-update-from", si, "");
        sentinelEvent(
          s,
          "warning",
          "+switch-master",
          master,
          `${master.name} ${announceAddr(state, master.addr)} ${master.addr.port} ${token[5]} ${masterPort}`,
          false,
        );
        const oldAddr = { ...master.addr };
        resetMasterAndChangeAddress(s, master, newAddr);
        callClientReconfScript(s, master, "observer", "start", oldAddr, master.addr);
      }
    } else {
      master.configEpoch = masterConfigEpoch;
    }
  }
  if (si !== undefined) si.lastHelloTime = Date.now();
}

/** removeMatchingSentinelFromMaster: drops the Sentinels of `master` with this runid. */
function removeMatchingSentinelFromMaster(master: Instance, runid: string): number {
  let removed = 0;
  for (const [key, ri] of master.sentinels) {
    if (ri.runid === runid) {
      ri.link.closeAll();
      master.sentinels.delete(key);
      removed++;
    }
  }
  return removed;
}

/**
 * sentinelUpdateSentinelAddressInAllMasters: the same Sentinel watches other masters too; give
 * those records the new address (they will reconnect to it).
 */
function updateSentinelAddressInAllMasters(s: Sentinel, ri: Instance): void {
  for (const master of s.state.masters.values()) {
    if (master === ri.master) continue;
    for (const other of master.sentinels.values()) {
      if (other.runid === ri.runid && !addrEquals(other.addr, ri.addr.ip, ri.addr.port)) {
        other.addr = { ...ri.addr };
        other.link.closeAll();
      }
    }
  }
}
