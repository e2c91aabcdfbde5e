/**
 * Replication introspection with Redis 7.0's exact shapes: INFO replication (genRedisInfoString's
 * "Replication" section, field by field in Redis's order) and ROLE. Sentinel, redis-cli and
 * client libraries parse both, so names, order and formats are part of the protocol.
 */

import type { Client } from "../network/client.js";
import type { Replication } from "./replication.js";

/** The INFO replication lines. */
export function replicationInfo(repl: Replication): string[] {
  const server = repl.server;
  const config = server.config;
  const side = repl.replica;
  const master = repl.master;
  const state = repl.state;
  const now = Date.now();
  const lines: string[] = [];
  if (side.masterHost === null) {
    lines.push("role:master");
  } else {
    const link = side.masterClient;
    const cached = side.cachedMaster;
    const connected = side.linkState === "connected";
    let reploff = 1;
    let readReploff = 1;
    if (link !== null) {
      reploff = link.reploff;
      readReploff = link.readReploff;
    } else if (cached !== null) {
      reploff = cached.reploff;
      readReploff = cached.readReploff;
    }
    lines.push(
      "role:slave",
      `master_host:${side.masterHost}`,
      `master_port:${side.masterPort}`,
      `master_link_status:${connected ? "up" : "down"}`,
      `master_last_io_seconds_ago:${link !== null ? Math.floor((now - link.lastInteraction) / 1000) : -1}`,
      `master_sync_in_progress:${side.linkState === "transfer" ? 1 : 0}`,
      `slave_read_repl_offset:${readReploff}`,
      `slave_repl_offset:${reploff}`,
    );
    const transfer = side.transfer;
    if (side.linkState === "transfer" && transfer !== null) {
      // As Redis computes it, also for an EOF-marked transfer (size -1).
      const perc = transfer.size !== 0 ? (transfer.read / transfer.size) * 100 : 0;
      lines.push(
        `master_sync_total_bytes:${transfer.size}`,
        `master_sync_read_bytes:${transfer.read}`,
        `master_sync_left_bytes:${transfer.size - transfer.read}`,
        `master_sync_perc:${perc.toFixed(2)}`,
        `master_sync_last_io_seconds_ago:${transfer.lastIoSecondsAgo}`,
      );
    }
    if (!connected) {
      lines.push(
        `master_link_down_since_seconds:${side.downSince !== 0 ? Math.floor((now - side.downSince) / 1000) : -1}`,
      );
    }
    lines.push(
      `slave_priority:${config.num("replica-priority")}`,
      `slave_read_only:${config.bool("replica-read-only") ? 1 : 0}`,
      `replica_announced:${config.bool("replica-announced") ? 1 : 0}`,
    );
  }
  lines.push(`connected_slaves:${master.replicas.length}`);
  if (config.num("min-replicas-to-write") > 0 && config.num("min-replicas-max-lag") > 0) {
    lines.push(`min_slaves_good_slaves:${master.goodReplicas}`);
  }
  let i = 0;
  for (const r of master.replicas) {
    const lag = r.state === "online" ? Math.floor(now / 1000) - Math.floor(r.ackTime / 1000) : 0;
    lines.push(
      `slave${i++}:ip=${r.ip},port=${r.listeningPort},state=${r.state === "wait_bgsave_start" || r.state === "wait_bgsave_end" ? "wait_bgsave" : r.state},offset=${r.ackOffset},lag=${lag}`,
    );
  }
  const backlog = state.backlog;
  lines.push(
    `master_failover_state:${repl.failover.state}`,
    `master_replid:${state.replId}`,
    `master_replid2:${state.replId2}`,
    `master_repl_offset:${state.masterReplOffset}`,
    `second_repl_offset:${state.secondReplOffset}`,
    `repl_backlog_active:${backlog !== null ? 1 : 0}`,
    `repl_backlog_size:${state.backlogSize}`,
    `repl_backlog_first_byte_offset:${backlog !== null ? backlog.firstOffset : 0}`,
    `repl_backlog_histlen:${backlog !== null ? backlog.histlen : 0}`,
  );
  return lines;
}

/** roleCommand: ["master", offset, [[ip, port, ack], ...]] or ["slave", host, port, state, offset]. */
export function roleReply(repl: Replication, c: Client): void {
  const out = c.out;
  const side = repl.replica;
  if (side.masterHost === null) {
    const online = repl.master.onlineReplicas();
    out.arrayHeader(3);
    out.bulk("master");
    out.integer(repl.state.masterReplOffset);
    out.arrayHeader(online.length);
    for (const r of online) {
      out.arrayHeader(3);
      out.bulk(r.ip);
      out.bulk(String(r.listeningPort));
      out.bulk(String(r.ackOffset));
    }
    return;
  }
  let linkState: string;
  switch (side.linkState) {
    case "connect":
      linkState = "connect";
      break;
    case "connecting":
      linkState = "connecting";
      break;
    case "transfer":
      linkState = "sync";
      break;
    case "connected":
      linkState = "connected";
      break;
    case "none":
      linkState = "none";
      break;
    default:
      linkState = "handshake";
  }
  out.arrayHeader(5);
  out.bulk("slave");
  out.bulk(side.masterHost);
  out.integer(side.masterPort);
  out.bulk(linkState);
  out.integer(side.masterClient !== null ? side.masterClient.reploff : -1);
}
