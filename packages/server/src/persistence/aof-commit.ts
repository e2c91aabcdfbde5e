/**
 * appendfsync always as a pipelined group commit: the server's reply gate. Redis writes and
 * fsyncs the AOF in beforeSleep and only then writes the replies of the turn; the main thread
 * sleeps in fdatasync meanwhile. Here the turn's AOF bytes are written in beforeSleep as before,
 * but the fdatasync runs on the thread pool, and the replies of the turn wait in a group until it
 * ends. Commands of the next turns run during the fsync; their replies wait for the next fsync,
 * which starts when this one ends and covers every write made until then.
 *
 *   turn: commands ─► AOF write(2) ─► replies join `waiting`
 *   no fsync running and bytes not fsynced: `waiting` becomes `inFlight`, fdatasync starts
 *   fsync done ─► next beforeSleep: `inFlight` replies written, next group started
 *
 * Guarantee (as Redis's): no reply leaves before every AOF byte written before it is on disk, so
 * an acknowledged write survives a crash, and no reply (a read included) shows data that could
 * still be lost. A client of the group that got more output in a later turn (pipelining) moves to
 * the waiting group whole: its later replies need the later fsync.
 *
 * Without appendfsync always (or with nothing to fsync) replies leave at once, as without a gate.
 */

import type { Client } from "../network/client.js";
import type { Server } from "../server.js";
import type { AofWriter } from "./aof-writer.js";

export class GroupCommit {
  private readonly server: Server;
  private readonly writer: AofWriter;
  /** Clients with output produced after the running fsync started (or with none running). */
  private waiting: Client[] = [];
  /** Clients released when the running fsync ends, with their output size when it started. */
  private inFlight: Client[] = [];
  private marks: number[] = [];
  private running = false;
  /** The running fsync ended: the next beforeSleep releases `inFlight`. */
  private ended = false;

  constructor(server: Server, writer: AofWriter) {
    this.server = server;
    this.writer = writer;
  }

  /** The server's replyGate: runs at the end of every turn, after the AOF write. */
  readonly gate = (clients: Client[]): void => {
    if (this.ended) this.release();
    if (!this.running && this.waiting.length === 0 && !this.writer.commitOwed) {
      this.server.flushClients(clients);
      return;
    }
    for (let i = 0; i < clients.length; i++) this.waiting.push(clients[i]);
    if (this.running) return;
    if (this.writer.commitOwed) {
      this.start();
    } else {
      // Policy changed, or the AOF was turned off / fsynced in the turn: nothing to wait for.
      const ready = this.waiting;
      this.waiting = [];
      this.server.flushClients(ready);
    }
  };

  private start(): void {
    const group = this.waiting;
    this.waiting = this.inFlight;
    this.inFlight = group;
    const marks = this.marks;
    marks.length = group.length;
    for (let i = 0; i < group.length; i++) marks[i] = group[i].out.pendingBytes;
    this.running = true;
    this.writer.startCommit(this.onFsynced);
  }

  private readonly onFsynced = (): void => {
    this.running = false;
    this.ended = true;
    // Released at the end of the coming turn, after that turn's AOF write, so the next group
    // covers it too.
    this.server.scheduleBeforeSleep();
  };

  private release(): void {
    this.ended = false;
    const group = this.inFlight;
    const marks = this.marks;
    let ready = 0;
    for (let i = 0; i < group.length; i++) {
      const c = group[i];
      // Output added since the fsync started belongs to a later group (written elsewhere in
      // between, e.g. a replica's timer flush, the size shrank: still nothing lost by waiting).
      if (c.out.pendingBytes !== marks[i]) this.waiting.push(c);
      else group[ready++] = c;
    }
    group.length = ready;
    this.server.flushClients(group);
    group.length = 0;
    marks.length = 0;
  }
}
