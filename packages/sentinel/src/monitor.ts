/**
 * The monitoring half of Sentinel, driven by one timer (sentinel.c sentinelTimer,
 * sentinelHandleDictOfRedisInstances, sentinelHandleRedisInstance, sentinelReconnectInstance,
 * sentinelSendPeriodicCommands, sentinelSendPing, sentinelSendHello, sentinelCheckTiltCondition).
 *
 * Each tick walks every master, then its replicas and Sentinels: reconnect what is down (at
 * most once per ping period), send PING/INFO/hello when due, then (unless in TILT) run the
 * acting half: SDOWN, ODOWN, failover start, the failover state machine, and asking the other
 * Sentinels. A master in UPDATE_CONFIG is switched to its promoted replica after the walk.
 *
 * The tick period changes randomly between 50 and 100 ms (Redis re-rolls `hz` between 10 and 19
 * on every sentinelTimer) so that Sentinels started together do not keep asking for votes in
 * the same instant forever.
 *
 * Called by main.ts (start/stop); uses discovery.ts (INFO, hello), down.ts, election.ts and
 * failover.ts.
 */

import { helloPayload, receiveHelloMessage, refreshInstanceInfo } from "./discovery.js";
import { askMasterStateToOtherSentinels, checkObjectivelyDown, checkSubjectivelyDown } from "./down.js";
import { startFailoverIfNeeded } from "./election.js";
import { type Sentinel, sentinelEvent } from "./events.js";
import { failoverStateMachine, failoverSwitchToPromotedSlave } from "./failover.js";
import {
  FAILOVER_UPDATE_CONFIG,
  FAILOVER_WAIT_START,
  type Instance,
  SRI_FAILOVER_IN_PROGRESS,
  SRI_MASTER,
  SRI_MASTER_REBOOT,
  SRI_O_DOWN,
  SRI_PROMOTED,
  SRI_RECONF_INPROG,
  SRI_RECONF_SENT,
  SRI_S_DOWN,
  SRI_SCRIPT_KILL_SENT,
  SRI_SENTINEL,
  SRI_SLAVE,
} from "./instance.js";
import { Conn } from "./link.js";

export const HELLO_CHANNEL = "__sentinel__:hello";
/**
 * INFO period for replicas being promoted or reconfigured by our failover: 200 ms is two timer
 * ticks, cheap for the handful of replicas involved, and saves most of the 1 s INFO period
 * Redis waits at each of wait-promotion, reconf-inprog and reconf-done.
 */
export const RECONF_INFO_PERIOD = 200;
/** Stop queueing periodic commands to an instance with this many replies outstanding. */
export const SENTINEL_MAX_PENDING_COMMANDS = 100;

export class SentinelTimer {
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly s: Sentinel) {}

  start(): void {
    this.s.state.previousTime = Date.now();
    this.schedule();
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    const hz = 10 + Math.floor(Math.random() * 10);
    let delay = Math.floor(1000 / hz);
    // Keyhaven addition: wake up soon after a master's down-after period expires, at a random
    // point of the tick, so SDOWN is not seen a whole tick late. Not right at the deadline:
    // Sentinels that reset their links to a new master together (switch-master) ping it in step,
    // so their deadlines fall within a few ms; waking all at once, they reached ODOWN together,
    // each started a failover and voted for itself, and the split vote delayed the failover by
    // twice failover-timeout. Redis's random pace spreads them over a tick; so does this.
    const deadline = nextMasterDownDeadline(this.s);
    if (deadline !== null) {
      const jitter = Math.floor(Math.random() * delay);
      delay = Math.max(1, Math.min(delay, deadline - Date.now() + jitter));
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      try {
        sentinelTimer(this.s);
      } finally {
        this.schedule();
      }
    }, delay);
  }
}

/**
 * The earliest time (ms) at which a master not yet SDOWN would become SDOWN by the PING rule
 * of checkSubjectivelyDown (1 ms past down-after-milliseconds), or null.
 */
function nextMasterDownDeadline(s: Sentinel): number | null {
  let next: number | null = null;
  for (const m of s.state.masters.values()) {
    if (m.has(SRI_S_DOWN)) continue;
    const link = m.link;
    const since = link.actPingTime !== 0 ? link.actPingTime : link.disconnected ? link.lastAvailTime : 0;
    if (since === 0) continue;
    const at = since + m.downAfterPeriod + 1;
    if (next === null || at < next) next = at;
  }
  return next;
}

/** One pass of sentinelTimer. Exported for tests that drive it by hand. */
export function sentinelTimer(s: Sentinel): void {
  checkTiltCondition(s);
  handleInstances(s, s.state.masters);
  s.scripts.run(Date.now());
}

/** sentinelCheckTiltCondition: a clock jump or a pause longer than tiltTrigger enters TILT. */
function checkTiltCondition(s: Sentinel): void {
  const state = s.state;
  const now = Date.now();
  const delta = now - state.previousTime;
  if (delta < 0 || delta > state.timings.tiltTrigger) {
    state.tilt = true;
    state.tiltStartTime = now;
    sentinelEvent(s, "warning", "+tilt", null, "#tilt mode entered");
  }
  state.previousTime = now;
}

