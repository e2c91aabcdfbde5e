/**
 * The failover state machine (sentinel.c sentinelFailoverStateMachine and one function per
 * state), replica selection (sentinelSelectSlave, compareSlavesForPromotion), the promotion /
 * reconfiguration command (sentinelSendSlaveOf), the final switch (sentinelFailoverSwitchToPromotedSlave,
 * sentinelResetMasterAndChangeAddress, sentinelResetMaster) and client-reconfig-script calls.
 *
 *   WAIT_START ──elected──► SELECT_SLAVE ──► SEND_SLAVEOF_NOONE ──► WAIT_PROMOTION
 *                                                    (INFO of the promoted replica says role:master,
 *                                                     see discovery.ts) ──► RECONF_SLAVES
 *   RECONF_SLAVES: SLAVEOF <new master> to at most parallel-syncs replicas at a time, until
 *   all reachable ones are done (or failover-timeout) ──► UPDATE_CONFIG ──(monitor.ts)──► switch
 *
 * States up to WAIT_PROMOTION may abort (not elected, no good replica, promotion timeout);
 * later ones always complete, because the promoted replica already accepts writes.
 *
 * Called by monitor.ts (each tick and the switch), discovery.ts (sendSlaveOf, reset) and
 * commands.ts (SENTINEL RESET / FAILOVER).
 */

import { getLeader } from "./election.js";
import { type Sentinel, sentinelEvent } from "./events.js";
import {
  type Addr,
  addrEquals,
  announceAddr,
  createInstance,
  FAILOVER_NONE,
  FAILOVER_RECONF_SLAVES,
  FAILOVER_SELECT_SLAVE,
  FAILOVER_SEND_SLAVEOF_NOONE,
  FAILOVER_UPDATE_CONFIG,
  FAILOVER_WAIT_PROMOTION,
  FAILOVER_WAIT_START,
  type Instance,
  releaseInstance,
  SIMFAILURE_CRASH_AFTER_ELECTION,
  SRI_FAILOVER_IN_PROGRESS,
  SRI_FORCE_FAILOVER,
  SRI_MASTER,
  SRI_O_DOWN,
  SRI_PROMOTED,
  SRI_RECONF_DONE,
  SRI_RECONF_INPROG,
  SRI_RECONF_SENT,
  SRI_S_DOWN,
  SRI_SLAVE,
} from "./instance.js";
import { sendInfo } from "./monitor.js";

/** sentinelFailoverStateMachine: one step for `ri` per timer tick. */
export function failoverStateMachine(s: Sentinel, ri: Instance): void {
  if (!ri.has(SRI_FAILOVER_IN_PROGRESS)) return;
  switch (ri.failoverState) {
    case FAILOVER_WAIT_START:
      failoverWaitStart(s, ri);
      break;
    case FAILOVER_SELECT_SLAVE:
      failoverSelectSlave(s, ri);
      break;
    case FAILOVER_SEND_SLAVEOF_NOONE:
      failoverSendSlaveOfNoOne(s, ri);
      break;
    case FAILOVER_WAIT_PROMOTION:
      failoverWaitPromotion(s, ri);
      break;
    case FAILOVER_RECONF_SLAVES:
      failoverReconfNextSlave(s, ri);
      break;
  }
}

/** sentinelFailoverWaitStart: go on only as the elected leader (or for a forced failover). */
function failoverWaitStart(s: Sentinel, ri: Instance): void {
  const leader = getLeader(s, ri, ri.failoverEpoch);
  const isLeader = leader !== null && leader.toLowerCase() === s.state.myid.toLowerCase();
  if (!isLeader && !ri.has(SRI_FORCE_FAILOVER)) {
    const electionTimeout = Math.min(s.state.timings.electionTimeout, ri.failoverTimeout);
    if (Date.now() - ri.failoverStartTime > electionTimeout) {
      sentinelEvent(s, "warning", "-failover-abort-not-elected", ri, "");
      abortFailover(s, ri);
    }
    return;
  }
  sentinelEvent(s, "warning", "+elected-leader", ri, "");
  if (s.state.simFailureFlags & SIMFAILURE_CRASH_AFTER_ELECTION) simFailureCrash(s);
  ri.failoverState = FAILOVER_SELECT_SLAVE;
  ri.failoverStateChangeTime = Date.now();
  sentinelEvent(s, "warning", "+failover-state-select-slave", ri, "");
}

