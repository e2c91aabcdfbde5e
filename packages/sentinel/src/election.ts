/**
 * Leader election by epochs (sentinel.c sentinelVoteLeader, sentinelGetLeader,
 * sentinelStartFailoverIfNeeded, sentinelStartFailover).
 *
 * Invariants: a Sentinel votes at most once per epoch per master (the first request of an
 * epoch wins it), and adopts any higher epoch it hears of (+new-epoch). A candidate is elected
 * for epoch E when the votes it collected for E reach both an absolute majority of all known
 * Sentinels (including itself) and the master's quorum. A Sentinel that voted for someone else
 * waits 2 * failover-timeout before trying itself, as does one whose own attempt failed.
 *
 * Called by monitor.ts (start), failover.ts (wait-start asks who won) and commands.ts
 * (IS-MASTER-DOWN-BY-ADDR votes, SENTINEL FAILOVER).
 */

import { type Sentinel, sentinelEvent } from "./events.js";
import {
  FAILOVER_WAIT_START,
  type Instance,
  SENTINEL_MAX_DESYNC,
  SRI_FAILOVER_IN_PROGRESS,
  SRI_MASTER,
  SRI_O_DOWN,
} from "./instance.js";

/**
 * sentinelVoteLeader: votes for `reqRunid` in `reqEpoch` unless we already voted in that epoch.
 * Returns our vote for this master (possibly an earlier one) and its epoch.
 */
export function voteLeader(
  s: Sentinel,
  master: Instance,
  reqEpoch: number,
  reqRunid: string,
): { leader: string | null; epoch: number } {
  const state = s.state;
  let changed = false;
  if (reqEpoch > state.currentEpoch) {
    state.currentEpoch = reqEpoch;
    changed = true;
    sentinelEvent(s, "warning", "+new-epoch", master, `${state.currentEpoch}`, false);
  }
  if (master.leaderEpoch < reqEpoch && state.currentEpoch <= reqEpoch) {
    master.leader = reqRunid;
    master.leaderEpoch = state.currentEpoch;
    changed = true;
    sentinelEvent(s, "warning", "+vote-for-leader", master, `${master.leader} ${master.leaderEpoch}`, false);
    // Having voted for another Sentinel, leave it time to act before trying ourselves.
    if (master.leader.toLowerCase() !== state.myid.toLowerCase()) {
      master.failoverStartTime = Date.now() + Math.floor(Math.random() * SENTINEL_MAX_DESYNC);
    }
  }
  // The epoch and the vote are durable before anyone hears of them.
  if (changed) s.flushConfig(true);
  return { leader: master.leader, epoch: master.leaderEpoch };
}

/**
 * sentinelGetLeader: the runid elected for `epoch`, or null. Counts the votes the other
 * Sentinels reported (for the current epoch), casts our own vote (for the most voted, or
 * ourselves), then checks majority and quorum.
 */
export function getLeader(s: Sentinel, master: Instance, epoch: number): string | null {
  const state = s.state;
  const counters = new Map<string, number>();
  const voters = master.sentinels.size + 1;
  for (const ri of master.sentinels.values()) {
    if (ri.leader !== null && ri.leaderEpoch === state.currentEpoch) {
      counters.set(ri.leader, (counters.get(ri.leader) ?? 0) + 1);
    }
  }
  let winner: string | null = null;
  let maxVotes = 0;
  for (const [runid, votes] of counters) {
    if (votes > maxVotes) {
      maxVotes = votes;
      winner = runid;
    }
  }
  const mine = voteLeader(s, master, epoch, winner ?? state.myid);
  if (mine.leader !== null && mine.epoch === epoch) {
    const votes = (counters.get(mine.leader) ?? 0) + 1;
    counters.set(mine.leader, votes);
    if (votes > maxVotes) {
      maxVotes = votes;
      winner = mine.leader;
    }
  }
  const votersQuorum = Math.floor(voters / 2) + 1;
  if (winner !== null && (maxVotes < votersQuorum || maxVotes < master.quorum)) winner = null;
  return winner;
}

/** sentinelStartFailover: a new epoch of our own and the WAIT_START state. */
export function startFailover(s: Sentinel, master: Instance): void {
  const state = s.state;
  master.failoverState = FAILOVER_WAIT_START;
  master.flags |= SRI_FAILOVER_IN_PROGRESS;
  master.failoverEpoch = ++state.currentEpoch;
  sentinelEvent(s, "warning", "+new-epoch", master, `${state.currentEpoch}`, false);
  sentinelEvent(s, "warning", "+try-failover", master, "");
  master.failoverStartTime = Date.now() + Math.floor(Math.random() * SENTINEL_MAX_DESYNC);
  master.failoverStateChangeTime = Date.now();
}

/** sentinelStartFailoverIfNeeded: ODOWN, no failover running, and no recent attempt. */
export function startFailoverIfNeeded(s: Sentinel, master: Instance): boolean {
  if (!master.has(SRI_O_DOWN) || !master.has(SRI_MASTER)) return false;
  if (master.has(SRI_FAILOVER_IN_PROGRESS)) return false;
  if (Date.now() - master.failoverStartTime < master.failoverTimeout * 2) {
    if (master.failoverDelayLogged !== master.failoverStartTime) {
      const when = new Date(master.failoverStartTime + master.failoverTimeout * 2);
      master.failoverDelayLogged = master.failoverStartTime;
      s.server.logger.warning(`Next failover delay: I will not start a failover before ${ctime(when)}`);
    }
    return false;
  }
  startFailover(s, master);
  return true;
}

/** C's ctime() without the newline: "Tue Nov 24 19:40:38 2026". */
function ctime(d: Date): string {
  const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const p = (n: number) => String(n).padStart(2, "0");
  return `${days[d.getDay()]} ${months[d.getMonth()]} ${String(d.getDate()).padStart(2, " ")} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${d.getFullYear()}`;
}