function handleInstances(s: Sentinel, instances: Map<string, Instance>): void {
  let switchToPromoted: Instance | null = null;
  for (const ri of [...instances.values()]) {
    handleInstance(s, ri);
    if (ri.has(SRI_MASTER)) {
      handleInstances(s, ri.slaves);
      handleInstances(s, ri.sentinels);
      if (ri.failoverState === FAILOVER_UPDATE_CONFIG) switchToPromoted = ri;
    }
  }
  if (switchToPromoted !== null) failoverSwitchToPromotedSlave(s, switchToPromoted);
}

/** sentinelHandleRedisInstance */
function handleInstance(s: Sentinel, ri: Instance): void {
  reconnectInstance(s, ri);
  sendPeriodicCommands(s, ri);
  const state = s.state;
  if (state.tilt) {
    if (Date.now() - state.tiltStartTime < state.timings.tiltPeriod) return;
    state.tilt = false;
    sentinelEvent(s, "warning", "-tilt", null, "#tilt mode exited");
  }
  checkSubjectivelyDown(s, ri);
  if (ri.has(SRI_MASTER)) {
    checkObjectivelyDown(s, ri);
    if (startFailoverIfNeeded(s, ri)) askMasterStateToOtherSentinels(s, ri, true);
    failoverStateMachine(s, ri);
    askMasterStateToOtherSentinels(s, ri, false);
  }
}

/**
 * The ODOWN / failover-start part of sentinelHandleRedisInstance's acting half, also run as
 * soon as another Sentinel's is-master-down answer arrives (down.ts). The state machine itself
 * keeps the timer's pace: as in Redis, at least one tick separates the replicas' fresh INFO
 * (requested once the master is ODOWN) from the replica selection.
 */
export function actOnMasterState(s: Sentinel, master: Instance): void {
  if (s.state.tilt || !master.has(SRI_S_DOWN) || master.failoverState > FAILOVER_WAIT_START) return;
  checkObjectivelyDown(s, master);
  if (startFailoverIfNeeded(s, master)) askMasterStateToOtherSentinels(s, master, true);
}

/** The credentials used towards `ri` (sentinelSendAuthIfNeeded). */
function authFor(s: Sentinel, ri: Instance): { user: string | null; pass: string | null } {
  if (ri.has(SRI_MASTER | SRI_SLAVE)) {
    const m = ri.masterOf;
    return { user: m.authUser, pass: m.authPass };
  }
  const state = s.state;
  if (state.sentinelAuthPass !== "") {
    return {
      user: state.sentinelAuthUser === "" ? null : state.sentinelAuthUser,
      pass: state.sentinelAuthPass,
    };
  }
  // Compatibility with old configs: requirepass is used both ways.
  const requirepass = s.server.config.str("requirepass");
  return { user: null, pass: requirepass === "" ? null : requirepass };
}

function sendAuthAndName(s: Sentinel, ri: Instance, conn: Conn, kind: "cmd" | "pubsub"): void {
  const { user, pass } = authFor(s, ri);
  if (pass !== null) {
    conn.send(user !== null ? [ri.mapCommand("AUTH"), user, pass] : [ri.mapCommand("AUTH"), pass], null);
  }
  conn.send([ri.mapCommand("CLIENT"), "SETNAME", `sentinel-${s.state.myid.slice(0, 8)}-${kind}`], null);
}

/** sentinelReconnectInstance */
function reconnectInstance(s: Sentinel, ri: Instance): void {
  const link = ri.link;
  if (!link.disconnected) return;
  if (ri.addr.port === 0) return; // An invalid address, until a hello tells us the real one.
  const now = Date.now();
  if (now - link.lastReconnTime < s.state.timings.pingPeriod) return;
  link.lastReconnTime = now;
  if (link.cc === null) {
    const cc = new Conn(ri.addr.ip, ri.addr.port);
    link.cc = cc;
    link.pendingCommands = 0;
    link.ccConnTime = now;
    cc.onClose = () => {
      if (link.cc === cc) link.closeConnection(cc);
    };
    sendAuthAndName(s, ri, cc, "cmd");
    sendPing(s, ri);
  }
  if (ri.has(SRI_MASTER | SRI_SLAVE) && link.pc === null) {
    const pc = new Conn(ri.addr.ip, ri.addr.port);
    link.pc = pc;
    link.pcConnTime = now;
    link.pcLastActivity = now;
    pc.onClose = () => {
      if (link.pc === pc) link.closeConnection(pc);
    };
    sendAuthAndName(s, ri, pc, "pubsub");
    const onHello = (reply: unknown) => {
      link.pcLastActivity = Date.now();
      if (Array.isArray(reply)) receiveHelloMessage(s, ri, reply);
    };
    pc.onPush = onHello;
    pc.send([ri.mapCommand("SUBSCRIBE"), HELLO_CHANNEL], onHello);
  }
  if (link.cc !== null && (ri.has(SRI_SENTINEL) || link.pc !== null)) link.disconnected = false;
}