/** sentinelFailoverSelectSlave */
function failoverSelectSlave(s: Sentinel, ri: Instance): void {
  const slave = selectSlave(s, ri);
  if (slave === null) {
    sentinelEvent(s, "warning", "-failover-abort-no-good-slave", ri, "");
    abortFailover(s, ri);
    return;
  }
  sentinelEvent(s, "warning", "+selected-slave", slave, "");
  slave.flags |= SRI_PROMOTED;
  ri.promotedSlave = slave;
  ri.failoverState = FAILOVER_SEND_SLAVEOF_NOONE;
  ri.failoverStateChangeTime = Date.now();
  sentinelEvent(s, "notice", "+failover-state-send-slaveof-noone", slave, "");
}

/** sentinelFailoverSendSlaveOfNoOne: retried each tick while the replica is unreachable. */
function failoverSendSlaveOfNoOne(s: Sentinel, ri: Instance): void {
  const promoted = ri.promotedSlave!;
  if (promoted.link.disconnected) {
    if (Date.now() - ri.failoverStateChangeTime > ri.failoverTimeout) {
      sentinelEvent(s, "warning", "-failover-abort-slave-timeout", ri, "");
      abortFailover(s, ri);
    }
    return;
  }
  if (!sendSlaveOf(s, promoted, null)) return;
  sentinelEvent(s, "notice", "+failover-state-wait-promotion", promoted, "");
  ri.failoverState = FAILOVER_WAIT_PROMOTION;
  ri.failoverStateChangeTime = Date.now();
  // Keyhaven addition: INFO pipelined right behind the EXEC shows the new role at once (the
  // promotion is synchronous), instead of waiting for the next periodic INFO.
  sendInfo(s, promoted);
}

/** sentinelFailoverWaitPromotion: INFO parsing moves us on; here only the timeout. */
function failoverWaitPromotion(s: Sentinel, ri: Instance): void {
  if (Date.now() - ri.failoverStateChangeTime > ri.failoverTimeout) {
    sentinelEvent(s, "warning", "-failover-abort-slave-timeout", ri, "");
    abortFailover(s, ri);
  }
}

/** sentinelFailoverReconfNextSlave: keeps parallel-syncs reconfigurations in flight. */
function failoverReconfNextSlave(s: Sentinel, master: Instance): void {
  const t = s.state.timings;
  let inProgress = 0;
  for (const slave of master.slaves.values()) {
    if (slave.has(SRI_RECONF_SENT | SRI_RECONF_INPROG)) inProgress++;
  }
  for (const slave of master.slaves.values()) {
    if (inProgress >= master.parallelSyncs) break;
    if (slave.has(SRI_PROMOTED | SRI_RECONF_DONE)) continue;
    // A replica stuck after SLAVEOF is counted as done; the config fix-up corrects it later.
    if (slave.has(SRI_RECONF_SENT) && Date.now() - slave.slaveReconfSentTime > t.slaveReconfTimeout) {
      sentinelEvent(s, "notice", "-slave-reconf-sent-timeout", slave, "");
      slave.flags &= ~SRI_RECONF_SENT;
      slave.flags |= SRI_RECONF_DONE;
    }
    if (slave.has(SRI_RECONF_SENT | SRI_RECONF_INPROG)) continue;
    if (slave.link.disconnected) continue;
    if (sendSlaveOf(s, slave, master.promotedSlave!.addr)) {
      slave.flags |= SRI_RECONF_SENT;
      slave.slaveReconfSentTime = Date.now();
      sentinelEvent(s, "notice", "+slave-reconf-sent", slave, "");
      inProgress++;
    }
  }
  failoverDetectEnd(s, master);
}

