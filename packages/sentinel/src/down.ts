/**
 * Failure detection (sentinel.c sentinelCheckSubjectivelyDown, sentinelCheckObjectivelyDown,
 * sentinelAskMasterStateToOtherSentinels, sentinelReceiveIsMasterDownReply).
 *
 * SDOWN: no acceptable PING reply for down-after-milliseconds (counted from the oldest
 * unanswered PING, or from the last good reply while disconnected), or a master that keeps
 * reporting itself as a replica for down-after + 2 INFO periods, or a rebooted master within
 * master-reboot-down-after-period. Idle-looking links are closed here so they get reconnected.
 *
 * ODOWN: our SDOWN plus the other Sentinels whose last is-master-down-by-addr answer said
 * "down" reach the quorum. Those answers expire after 5 ask periods. The same request carries
 * our vote request (our runid instead of "*") once we are failing over.
 *
 * Called by monitor.ts on every tick (outside TILT).
 */

import { type Sentinel, sentinelEvent } from "./events.js";
import {
  announceAddr,
  FAILOVER_NONE,
  type Instance,
  SRI_MASTER,
  SRI_MASTER_DOWN,
  SRI_MASTER_REBOOT,
  SRI_O_DOWN,
  SRI_S_DOWN,
  SRI_SCRIPT_KILL_SENT,
  SRI_SLAVE,
} from "./instance.js";
import { actOnMasterState, sendInfo } from "./monitor.js";

/** sentinelCheckSubjectivelyDown */
export function checkSubjectivelyDown(s: Sentinel, ri: Instance): void {
  const link = ri.link;
  const t = s.state.timings;
  const now = Date.now();
  let elapsed = 0;
  if (link.actPingTime !== 0) elapsed = now - link.actPingTime;
  else if (link.disconnected) elapsed = now - link.lastAvailTime;

  // A command link that was up long enough but has a PING pending for half the down period
  // (and got no reply at all meanwhile) is probably dead: reconnect it.
  if (
    link.cc !== null &&
    now - link.ccConnTime > t.minLinkReconnectPeriod &&
    link.actPingTime !== 0 &&
    now - link.actPingTime > ri.downAfterPeriod / 2 &&
    now - link.lastPongTime > ri.downAfterPeriod / 2
  ) {
    link.closeConnection(link.cc);
  }
  // A pub/sub link that saw no hello (not even our own) for 3 publish periods: reconnect it.
  if (
    link.pc !== null &&
    now - link.pcConnTime > t.minLinkReconnectPeriod &&
    now - link.pcLastActivity > t.publishPeriod * 3
  ) {
    link.closeConnection(link.pc);
  }

  if (
    elapsed > ri.downAfterPeriod ||
    (ri.has(SRI_MASTER) &&
      ri.roleReported === SRI_SLAVE &&
      now - ri.roleReportedTime > ri.downAfterPeriod + t.infoPeriod * 2) ||
    (ri.has(SRI_MASTER_REBOOT) && now - ri.masterRebootSinceTime > ri.masterRebootDownAfterPeriod)
  ) {
    if (!ri.has(SRI_S_DOWN)) {
      sentinelEvent(s, "warning", "+sdown", ri, "");
      ri.sDownSinceTime = now;
      ri.flags |= SRI_S_DOWN;
    }
  } else if (ri.has(SRI_S_DOWN)) {
    sentinelEvent(s, "warning", "-sdown", ri, "");
    ri.flags &= ~(SRI_S_DOWN | SRI_SCRIPT_KILL_SENT);
  }
}

/** sentinelCheckObjectivelyDown */
export function checkObjectivelyDown(s: Sentinel, master: Instance): void {
  let quorum = 0;
  let odown = false;
  if (master.has(SRI_S_DOWN)) {
    quorum = 1; // Ourselves.
    for (const ri of master.sentinels.values()) if (ri.has(SRI_MASTER_DOWN)) quorum++;
    if (quorum >= master.quorum) odown = true;
  }
  if (odown) {
    if (!master.has(SRI_O_DOWN)) {
      sentinelEvent(s, "warning", "+odown", master, ` #quorum ${quorum}/${master.quorum}`);
      master.flags |= SRI_O_DOWN;
      master.oDownSinceTime = Date.now();
      // Keyhaven addition: the replicas' INFO period drops to 1 s now; ask at once rather than
      // on their next tick, so a replica selection soon after finds fresh INFO.
      for (const r of master.slaves.values()) {
        if (!r.link.disconnected && Date.now() - r.infoRefresh > 1000) sendInfo(s, r);
      }
    }
  } else if (master.has(SRI_O_DOWN)) {
    sentinelEvent(s, "warning", "-odown", master, "");
    master.flags &= ~SRI_O_DOWN;
  }
}

/**
 * sentinelAskMasterStateToOtherSentinels: sends SENTINEL is-master-down-by-addr to every
 * connected Sentinel when we think the master is down (at most once per ask period unless
 * `forced`), asking for a vote when a failover of ours is in progress.
 */
export function askMasterStateToOtherSentinels(s: Sentinel, master: Instance, forced: boolean): void {
  const state = s.state;
  const t = state.timings;
  for (const ri of master.sentinels.values()) {
    const elapsed = Date.now() - ri.lastMasterDownReplyTime;
    if (elapsed > t.askPeriod * 5) {
      ri.flags &= ~SRI_MASTER_DOWN;
      ri.leader = null;
    }
    if (!master.has(SRI_S_DOWN)) continue;
    if (ri.link.disconnected) continue;
    if (!forced && Date.now() - ri.lastMasterDownReplyTime < t.askPeriod) continue;
    ri.link.command(
      [
        ri.mapCommand("SENTINEL"),
        "is-master-down-by-addr",
        announceAddr(state, master.addr),
        String(master.addr.port),
        String(state.currentEpoch),
        master.failoverState > FAILOVER_NONE ? state.myid : "*",
      ],
      (reply) => receiveIsMasterDownReply(s, ri, reply),
    );
  }
}

/** sentinelReceiveIsMasterDownReply: anything but [int, string, int] is ignored. */
function receiveIsMasterDownReply(s: Sentinel, ri: Instance, reply: unknown): void {
  if (
    !Array.isArray(reply) ||
    reply.length !== 3 ||
    typeof reply[0] !== "number" ||
    typeof reply[1] !== "string" ||
    typeof reply[2] !== "number"
  ) {
    return;
  }
  ri.lastMasterDownReplyTime = Date.now();
  if (reply[0] === 1) ri.flags |= SRI_MASTER_DOWN;
  else ri.flags &= ~SRI_MASTER_DOWN;
  if (reply[1] !== "*") {
    // The Sentinel actually voted (for us or someone else).
    if (ri.leaderEpoch !== reply[2]) {
      s.server.logger.warning(`${ri.name} voted for ${reply[1]} ${reply[2]}`);
    }
    ri.leader = reply[1];
    ri.leaderEpoch = reply[2];
  }
  // Keyhaven addition: act on the answer now rather than on the next tick (Redis waits for
  // sentinelTimer): ODOWN, the start of a failover and the vote count move up to a tick sooner.
  if (ri.master !== null) actOnMasterState(s, ri.master);
}