/** sentinelSendPeriodicCommands */
function sendPeriodicCommands(s: Sentinel, ri: Instance): void {
  const link = ri.link;
  if (link.disconnected) return;
  // Do not pile up commands on an instance that stopped answering.
  if (link.pendingCommands >= SENTINEL_MAX_PENDING_COMMANDS) return;
  const t = s.state.timings;
  const now = Date.now();
  let infoPeriod = t.infoPeriod;
  // Replicas of a master that is down or failing over (or whose link is down) are watched every
  // second, to see a promotion or a reconfiguration as soon as it happens.
  if (
    ri.has(SRI_SLAVE) &&
    (ri.master!.has(SRI_O_DOWN | SRI_FAILOVER_IN_PROGRESS) || ri.masterLinkDownTime !== 0)
  ) {
    infoPeriod = 1000;
  }
  // Keyhaven addition: a replica we are promoting or reconfiguring right now is polled every
  // RECONF_INFO_PERIOD, so the failover moves on as soon as INFO shows the change instead of up
  // to a second later. Only the leader has such replicas, and only for the failover's length.
  if (
    ri.has(SRI_PROMOTED | SRI_RECONF_SENT | SRI_RECONF_INPROG) &&
    ri.master!.has(SRI_FAILOVER_IN_PROGRESS)
  ) {
    infoPeriod = RECONF_INFO_PERIOD;
  }
  const pingPeriod = Math.min(ri.downAfterPeriod, t.pingPeriod);
  if (!ri.has(SRI_SENTINEL) && (ri.infoRefresh === 0 || now - ri.infoRefresh > infoPeriod)) {
    sendInfo(s, ri);
  }
  if (now - link.lastPongTime > pingPeriod && now - link.lastPingTime > pingPeriod / 2) {
    sendPing(s, ri);
  }
  if (now - ri.lastPubTime > t.publishPeriod) sendHello(s, ri);
}

/** Sends INFO; its reply feeds refreshInstanceInfo (sentinelInfoReplyCallback). */
export function sendInfo(s: Sentinel, ri: Instance): boolean {
  return ri.link.command([ri.mapCommand("INFO")], (reply) => {
    if (typeof reply === "string") refreshInstanceInfo(s, ri, reply);
  });
}

/** sentinelSendPing: `actPingTime` keeps the oldest unanswered PING. */
export function sendPing(s: Sentinel, ri: Instance): boolean {
  const link = ri.link;
  const ok = link.command([ri.mapCommand("PING")], (reply) => pingReply(s, ri, reply));
  if (ok) {
    link.lastPingTime = Date.now();
    if (link.actPingTime === 0) link.actPingTime = link.lastPingTime;
  }
  return ok;
}

/** sentinelPingReplyCallback */
function pingReply(_s: Sentinel, ri: Instance, reply: unknown): void {
  if (reply === undefined) return;
  const link = ri.link;
  const text = typeof reply === "string" ? reply : reply instanceof Error ? reply.message : null;
  if (text !== null) {
    if (text.startsWith("PONG") || text.startsWith("LOADING") || text.startsWith("MASTERDOWN")) {
      link.lastAvailTime = Date.now();
      link.actPingTime = 0;
      if (ri.has(SRI_MASTER_REBOOT) && text.startsWith("PONG")) ri.flags &= ~SRI_MASTER_REBOOT;
    } else if (text.startsWith("BUSY") && ri.has(SRI_S_DOWN) && !ri.has(SRI_SCRIPT_KILL_SENT)) {
      // A long script makes the instance look down: try to kill it once.
      link.command([ri.mapCommand("SCRIPT"), "KILL"], null);
      ri.flags |= SRI_SCRIPT_KILL_SENT;
    }
  }
  link.lastPongTime = Date.now();
}

/** sentinelSendHello: publishes our hello on the instance's command link. */
export function sendHello(s: Sentinel, ri: Instance): boolean {
  const link = ri.link;
  if (link.disconnected || link.cc === null) return false;
  const payload = helloPayload(s, ri, link.cc);
  if (payload === null) return false;
  return link.command([ri.mapCommand("PUBLISH"), HELLO_CHANNEL, payload], (reply) => {
    if (reply !== undefined && !(reply instanceof Error)) ri.lastPubTime = Date.now();
  });
}

/** sentinelForceHelloUpdateForMaster: hello goes out on the next tick to the master and replicas. */
export function forceHelloUpdateForMaster(s: Sentinel, master: Instance): void {
  const back = s.state.timings.publishPeriod + 1;
  const force = (ri: Instance) => {
    if (ri.lastPubTime >= back) ri.lastPubTime -= back;
  };
  force(master);
  for (const r of master.slaves.values()) force(r);
  for (const r of master.sentinels.values()) force(r);
}