/** sentinelFailoverDetectEnd: every reachable replica reconfigured, or the timeout. */
function failoverDetectEnd(s: Sentinel, master: Instance): void {
  const elapsed = Date.now() - master.failoverStateChangeTime;
  const promoted = master.promotedSlave;
  if (promoted === null || promoted.has(SRI_S_DOWN)) return;
  let notReconfigured = 0;
  for (const slave of master.slaves.values()) {
    if (slave.has(SRI_PROMOTED | SRI_RECONF_DONE)) continue;
    if (slave.has(SRI_S_DOWN)) continue;
    notReconfigured++;
  }
  let timeout = false;
  if (elapsed > master.failoverTimeout) {
    notReconfigured = 0;
    timeout = true;
    sentinelEvent(s, "warning", "+failover-end-for-timeout", master, "");
  }
  if (notReconfigured === 0) {
    sentinelEvent(s, "warning", "+failover-end", master, "");
    master.failoverState = FAILOVER_UPDATE_CONFIG;
    master.failoverStateChangeTime = Date.now();
  }
  if (timeout) {
    // Best effort for the replicas that never got the command.
    for (const slave of master.slaves.values()) {
      if (slave.has(SRI_PROMOTED | SRI_RECONF_DONE | SRI_RECONF_SENT)) continue;
      if (slave.link.disconnected) continue;
      if (sendSlaveOf(s, slave, promoted.addr)) {
        sentinelEvent(s, "notice", "+slave-reconf-sent-be", slave, "");
        slave.flags |= SRI_RECONF_SENT;
      }
    }
  }
}

/**
 * sentinelSimFailureCrash. Redis saves every state change synchronously before going on, so
 * what it crashes with is on disk (after a promotion: the promoted replica as master, with the
 * new config epoch, which the restarted Sentinel then announces); ours are coalesced to the end
 * of the turn, so the pending rewrite is done now.
 */
export function simFailureCrash(s: Sentinel): never {
  s.flushConfig(true);
  s.server.logger.warning("Sentinel CRASH because of SENTINEL simulate-failure");
  process.exit(99);
}

/** sentinelAbortFailover: only before the promotion is observed. */
export function abortFailover(_s: Sentinel, ri: Instance): void {
  ri.flags &= ~(SRI_FAILOVER_IN_PROGRESS | SRI_FORCE_FAILOVER);
  ri.failoverState = FAILOVER_NONE;
  ri.failoverStateChangeTime = Date.now();
  if (ri.promotedSlave !== null) {
    ri.promotedSlave.flags &= ~SRI_PROMOTED;
    ri.promotedSlave = null;
  }
}

/**
 * sentinelSelectSlave: the best replica to promote, or null. Excluded: down or disconnected,
 * no good PING reply for 5 ping periods, priority 0, stale INFO, or disconnected from the
 * master for much longer than the master has been down. Then: lowest priority, highest
 * replication offset, smallest run id.
 */
export function selectSlave(s: Sentinel, master: Instance): Instance | null {
  const t = s.state.timings;
  const now = Date.now();
  let maxMasterDownTime = 0;
  if (master.has(SRI_S_DOWN)) maxMasterDownTime += now - master.sDownSinceTime;
  maxMasterDownTime += master.downAfterPeriod * 10;
  const candidates: Instance[] = [];
  for (const slave of master.slaves.values()) {
    if (slave.has(SRI_S_DOWN | SRI_O_DOWN)) continue;
    if (slave.link.disconnected) continue;
    if (now - slave.link.lastAvailTime > t.pingPeriod * 5) continue;
    if (slave.slavePriority === 0) continue;
    const infoValidityTime = master.has(SRI_S_DOWN) ? t.pingPeriod * 5 : t.infoPeriod * 3;
    if (now - slave.infoRefresh > infoValidityTime) continue;
    if (slave.masterLinkDownTime > maxMasterDownTime) continue;
    candidates.push(slave);
  }
  if (candidates.length === 0) return null;
  candidates.sort(compareSlavesForPromotion);
  return candidates[0];
}

