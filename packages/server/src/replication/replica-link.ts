/**
 * The state a master keeps for each client that talks to it as a replica (Redis keeps it in the
 * replica's `struct client`: replstate, repldboff, repl_ack_off...). Owned by master-side.ts and
 * full-sync.ts; see master-side.ts for the life of a replica (replstate).
 */

import type { ReplyWriter } from "@keyhaven/protocol";
import type { Client } from "../network/client.js";

export type ReplicaState = "wait_bgsave_start" | "wait_bgsave_end" | "send_bulk" | "online";

/** Per-connection replication state of a client that talks to us as a replica (client.replica). */
export class ReplicaLink {
  readonly client: Client;
  /**
   * The client's real output buffer. Replica clients run with CLIENT REPLY OFF (a replica must
   * never get a reply mixed into its stream), and dispatch swaps `client.out` for a discarding
   * writer while their own commands run; the stream must not go there (e.g. the first REPLCONF
   * ACK releasing the stream held since a diskless sync).
   */
  readonly out: ReplyWriter;
  /** In the replicas list (after SYNC/PSYNC). */
  attached = false;
  state: ReplicaState = "wait_bgsave_start";
  /** REPLCONF listening-port / ip-address. */
  listeningPort = 0;
  announcedIp: string | null = null;
  capaEof = false;
  capaPsync2 = false;
  /** REPLCONF rdb-only 1: wants the RDB and no stream (redis-cli --rdb). */
  rdbOnly = false;
  /**
   * REPLCONF rdb-filter-only (redis-cli --functions-rdb): an RDB without the keys, and without the
   * function libraries unless the filter names them (Redis's SLAVE_REQ_RDB_EXCLUDE_* bits).
   */
  excludeData = false;
  excludeFunctions = false;
  /** Came with SYNC (pre-PSYNC protocol): no +FULLRESYNC line, no acks expected. */
  prePsync = false;
  ackOffset = 0;
  /** When the last REPLCONF ACK arrived (ms). */
  ackTime = 0;
  psyncInitialOffset = -1;
  /** Stream bytes held while the RDB is produced and sent, or until the first ACK. */
  pending: Buffer[] = [];
  pendingBytes = 0;
  /** Online after a diskless sync, but the stream waits for the first REPLCONF ACK. */
  startStreamOnAck = false;
  /** Set while the full sync is diskless (this replica is a sink of the running snapshot). */
  diskless = false;
  /** Last time RDB bytes left for this replica (full sync timeouts). */
  lastProgress = 0;
  /** Releases what the full sync holds for this replica (snapshot sink, file stream). */
  releaseSync: (() => void) | null = null;

  constructor(client: Client) {
    this.client = client;
    this.out = client.out;
  }

  /** Where the replica says it can be reached (INFO slaveN ip=, ROLE, FAILOVER TO). */
  get ip(): string {
    if (this.announcedIp !== null) return this.announcedIp;
    const addr = this.client.addr;
    const colon = addr.lastIndexOf(":");
    return colon >= 0 ? addr.slice(0, colon).replace(/^::ffff:/, "") : addr;
  }

  /** replicationGetSlaveName: "ip:port" for logs. */
  get name(): string {
    return `${this.ip}:${this.listeningPort}`;
  }

  /** Asked for a filtered RDB: never a disk one, which is the dataset's (Redis's SLAVE_REQ_RDB_MASK). */
  get filtered(): boolean {
    return this.excludeData || this.excludeFunctions;
  }

  /** Wants the same RDB as `other`, so one snapshot can serve both (slave_req and RDB-only alike). */
  sameNeeds(other: ReplicaLink): boolean {
    return (
      this.rdbOnly === other.rdbOnly &&
      this.excludeData === other.excludeData &&
      this.excludeFunctions === other.excludeFunctions
    );
  }

  /** True when stream bytes go straight to the socket. */
  get streaming(): boolean {
    return this.state === "online" && !this.startStreamOnAck;
  }
}

/** The link state of `c`, created on first use (REPLCONF before SYNC). */
export function replicaLinkOf(c: Client): ReplicaLink {
  let link = c.replica as ReplicaLink | null;
  if (link === null) {
    link = new ReplicaLink(c);
    c.replica = link;
  }
  return link;
}
