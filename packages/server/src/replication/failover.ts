/**
 * FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]: the coordinated failover of Redis 6.2+
 * (replication.c failoverCommand / updateFailoverStatus / abortFailover).
 *
 *   no-failover ─FAILOVER─► waiting-for-sync   (writes paused; pings and GETACK held so the
 *        ▲                        │              offsets stop moving)
 *        │            a replica acked our whole offset (or TIMEOUT passed with FORCE)
 *        │                        ▼
 *        ├──────────── failover-in-progress   (we become a replica of the target and send
 *        │    abort /      │                     PSYNC <replid> <offset> FAILOVER: the target
 *        │    rejected     │                     promotes itself and answers +CONTINUE)
 *        └─────────────────┘ psync accepted: writes resume, now as a replica
 *
 * TIMEOUT without FORCE aborts when no replica caught up in time; ABORT (or a refused PSYNC)
 * makes us a master again.
 */

import { shared } from "@keyhaven/protocol";
import { parseInteger } from "../commands/args.js";
import type { Client } from "../network/client.js";
import type { Server } from "../server.js";
import type { Replication } from "./replication.js";

export type FailoverState = "no-failover" | "waiting-for-sync" | "failover-in-progress";

export class Failover {
  private readonly repl: Replication;
  private readonly server: Server;
  state: FailoverState = "no-failover";
  private endTime = 0;
  private force = false;
  private targetHost: string | null = null;
  private targetPort = 0;

  constructor(repl: Replication) {
    this.repl = repl;
    this.server = repl.server;
  }

  /** failoverCommand. */
  command(c: Client): void {
    const argv = c.argv;
    if (argv.length === 2 && argv[1].toLowerCase() === "abort") {
      if (this.state === "no-failover") {
        c.error("ERR No failover in progress.");
        return;
      }
      this.abort("Failover manually aborted");
      c.out.raw(shared.OK);
      return;
    }
    let timeout = 0;
    let force = false;
    let host: string | null = null;
    let port = 0;
    for (let j = 1; j < argv.length; j++) {
      const opt = argv[j].toLowerCase();
      if (opt === "timeout" && j + 1 < argv.length && timeout === 0) {
        const n = parseInteger(argv[j + 1]);
        if (n === null) {
          c.error("ERR value is not an integer or out of range");
          return;
        }
        if (n <= 0) {
          c.error("ERR FAILOVER timeout must be greater than 0");
          return;
        }
        timeout = n;
        j++;
      } else if (opt === "to" && j + 2 < argv.length && host === null) {
        const n = parseInteger(argv[j + 2]);
        if (n === null) {
          c.error("ERR value is not an integer or out of range");
          return;
        }
        host = argv[j + 1];
        port = n;
        j += 2;
      } else if (opt === "force" && !force) {
        force = true;
      } else {
        c.error("ERR syntax error");
        return;
      }
    }
    if (this.state !== "no-failover") {
      c.error("ERR FAILOVER already in progress.");
      return;
    }
    if (this.repl.isReplica) {
      c.error("ERR FAILOVER is not valid when server is a replica.");
      return;
    }
    const master = this.repl.master;
    if (master.replicas.length === 0) {
      c.error("ERR FAILOVER requires connected replicas.");
      return;
    }
    if (force && (timeout === 0 || host === null)) {
      c.error("ERR FAILOVER with force option requires both a timeout and target HOST and IP.");
      return;
    }
    const logger = this.server.logger;
    if (host !== null) {
      const replica = master.findReplica(host, port);
      if (replica === null) {
        c.error("ERR FAILOVER target HOST and PORT is not a replica.");
        return;
      }
      if (replica.state !== "online") {
        c.error("ERR FAILOVER target replica is not online.");
        return;
      }
      this.targetHost = host;
      this.targetPort = port;
      logger.notice(`FAILOVER requested to ${host}:${port}.`);
    } else {
      logger.notice("FAILOVER requested to any replica.");
    }
    this.endTime = timeout > 0 ? Date.now() + timeout : 0;
    this.force = force;
    this.state = "waiting-for-sync";
    this.server.pause("write", Number.MAX_SAFE_INTEGER);
    c.out.raw(shared.OK);
  }

  /** updateFailoverStatus: runs before each sleep while waiting for a replica to catch up. */
  update(): void {
    if (this.state !== "waiting-for-sync") return;
    const master = this.repl.master;
    const offset = this.repl.state.masterReplOffset;
    if (this.endTime !== 0 && this.endTime <= Date.now()) {
      if (this.force) {
        this.server.logger.notice(
          `FAILOVER to ${this.targetHost}:${this.targetPort} time out exceeded, failing over.`,
        );
        this.state = "failover-in-progress";
        this.repl.replica.setMaster(this.targetHost!, this.targetPort);
      } else {
        this.abort("Replica never caught up before timeout");
      }
      return;
    }
    let replica = null;
    if (this.targetHost !== null) {
      replica = master.findReplica(this.targetHost, this.targetPort);
    } else {
      for (const r of master.replicas) {
        if (r.ackOffset === offset) {
          replica = r;
          this.targetHost = r.ip;
          this.targetPort = r.listeningPort;
          break;
        }
      }
    }
    if (replica !== null && replica.ackOffset === offset) {
      this.state = "failover-in-progress";
      this.server.logger.notice(
        `Failover target ${this.targetHost}:${this.targetPort} is synced, failing over.`,
      );
      this.repl.replica.setMaster(this.targetHost!, this.targetPort);
    }
  }

  /** abortFailover: back to a writable master. */
  abort(reason: string): void {
    if (this.state === "no-failover") return;
    const target = this.targetHost !== null ? `${this.targetHost}:${this.targetPort}` : "any replica";
    this.server.logger.notice(`FAILOVER to ${target} aborted: ${reason}`);
    if (this.state === "failover-in-progress") this.repl.replica.unsetMaster();
    this.clear();
  }

  /** clearFailoverState: the failover ended (either way); writes resume. */
  clear(): void {
    this.endTime = 0;
    this.force = false;
    this.targetHost = null;
    this.targetPort = 0;
    this.state = "no-failover";
    this.server.unpause();
  }
}