/** compareSlavesForPromotion; a missing run id sorts after any run id. */
export function compareSlavesForPromotion(a: Instance, b: Instance): number {
  if (a.slavePriority !== b.slavePriority) return a.slavePriority - b.slavePriority;
  if (a.slaveReplOffset > b.slaveReplOffset) return -1;
  if (a.slaveReplOffset < b.slaveReplOffset) return 1;
  if (a.runid === null && b.runid === null) return 0;
  if (a.runid === null) return 1;
  if (b.runid === null) return -1;
  const x = a.runid.toLowerCase();
  const y = b.runid.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * sentinelSendSlaveOf: SLAVEOF (NO ONE when `addr` is null) inside MULTI, with CONFIG
 * REWRITE and CLIENT KILL TYPE normal / pubsub, so the instance persists its new role and its
 * clients reconnect and ask Sentinel again. Replies are ignored: the next INFO tells whether it
 * worked. SLAVEOF, not its newer name REPLICAOF, as Redis 7.0's Sentinel: ACL users set up for
 * Sentinel are granted +slaveof, and `sentinel rename-command` renames SLAVEOF.
 */
export function sendSlaveOf(s: Sentinel, ri: Instance, addr: Addr | null): boolean {
  const link = ri.link;
  // The announced address: with announce-hostnames the replica is given the hostname.
  const host = addr === null ? "NO" : announceAddr(s.state, addr);
  const port = addr === null ? "ONE" : String(addr.port);
  if (!link.command([ri.mapCommand("MULTI")], null)) return false;
  link.command([ri.mapCommand("SLAVEOF"), host, port], null);
  link.command([ri.mapCommand("CONFIG"), "REWRITE"], null);
  link.command([ri.mapCommand("CLIENT"), "KILL", "TYPE", "normal"], null);
  link.command([ri.mapCommand("CLIENT"), "KILL", "TYPE", "pubsub"], null);
  link.command([ri.mapCommand("EXEC")], null);
  return true;
}

/** sentinelFailoverSwitchToPromotedSlave: +switch-master and the new address. */
export function failoverSwitchToPromotedSlave(s: Sentinel, master: Instance): void {
  const ref = master.promotedSlave ?? master;
  sentinelEvent(
    s,
    "warning",
    "+switch-master",
    master,
    `${master.name} ${announceAddr(s.state, master.addr)} ${master.addr.port} ` +
      `${announceAddr(s.state, ref.addr)} ${ref.addr.port}`,
    false,
  );
  resetMasterAndChangeAddress(s, master, ref.addr);
}

export const RESET_NO_SENTINELS = 1;
export const RESET_GENERATE_EVENT = 2;

/** sentinelResetMaster: forgets replicas (and Sentinels), failover state and the run id. */
export function resetMaster(s: Sentinel, ri: Instance, flags: number): void {
  for (const slave of ri.slaves.values()) releaseInstance(slave);
  ri.slaves.clear();
  if (!(flags & RESET_NO_SENTINELS)) {
    for (const si of ri.sentinels.values()) releaseInstance(si);
    ri.sentinels.clear();
  }
  ri.link.closeAll();
  ri.flags &= SRI_MASTER;
  ri.leader = null;
  ri.failoverState = FAILOVER_NONE;
  ri.failoverStateChangeTime = 0;
  ri.failoverStartTime = 0; // We can fail over again at once.
  ri.promotedSlave = null;
  ri.runid = null;
  ri.slaveMasterHost = null;
  const now = Date.now();
  ri.link.actPingTime = now;
  ri.link.lastPingTime = 0;
  ri.link.lastAvailTime = now;
  ri.link.lastPongTime = now;
  ri.roleReportedTime = now;
  ri.roleReported = SRI_MASTER;
  if (flags & RESET_GENERATE_EVENT) sentinelEvent(s, "warning", "+reset-master", ri, "");
}

/**
 * sentinelResetMasterAndChangeAddress: points `master` at `addr`; its replicas (except the
 * new master) and the old master address become the new replica set.
 */
export function resetMasterAndChangeAddress(s: Sentinel, master: Instance, addr: Addr): void {
  const { ip, port } = addr;
  const slaves: Addr[] = [];
  for (const slave of master.slaves.values()) {
    if (addrEquals(slave.addr, ip, port)) continue;
    slaves.push({ ...slave.addr });
  }
  if (!addrEquals(master.addr, ip, port)) slaves.push({ ...master.addr });
  resetMaster(s, master, RESET_NO_SENTINELS);
  master.addr = { ...addr };
  master.oDownSinceTime = 0;
  master.sDownSinceTime = 0;
  for (const a of slaves) {
    const slave = createInstance(s.state, null, SRI_SLAVE, a, a.port, master.quorum, master);
    if (typeof slave !== "string") sentinelEvent(s, "notice", "+slave", slave, "");
  }
  s.flushConfig();
}

/**
 * sentinelCallClientReconfScript: `<master-name> <role> <state> <from-ip> <from-port> <to-ip>
 * <to-port>`, role being "leader" or "observer".
 */
export function callClientReconfScript(
  s: Sentinel,
  master: Instance,
  role: "leader" | "observer",
  state: string,
  from: Addr,
  to: Addr,
): void {
  if (master.clientReconfigScript === null) return;
  s.scripts.schedule(master.clientReconfigScript, [
    master.name,
    role,
    state,
    announceAddr(s.state, from),
    String(from.port),
    announceAddr(s.state, to),
    String(to.port),
  ]);
}
