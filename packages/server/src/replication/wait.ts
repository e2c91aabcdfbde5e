/**
 * WAIT numreplicas timeout (replication.c waitCommand / processClientsWaitingReplicas): blocks
 * until `numreplicas` replicas acknowledged every write this client made, or the timeout (ms, 0
 * = forever) passes, and replies how many did. A REPLCONF GETACK is put in the stream so the
 * replicas answer at once instead of at their next once-a-second ACK.
 *
 * The offset waited for is master_repl_offset when WAIT runs: it covers the client's own writes
 * (propagated when each of its commands ended) and possibly a few of other clients' (Redis keeps
 * a per-client c->woff; the result differs only when other clients write concurrently and a
 * replica acked this client's writes but not theirs yet).
 */

import { parseInteger } from "../commands/args.js";
import { clock } from "../keyspace/clock.js";
import { type Client, ClientFlag } from "../network/client.js";
import type { Replication } from "./replication.js";

export function waitCommand(repl: Replication, c: Client): void {
  if (repl.isReplica) {
    c.error(
      "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.",
    );
    return;
  }
  const numreplicas = parseInteger(c.argv[1]);
  if (numreplicas === null) {
    c.error("ERR value is not an integer or out of range");
    return;
  }
  const timeout = parseInteger(c.argv[2]);
  if (timeout === null) {
    c.error("ERR timeout is not an integer or out of range");
    return;
  }
  if (timeout < 0) {
    c.error("ERR timeout is negative");
    return;
  }
  const master = repl.master;
  const offset = repl.state.masterReplOffset;
  const acked = master.countAcks(offset);
  if (acked >= numreplicas || (c.flags & (ClientFlag.Multi | ClientFlag.InExec)) !== 0) {
    c.out.integer(acked);
    return;
  }
  const blocking = c.server.blocking;
  blocking.blockGeneric(
    c,
    timeout === 0 ? 0 : clock.ms + timeout,
    (x) => {
      const n = master.countAcks(offset);
      if (n < numreplicas) return false;
      x.out.integer(n);
      return true;
    },
    (x) => x.out.integer(master.countAcks(offset)),
  );
  master.getAckRequested = true;
}
