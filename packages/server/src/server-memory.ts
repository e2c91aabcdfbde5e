/**
 * The server's memory figures as Redis reports them (used_memory and its parts, the peak, what
 * eviction leaves out), from the estimates the keyspace keeps (keyspace/memory.ts says what they
 * count) and the byte counts subsystems own, which they install in `hooks`.
 */

import type { Db } from "./keyspace/db.js";
import { CLIENT_OVERHEAD } from "./keyspace/memory.js";
import { type Client, ClientFlag } from "./network/client.js";

export class ServerMemory {
  /** used_memory_startup: the fixed overhead of an empty server, as Redis reports its own. */
  readonly startup = 900 * 1024;
  private peak = 0;
  /**
   * Byte counts owned by subsystems: the replication backlog, the AOF buffer, and every
   * replication buffer (backlog plus what waits for each replica: mem_total_replication_buffers).
   */
  readonly hooks = { backlog: () => 0, aofBuffer: () => 0, replicationBuffers: () => 0 };
  private readonly dbs: readonly Db[];
  private readonly clientList: ReadonlyMap<number, Client>;

  constructor(dbs: readonly Db[], clients: ReadonlyMap<number, Client>) {
    this.dbs = dbs;
    this.clientList = clients;
  }

  /**
   * used_memory: dataset plus the overheads Redis counts (clients, backlog, AOF buffer). A caller
   * holding a recent figure for the clients (eviction's per-tick check) passes it in.
   */
  used(clients = this.clients()): number {
    return this.startup + this.dataset() + clients + this.hooks.backlog() + this.hooks.aofBuffer();
  }

  dataset(): number {
    let n = 0;
    for (const db of this.dbs) n += db.usedMemory;
    return n;
  }

  /**
   * Connections (their fixed cost plus output and query buffers) of normal clients, of replicas,
   * or without `replicas`, of both.
   */
  clients(replicas?: boolean): number {
    let n = 0;
    for (const c of this.clientList.values()) {
      if (replicas !== undefined && c.has(ClientFlag.Replica) !== replicas) continue;
      n += CLIENT_OVERHEAD + c.outputBytes + c.parser.bufferedLength;
    }
    return n;
  }

  /** freeMemoryGetNotCountedMemory: replica output buffers and the AOF buffer. */
  notCountedForEvict(): number {
    return this.clients(true) + this.hooks.aofBuffer();
  }

  /** Records `used` if it is a new peak; returns the peak. */
  notePeak(used: number): number {
    if (used > this.peak) this.peak = used;
    return this.peak;
  }
}
