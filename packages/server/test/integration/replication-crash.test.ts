/**
 * Crash test across replication and AOF: a master with `appendonly yes, appendfsync always` and a
 * replica (AOF on too), two writers each sending `SET` then `WAIT 1 <ms>`, and SIGKILL of the
 * master at a random moment, round after round. Each round ends one of two ways:
 * - promotion: REPLICAOF NO ONE on the replica; every write WAIT acknowledged (and everything both
 *   nodes held before the round) is on the promoted replica. The killed master restarts from its
 *   AOF as the new master's replica (a full sync replaces what only it had).
 * - restart: the master restarts from its AOF on the same port; every write it acknowledged is
 *   there. The replica reconnects by itself.
 * The figures (writes acknowledged by the master, by WAIT, missing, and master-only writes a
 * promotion dropped, which is allowed) are printed. Bounded: ROUNDS rounds of WRITE_MS at most.
 * Runs against Keyhaven, or against real Redis with KEYHAVEN_TEST_TARGET=redis.
 */

import { afterEach, describe, expect, it } from "vitest";
import {
  expectOk,
  info,
  type Node,
  type RespClient,
  rng,
  startNode,
  stopNodes,
  waitFor,
  waitInSync,
} from "./replication-helpers.js";

const ROUNDS = 8;
/** The master is killed between KILL_MIN_MS and KILL_MAX_MS after the writers start. */
const KILL_MIN_MS = 150;
const KILL_MAX_MS = 450;
const WAIT_TIMEOUT_MS = 1000;
const AOF_ARGS = ["--appendonly", "yes", "--appendfsync", "always"];

let nodes: Node[] = [];
afterEach(async () => {
  await stopNodes(...nodes);
  nodes = [];
});

interface WriterResult {
  /** key -> value of every SET the master answered OK. */
  masterAcked: Map<string, string>;
  /** The subset a following WAIT 1 confirmed on the replica. */
  waitAcked: Map<string, string>;
}

/** SET then WAIT 1, until the connection dies (the master is killed) or `stop` is set. */
async function writer(
  c: RespClient,
  prefix: string,
  out: WriterResult,
  stop: { now: boolean },
): Promise<void> {
  const unconfirmed: [string, string][] = [];
  for (let i = 0; !stop.now && i < 100_000; i++) {
    const key = `${prefix}:${i}`;
    const value = `v${i}-${prefix}`;
    const set = await c.call("SET", key, value);
    if (set !== "OK") return;
    out.masterAcked.set(key, value);
    unconfirmed.push([key, value]);
    const acked = await c.call("WAIT", "1", String(WAIT_TIMEOUT_MS));
    if (typeof acked !== "number") return;
    if (acked >= 1) {
      // WAIT covers every earlier write of this connection.
      for (const [k, v] of unconfirmed.splice(0)) out.waitAcked.set(k, v);
    }
  }
}

/** Keys of `expected` whose value on `n` differs (missing or wrong). */
async function missingOn(n: Node, expected: Map<string, string>): Promise<string[]> {
  const keys = [...expected.keys()];
  const missing: string[] = [];
  for (let i = 0; i < keys.length; i += 500) {
    const batch = keys.slice(i, i + 500);
    const values = (await n.c.call("MGET", ...batch)) as (string | null)[];
    batch.forEach((k, j) => {
      if (values[j] !== expected.get(k)) missing.push(k);
    });
  }
  return missing;
}

/** Waits until the replica caught up and its AOF is complete (no rewrite pending after a sync). */
async function settled(master: Node, replica: Node): Promise<void> {
  await waitInSync(master, replica);
  await waitFor(async () => {
    const p = await info(replica.c, "persistence");
    return p.get("aof_rewrite_in_progress") === "0" && p.get("aof_rewrite_scheduled") === "0";
  }, "the replica's AOF rewrite after its sync");
}

describe("crash of the master with AOF (appendfsync always) and a replica", () => {
  it("no acknowledged write is lost: WAIT-acknowledged ones survive a promotion, master-acknowledged ones a restart", async () => {
    const rand = rng(20240607);
    let master = await startNode(AOF_ARGS);
    let replica = await startNode([...AOF_ARGS, "--replicaof", "127.0.0.1", String(master.port)]);
    nodes = [master, replica];
    await settled(master, replica);
    /** Every write both nodes are known to hold. */
    const committed = new Map<string, string>();
    const figures = {
      promotion: { rounds: 0, masterAcked: 0, waitAcked: 0, missing: 0, droppedUnreplicated: 0 },
      restart: { rounds: 0, masterAcked: 0, waitAcked: 0, missing: 0 },
    };

    for (let round = 0; round < ROUNDS; round++) {
      const promote = round % 2 === 0;
      const result: WriterResult = { masterAcked: new Map(), waitAcked: new Map() };
      const stop = { now: false };
      const clients = [await master.proc.client(), await master.proc.client()];
      const writers = clients.map((c, w) => writer(c, `r${round}w${w}`, result, stop));
      await new Promise((r) => setTimeout(r, KILL_MIN_MS + rand() * (KILL_MAX_MS - KILL_MIN_MS)));
      const { port, proc } = master;
      process.kill(proc.pid, "SIGKILL");
      await proc.exited;
      await Promise.all(writers);
      stop.now = true;
      for (const c of clients) c.close();
      master.c.close();
      nodes = nodes.filter((n) => n !== master);
      expect(result.waitAcked.size).toBeGreaterThan(0);

      if (promote) {
        expectOk(await replica.c.call("REPLICAOF", "NO", "ONE"));
        const required = new Map([...committed, ...result.waitAcked]);
        const missing = await missingOn(replica, required);
        const notReplicated = await missingOn(replica, result.masterAcked);
        figures.promotion.rounds++;
        figures.promotion.masterAcked += result.masterAcked.size;
        figures.promotion.waitAcked += result.waitAcked.size;
        figures.promotion.missing += missing.length;
        figures.promotion.droppedUnreplicated += notReplicated.length;
        expect(missing).toEqual([]);
        // What the promoted replica holds of this round is the dataset from now on.
        const lost = new Set(notReplicated);
        for (const [k, v] of result.masterAcked) if (!lost.has(k)) committed.set(k, v);
        const old = await startNode(
          [...AOF_ARGS, "--replicaof", "127.0.0.1", String(replica.port)],
          undefined,
          {
            port,
            dir: proc.dir,
          },
        );
        nodes.push(old);
        [master, replica] = [replica, old];
      } else {
        const restarted = await startNode(AOF_ARGS, undefined, { port, dir: proc.dir });
        nodes.push(restarted);
        const required = new Map([...committed, ...result.masterAcked]);
        const missing = await missingOn(restarted, required);
        figures.restart.rounds++;
        figures.restart.masterAcked += result.masterAcked.size;
        figures.restart.waitAcked += result.waitAcked.size;
        figures.restart.missing += missing.length;
        expect(missing).toEqual([]);
        for (const [k, v] of result.masterAcked) committed.set(k, v);
        master = restarted;
      }
      await settled(master, replica);
      expect(await missingOn(replica, committed)).toEqual([]);
    }
    console.log(`replication+AOF crash test: ${JSON.stringify(figures)}`);
    expect(figures.promotion.missing + figures.restart.missing).toBe(0);
  });
});
