/**
 * WAIT numreplicas timeout (replication.c waitCommand / processClientsWaitingReplicas): blocks
 * until `numreplicas` replicas acknowledged every write this client made, or the timeout (ms, 0
 * = forever) passes, and replies how many did. A REPLCONF GETACK is put in the stream so the
 * replicas answer at once instead of at their next once-a-second ACK.
 *
 * The offset waited for is the client's own c->woff (master_repl_offset right after its last
 * propagated write, see MasterSide.feedCommand), not the global one: with several writers, a
 * client whose writes the replicas already acknowledged is not held by other clients' later ones.
 * A client that never wrote has woff 0 and is answered at once with every online replica.
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
  const offset = c.woff;
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
