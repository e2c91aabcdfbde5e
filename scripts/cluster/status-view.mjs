/**
 * What the cluster script shows of its nodes, from the last probe of each (`node.status`): a
 * server's INFO replication, a Sentinel's SENTINEL MASTER reply and current epoch. Pure functions
 * of that state; probing is the script's.
 */

import { clock } from "./terminal.mjs";

/** Sentinel events shown under each Sentinel's line. */
const EVENTS_SHOWN = 3;

/** The pid, then the faults injected into the node (faults.mjs sets `n.fault`), early enough to show. */
const pidColumn = (n) => `pid ${String(n.proc?.pid ?? "-").padEnd(7)}${n.fault ? ` [${n.fault}]` : ""}`;

/** The line of a node that gave no usable answer, or null when it did. */
function unavailable(n) {
  const s = n.status;
  if (s === null || s.down) return `  ${n.label}  ${pidColumn(n)} DOWN (${n.exited ?? "not started"})`;
  if (s.unreachable) return `  ${n.label}  ${pidColumn(n)} not answering`;
  if (s.error) return `  ${n.label}  ${pidColumn(n)} ${s.error}`;
  return null;
}

function serverLine(n, masterOffset) {
  const down = unavailable(n);
  if (down !== null) return down;
  const pid = pidColumn(n);
  const r = n.status.info;
  if (r.get("role") === "master") {
    const reps = [...r.entries()]
      .filter(([k]) => /^slave\d+$/.test(k))
      .map(([, v]) => {
        const f = Object.fromEntries(v.split(",").map((kv) => kv.split("=")));
        return `${f.port} ${f.state} lag ${f.lag}s`;
      });
    return `  ${n.label}  ${pid} master   offset ${r.get("master_repl_offset")}  replicas ${reps.length}${reps.length ? `: ${reps.join(", ")}` : ""}`;
  }
  const link = r.get("master_link_status");
  const offset = Number(r.get("slave_repl_offset"));
  const behind =
    masterOffset !== null && link === "up" ? `, ${Math.max(0, masterOffset - offset)} B behind` : "";
  const io = r.get("master_last_io_seconds_ago");
  const state =
    r.get("master_sync_in_progress") === "1"
      ? "syncing"
      : link === "up"
        ? `up, last io ${io}s`
        : `down ${r.get("master_link_down_since_seconds") ?? "?"}s`;
  return `  ${n.label}  ${pid} replica  of ${r.get("master_host")}:${r.get("master_port")}  link ${state}  offset ${offset}${behind}`;
}

function sentinelLines(n, masterName) {
  const lines = [];
  const down = unavailable(n);
  if (down !== null) lines.push(down);
  else {
    const s = n.status;
    const m = s.master;
    const state = m.flags === "master" ? "ok" : m.flags.replace(/^master,?/, "");
    const failover = m["failover-state"] !== undefined ? `  failover ${m["failover-state"]}` : "";
    lines.push(
      `  ${n.label}  ${pidColumn(n)} ${masterName} at ${m.ip}:${m.port} ${state}  epoch ${s.currentEpoch} (config ${m["config-epoch"]})  replicas ${m["num-slaves"]}  sentinels ${Number(m["num-other-sentinels"]) + 1}  quorum ${m.quorum}${failover}`,
    );
  }
  for (const e of n.events.slice(-EVENTS_SHOWN)) lines.push(`      ${clock(e.at)} ${e.text}`);
  return lines;
}

const mastersOf = (servers) => servers.filter((n) => n.status?.info?.get("role") === "master");

/**
 * The status block: a head line (where the Sentinels say the master is, or the servers that say
 * they are masters when there are no Sentinels), then a line per server and per Sentinel.
 */
export function statusLines(servers, sentinels, host, masterName) {
  const masters = mastersOf(servers);
  const masterOffset = masters.length === 1 ? Number(masters[0].status.info.get("master_repl_offset")) : null;
  const views = sentinels
    .filter((n) => n.status?.master !== undefined)
    .map((n) => `${n.status.master.ip}:${n.status.master.port}`);
  const agreed = views.length > 0 && views.every((v) => v === views[0]);
  let head = `${clock()}  ${masterName}: `;
  if (sentinels.length === 0) head += masters.map((n) => `${host}:${n.port}`).join(", ") || "no master";
  else if (views.length === 0) head += "no Sentinel answering";
  else
    head += agreed
      ? `${views[0]} (${views.length}/${sentinels.length} Sentinels agree)`
      : `Sentinels disagree: ${views.join(", ")}`;
  return [
    head,
    ...servers.map((n) => serverLine(n, masterOffset)),
    ...sentinels.flatMap((n) => sentinelLines(n, masterName)),
  ];
}

/** Every replica in sync with the one master, every Sentinel agreeing and knowing them all. */
export function isReady(servers, sentinels) {
  const masters = mastersOf(servers);
  if (masters.length !== 1) return false;
  const mp = String(masters[0].port);
  for (const n of servers) {
    if (n === masters[0]) continue;
    const r = n.status?.info;
    if (r?.get("master_port") !== mp || r.get("master_link_status") !== "up") return false;
  }
  return sentinels.every((n) => {
    const m = n.status?.master;
    return (
      m !== undefined &&
      m.port === mp &&
      m.flags === "master" &&
      Number(m["num-slaves"]) === servers.length - 1 &&
      Number(m["num-other-sentinels"]) === sentinels.length - 1
    );
  });
}
