/**
 * What users and Sentinel see of replication besides the data: WAIT counts, min-replicas-to-write
 * (NOREPLICAS), READONLY replicas, MASTERDOWN with replica-serve-stale-data no, expired keys on a
 * replica (hidden, deleted only by the master's DEL), FAILOVER, REPLICAOF/REPLCONF/SYNC errors,
 * DEBUG CHANGE-REPL-ID, CONFIG SET repl-backlog-size, announced address and priority.
 * Runs against Keyhaven, or against real Redis with KEYHAVEN_TEST_TARGET=redis.
 */

import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  errorText,
  expectOk,
  freePortFor,
  info,
  type Node,
  NodesPerTest,
  RespClient,
  replicate,
  sleep,
  waitFor,
  waitInfo,
  waitInSync,
} from "./replication-helpers.js";

const nodes = new NodesPerTest();
const start = nodes.start;

async function pair(masterArgs: string[] = [], replicaArgs: string[] = []): Promise<[Node, Node]> {
  const master = await start(masterArgs);
  const replica = await start(replicaArgs);
  await replicate(replica, master);
  return [master, replica];
}

describe("WAIT", () => {
  it("returns how many replicas acknowledged the client's writes", async () => {
    const master = await start();
    const r1 = await start();
    const r2 = await start();
    expect(await master.c.call("WAIT", "0", "0")).toBe(0);
    expect(await master.c.call("WAIT", "1", "100")).toBe(0);
    await replicate(r1, master);
    await replicate(r2, master);
    expectOk(await master.c.call("SET", "k", "v"));
    expect(await master.c.call("WAIT", "2", "5000")).toBe(2);
    expectOk(await master.c.call("SET", "k", "w"));
    expect(await master.c.call("WAIT", "1", "5000")).toBeGreaterThanOrEqual(1);
    // Asking for more replicas than exist waits for the timeout, then counts.
    const t0 = Date.now();
    expect(await master.c.call("WAIT", "3", "300")).toBe(2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    // Inside MULTI it never blocks (the count may miss the GETACK the last WAIT added).
    expectOk(await master.c.call("MULTI"));
    expect(await master.c.call("WAIT", "5", "0")).toBe("QUEUED");
    const [count] = (await master.c.call("EXEC")) as number[];
    expect(count).toBeGreaterThanOrEqual(0);
    expect(count).toBeLessThanOrEqual(2);
  });

  it("waits for the calling client's own writes, not for other clients' later ones", async () => {
    const [master, replica] = await pair();
    const a = master.c;
    const b = await master.proc.client();
    try {
      expectOk(await a.call("SET", "a", "1"));
      expect(await a.call("WAIT", "1", "5000")).toBe(1);
      // The replica stops reading: nothing written from now on can be acknowledged.
      process.kill(replica.proc.pid, "SIGSTOP");
      expectOk(await b.call("SET", "b", "1"));
      // A's write was acknowledged before B's: A is not held by B's (Redis's per-client c->woff).
      // Waiting for master_repl_offset instead would time out and count 0.
      expect(await a.call("WAIT", "1", "3000")).toBe(1);
      expect(await b.call("WAIT", "1", "200")).toBe(0);
      // A client that never wrote waits for nothing.
      const fresh = await master.proc.client();
      expect(await fresh.call("WAIT", "1", "3000")).toBe(1);
      fresh.close();
      process.kill(replica.proc.pid, "SIGCONT");
      expect(await b.call("WAIT", "1", "5000")).toBe(1);
    } finally {
      if (replica.proc.proc.exitCode === null) process.kill(replica.proc.pid, "SIGCONT");
      b.close();
    }
  });

  it("after a promotion, counts a replica that reconnects while it waits (GETACK waits in the backlog)", async () => {
    const old = await start();
    const promoted = await start();
    const other = await start();
    await replicate(promoted, old);
    await replicate(other, old);
    expectOk(await old.c.call("SET", "k", "v"));
    await waitInSync(old, promoted);
    await waitInSync(old, other);
    await old.proc.kill();
    nodes.forget(old);
    expectOk(await promoted.c.call("REPLICAOF", "NO", "ONE"));
    expectOk(await promoted.c.call("SET", "k", "w"));
    const before = Number((await info(promoted.c, "replication")).get("master_repl_offset"));
    // No replica is attached yet: the GETACK still goes into the backlog (37 bytes), as Redis's
    // replicationFeedSlaves does whenever a backlog exists.
    const waiter = await promoted.proc.client();
    const counted = waiter.call("WAIT", "1", "0");
    await waitInfo(promoted.c, "replication", "master_repl_offset", (v) => Number(v) === before + 37);
    // The replica reconnects with PSYNC, reads the GETACK from the backlog and answers at once.
    expectOk(await other.c.call("REPLICAOF", "127.0.0.1", String(promoted.port)));
    const reply = await Promise.race([counted, sleep(10_000).then(() => "no reply in 10 s")]);
    expect(reply).toBe(1);
    expect((await info(promoted.c, "stats")).get("sync_partial_ok")).toBe("1");
    waiter.close();
  });

  it("argument errors, and refused on a replica", async () => {
    const [master, replica] = await pair();
    expect(errorText(await master.c.call("WAIT", "x", "0"))).toBe(
      "ERR value is not an integer or out of range",
    );
    expect(errorText(await master.c.call("WAIT", "1", "x"))).toBe(
      "ERR timeout is not an integer or out of range",
    );
    expect(errorText(await master.c.call("WAIT", "1", "-1"))).toBe("ERR timeout is negative");
    expect(errorText(await replica.c.call("WAIT", "1", "0"))).toBe(
      "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.",
    );
  });
});

describe("min-replicas-to-write", () => {
  it("refuses writes while too few replicas are connected, accepts them when they return", async () => {
    const master = await start(["--min-replicas-to-write", "1", "--min-replicas-max-lag", "10"]);
    expect(errorText(await master.c.call("SET", "a", "1"))).toBe(
      "NOREPLICAS Not enough good replicas to write.",
    );
    // Reads are fine.
    expect(await master.c.call("GET", "a")).toBeNull();
    const replica = await start();
    await replicate(replica, master);
    await waitInfo(master.c, "replication", "min_slaves_good_slaves", (v) => v === "1");
    expectOk(await master.c.call("SET", "a", "1"));
    // The replica goes away: writes are refused again.
    expectOk(await replica.c.call("REPLICAOF", "127.0.0.1", String(await freePortFor())));
    await waitFor(
      async () =>
        errorText(await master.c.call("SET", "a", "2")) === "NOREPLICAS Not enough good replicas to write.",
      "NOREPLICAS after the replica left",
    );
    // Refused when queued, so the transaction aborts.
    expectOk(await master.c.call("MULTI"));
    expect(errorText(await master.c.call("SET", "a", "3"))).toBe(
      "NOREPLICAS Not enough good replicas to write.",
    );
    expect(errorText(await master.c.call("EXEC"))).toBe(
      "EXECABORT Transaction discarded because of previous errors.",
    );
    // It comes back.
    expectOk(await replica.c.call("REPLICAOF", "127.0.0.1", master.port));
    await waitInSync(master, replica);
    await waitFor(async () => (await master.c.call("SET", "a", "4")) === "OK", "writes accepted again");
    await waitInSync(master, replica);
    expect(await replica.c.call("GET", "a")).toBe("4");
    // CONFIG SET min-replicas-to-write 0 lifts the rule.
    expectOk(await master.c.call("CONFIG", "SET", "min-replicas-to-write", "0"));
    expect((await info(master.c, "replication")).has("min_slaves_good_slaves")).toBe(false);
  });
});

describe("replica behaviour", () => {
  it("refuses writes (READONLY) unless replica-read-only no, and serves reads", async () => {
    const [master, replica] = await pair();
    expectOk(await master.c.call("SET", "k", "v"));
    await waitInSync(master, replica);
    expect(await replica.c.call("GET", "k")).toBe("v");
    expect(errorText(await replica.c.call("SET", "k", "x"))).toBe(
      "READONLY You can't write against a read only replica.",
    );
    expect(errorText(await replica.c.call("DEL", "k"))).toBe(
      "READONLY You can't write against a read only replica.",
    );
    expectOk(await replica.c.call("CONFIG", "SET", "replica-read-only", "no"));
    // A writable replica's own writes stay local: they are not propagated to its replicas.
    expectOk(await replica.c.call("SET", "local", "1"));
    expect(await master.c.call("GET", "local")).toBeNull();
    expect((await info(replica.c, "replication")).get("slave_read_only")).toBe("0");
  });

  it("PUBLISH and SPUBLISH reach the replica's subscribers", async () => {
    const [master, replica] = await pair();
    const sub = await RespClient.connect(replica.port);
    try {
      expect(await sub.call("SUBSCRIBE", "news")).toEqual(["subscribe", "news", 1]);
      expect(await sub.call("SSUBSCRIBE", "shard-news")).toEqual(["ssubscribe", "shard-news", 1]);
      // No subscriber on the master itself: the replica's are reached through replication.
      expect(await master.c.call("PUBLISH", "news", "one")).toBe(0);
      expect(await master.c.call("SPUBLISH", "shard-news", "two")).toBe(0);
      expect(await sub.waitPushed(2)).toEqual([
        ["message", "news", "one"],
        ["smessage", "shard-news", "two"],
      ]);
    } finally {
      sub.close();
    }
  });

  it("MASTERDOWN while the link is down with replica-serve-stale-data no", async () => {
    const [master, replica] = await pair([], ["--replica-serve-stale-data", "no"]);
    expectOk(await master.c.call("SET", "k", "v"));
    await waitInSync(master, replica);
    expect(await replica.c.call("GET", "k")).toBe("v");
    expectOk(await replica.c.call("REPLICAOF", "127.0.0.1", String(await freePortFor())));
    expect(errorText(await replica.c.call("GET", "k"))).toBe(
      "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
    );
    // Only commands flagged stale answer (INFO, ROLE, CONFIG...; not even PING).
    expect(errorText(await replica.c.call("PING"))).toBe(
      "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
    );
    expect(((await replica.c.call("ROLE")) as unknown[])[0]).toBe("slave");
    expect((await info(replica.c, "replication")).get("master_link_status")).toBe("down");
    expectOk(await replica.c.call("CONFIG", "SET", "replica-serve-stale-data", "yes"));
    expect(await replica.c.call("GET", "k")).toBe("v");
  });

  it("hides expired keys but deletes them only when the master's DEL arrives", async () => {
    const [master, replica] = await pair();
    expectOk(await master.c.call("DEBUG", "SET-ACTIVE-EXPIRE", "0"));
    expectOk(await master.c.call("SET", "gone", "v", "PX", "100"));
    expectOk(await master.c.call("SET", "kept", "v"));
    await waitInSync(master, replica);
    await sleep(200);
    expect(await replica.c.call("GET", "gone")).toBeNull();
    expect(await replica.c.call("EXISTS", "gone")).toBe(0);
    expect(await replica.c.call("DBSIZE")).toBe(2);
    // The master expires it on access and propagates DEL.
    expect(await master.c.call("GET", "gone")).toBeNull();
    await waitInSync(master, replica);
    expect(await replica.c.call("DBSIZE")).toBe(1);
  });

  it("SYNC on a replica whose link is down; REPLICAOF errors and no-ops", async () => {
    const replica = await start();
    expectOk(await replica.c.call("REPLICAOF", "127.0.0.1", String(await freePortFor())));
    const probe = await RespClient.connect(replica.port);
    expect(errorText(await probe.call("PSYNC", "?", "-1"))).toBe(
      "NOMASTERLINK Can't SYNC while not connected with my master",
    );
    probe.close();
    expect(errorText(await replica.c.call("REPLICAOF", "127.0.0.1", "abc"))).toBe("ERR Invalid master port");
    expect(errorText(await replica.c.call("REPLICAOF", "127.0.0.1", "70000"))).toBe(
      "ERR Invalid master port",
    );
    expect(errorText(await replica.c.call("REPLICAOF", "127.0.0.1"))).toBe(
      "ERR wrong number of arguments for 'replicaof' command",
    );
    const role = (await replica.c.call("ROLE")) as unknown[];
    expect(await replica.c.call("REPLICAOF", "127.0.0.1", String(role[2]))).toBe(
      "OK Already connected to specified master",
    );
    expect(await replica.c.call("CONFIG", "GET", "replicaof")).toEqual(["replicaof", `127.0.0.1 ${role[2]}`]);
    expect(errorText(await replica.c.call("CONFIG", "SET", "replicaof", "127.0.0.1 1"))).toBe(
      "ERR CONFIG SET failed (possibly related to argument 'replicaof') - can't set immutable config",
    );
    expect(await replica.c.call("SLAVEOF", "NO", "ONE")).toBe("OK");
    expect(await replica.c.call("CONFIG", "GET", "replicaof")).toEqual(["replicaof", ""]);
    expect(await replica.c.call("SLAVEOF", "NO", "ONE")).toBe("OK");
    expect(((await replica.c.call("ROLE")) as unknown[])[0]).toBe("master");
  });

  it("REPLCONF syntax", async () => {
    const n = await start();
    expect(await n.c.call("REPLCONF")).toBe("OK");
    expect(await n.c.call("REPLCONF", "listening-port", "1234", "capa", "eof", "capa", "whatever")).toBe(
      "OK",
    );
    expect(errorText(await n.c.call("REPLCONF", "a"))).toBe("ERR syntax error");
    expect(errorText(await n.c.call("REPLCONF", "foo", "bar"))).toBe("ERR Unrecognized REPLCONF option: foo");
    expect(errorText(await n.c.call("REPLCONF", "listening-port", "x"))).toBe(
      "ERR value is not an integer or out of range",
    );
    // ACK from a client that is not a replica is ignored without a reply.
    const [ack, ping] = await n.c.raw(
      "*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$1\r\n5\r\n*1\r\n$4\r\nPING\r\n",
      1,
    );
    expect([ack, ping]).toEqual(["PONG", undefined]);
  });

  it("announced address and priority, as Sentinel reads them", async () => {
    const [master, replica] = await pair(
      [],
      ["--replica-announce-ip", "10.1.2.3", "--replica-announce-port", "6390", "--replica-priority", "42"],
    );
    await waitInfo(master.c, "replication", "slave0", (v) => v?.includes("state=online") === true);
    const m = await info(master.c, "replication");
    expect(m.get("slave0")).toMatch(/^ip=10\.1\.2\.3,port=6390,state=online,offset=\d+,lag=\d+$/);
    const role = (await master.c.call("ROLE")) as unknown[];
    expect((role[2] as unknown[][])[0].slice(0, 2)).toEqual(["10.1.2.3", "6390"]);
    const r = await info(replica.c, "replication");
    expect(r.get("slave_priority")).toBe("42");
    expect(r.get("replica_announced")).toBe("1");
    expectOk(await replica.c.call("CONFIG", "SET", "replica-announced", "no"));
    expect((await info(replica.c, "replication")).get("replica_announced")).toBe("0");
  });
});

describe("authentication", () => {
  it("masterauth (and masteruser) against a master with requirepass", async () => {
    const master = await start(["--requirepass", "s3cret"]);
    expectOk(await master.c.call("AUTH", "s3cret"));
    expectOk(await master.c.call("SET", "k", "v"));
    const wrong = await start(["--masterauth", "nope"]);
    const right = await start(["--masterauth", "s3cret", "--masteruser", "default"]);
    expectOk(await wrong.c.call("REPLICAOF", "127.0.0.1", master.port));
    await replicate(right, master);
    expect(await right.c.call("GET", "k")).toBe("v");
    await sleep(500);
    const w = await info(wrong.c, "replication");
    expect(w.get("master_link_status")).toBe("down");
    expect(await wrong.c.call("GET", "k")).toBeNull();
  });
});

describe("replication as an ACL user", () => {
  it("a replica authenticates as masteruser, which needs only the replication commands", async () => {
    const master = await start([
      "--requirepass",
      "s3cret",
      "--user",
      "repl",
      "on",
      ">replpw",
      "+psync",
      "+replconf",
      "+ping",
    ]);
    expectOk(await master.c.call("AUTH", "s3cret"));
    expectOk(await master.c.call("SET", "k", "v"));
    const replica = await start(["--masteruser", "repl", "--masterauth", "replpw"]);
    await replicate(replica, master);
    expect(await replica.c.call("GET", "k")).toBe("v");
    expectOk(await master.c.call("SET", "k2", "v2"));
    await waitFor(async () => (await replica.c.call("GET", "k2")) === "v2", "the write replicated");
    // The master's side of the link is the replication user.
    const clients = String(await master.c.call("CLIENT", "LIST", "TYPE", "replica"));
    expect(clients).toContain(" user=repl ");

    // Without PSYNC the user cannot replicate, and the master logs the denial.
    expectOk(await master.c.call("ACL", "SETUSER", "norepl", "on", ">pw", "+replconf", "+ping"));
    const refused = await start(["--masteruser", "norepl", "--masterauth", "pw"]);
    expectOk(await refused.c.call("REPLICAOF", "127.0.0.1", master.port));
    await waitFor(async () => {
      const log = (await master.c.call("ACL", "LOG")) as unknown[][];
      return log.some((e) => e[7] === "psync" && e[9] === "norepl");
    }, "the ACL LOG entry for the refused PSYNC");
    expect((await info(refused.c, "replication")).get("master_link_status")).toBe("down");
  });
});

describe("replication ids and backlog", () => {
  it("DEBUG CHANGE-REPL-ID, CONFIG SET repl-backlog-size, backlog fields", async () => {
    const [master] = await pair();
    const before = await info(master.c, "replication");
    expect(before.get("repl_backlog_active")).toBe("1");
    expectOk(await master.c.call("DEBUG", "CHANGE-REPL-ID"));
    const after = await info(master.c, "replication");
    expect(after.get("master_replid")).not.toBe(before.get("master_replid"));
    expect(after.get("master_replid")).toMatch(/^[0-9a-f]{40}$/);
    expect(after.get("master_replid2")).toBe("0000000000000000000000000000000000000000");
    expectOk(await master.c.call("CONFIG", "SET", "repl-backlog-size", "2mb"));
    expect((await info(master.c, "replication")).get("repl_backlog_size")).toBe("2097152");
    expect(await master.c.call("CONFIG", "GET", "repl-backlog-size")).toEqual([
      "repl-backlog-size",
      "2097152",
    ]);
  });
});

describe("replication traffic and buffers in INFO, role in the log", () => {
  it("counts replication bytes apart from client bytes, with rates, and the replication buffers", async () => {
    const master = await start(["--repl-diskless-sync", "no"]);
    const replica = await start();
    // Incompressible values, so the RDB is as large as the data whatever rdbcompression does.
    const value = randomBytes(500).toString("hex");
    const batch: Promise<unknown>[] = [];
    for (let i = 0; i < 500; i++) batch.push(master.c.call("SET", `rdb:${i}`, `${i}${value}`));
    await Promise.all(batch);
    await replicate(replica, master);
    // The RDB (about 500 kB) went through the replication counters.
    const stats = async (n: Node) => info(n.c, "stats");
    let m = await stats(master);
    let r = await stats(replica);
    expect(Number(m.get("total_net_repl_output_bytes"))).toBeGreaterThan(450_000);
    expect(Number(r.get("total_net_repl_input_bytes"))).toBeGreaterThan(450_000);
    // The totals include the replication traffic (as Redis 7.0 prints them).
    expect(Number(r.get("total_net_input_bytes"))).toBeGreaterThanOrEqual(
      Number(r.get("total_net_repl_input_bytes")),
    );
    expect(Number(m.get("total_net_output_bytes"))).toBeGreaterThanOrEqual(
      Number(m.get("total_net_repl_output_bytes")),
    );
    // Replication input is what a replica reads from its master: the master's ACK reads are not.
    expect(Number(m.get("total_net_repl_input_bytes"))).toBe(0);
    // A sustained stream shows in the instantaneous rates (16 samples of 100 ms, averaged).
    const outBefore = Number(m.get("total_net_repl_output_bytes"));
    const until = Date.now() + 800;
    let i = 0;
    while (Date.now() < until) {
      const writes: Promise<unknown>[] = [];
      for (let j = 0; j < 50; j++) writes.push(master.c.call("SET", `stream:${i++ % 300}`, value));
      await Promise.all(writes);
    }
    await waitInSync(master, replica);
    m = await stats(master);
    r = await stats(replica);
    expect(Number(m.get("total_net_repl_output_bytes")) - outBefore).toBeGreaterThan(i * 1000);
    expect(Number(m.get("instantaneous_output_repl_kbps"))).toBeGreaterThan(0);
    expect(Number(r.get("instantaneous_input_repl_kbps"))).toBeGreaterThan(0);
    expect(Number(m.get("instantaneous_input_repl_kbps"))).toBe(0);
    // The backlog holds the stream: the replication buffers are at least what it holds.
    const histlen = Number((await info(master.c, "replication")).get("repl_backlog_histlen"));
    expect(histlen).toBeGreaterThan(100_000);
    expect(
      Number((await info(master.c, "memory")).get("mem_total_replication_buffers")),
    ).toBeGreaterThanOrEqual(histlen);
  });

  it("a replica's log lines carry the role S, a master's M", async () => {
    const [, replica] = await pair();
    const role = (line: string) => /"role":"(\w)"/.exec(line)?.[1] ?? /^\d+:(\w) /.exec(line)?.[1];
    const lines = () => replica.proc.output().split("\n");
    const connecting = lines().find((l) => l.includes("Connecting to MASTER"));
    expect(connecting).toBeDefined();
    expect(role(connecting!)).toBe("S");
    expect(role(lines().find((l) => l.includes("MASTER <-> REPLICA sync: Finished with success"))!)).toBe(
      "S",
    );
    expectOk(await replica.c.call("REPLICAOF", "NO", "ONE"));
    await waitFor(() => replica.proc.output().includes("MASTER MODE enabled"), "the MASTER MODE line");
    expect(role(lines().find((l) => l.includes("MASTER MODE enabled"))!)).toBe("M");
  });
});

describe("repl-backlog-ttl", () => {
  it("a master without replicas frees its backlog after the TTL, with a new replication id", async () => {
    const [master, replica] = await pair(["--repl-backlog-ttl", "1"]);
    const before = await info(master.c, "replication");
    expect(before.get("repl_backlog_active")).toBe("1");
    expectOk(await replica.c.call("REPLICAOF", "NO", "ONE"));
    await waitInfo(master.c, "replication", "repl_backlog_active", (v) => v === "0", 10_000);
    const after = await info(master.c, "replication");
    expect(after.get("master_replid")).not.toBe(before.get("master_replid"));
    expect(after.get("repl_backlog_first_byte_offset")).toBe("0");
    // A replica never frees its backlog (it may be promoted).
    expect((await info(replica.c, "replication")).get("repl_backlog_active")).toBe("1");
  });
});

describe("FAILOVER", () => {
  it("hands the master role to a caught-up replica, which continues with PSYNC", async () => {
    const [master, replica] = await pair();
    expectOk(await master.c.call("SET", "k", "v"));
    await waitInSync(master, replica);
    expectOk(await master.c.call("FAILOVER"));
    await waitFor(
      async () => ((await replica.c.call("ROLE")) as unknown[])[0] === "master",
      "replica promoted",
    );
    await waitFor(async () => ((await master.c.call("ROLE")) as unknown[])[0] === "slave", "master demoted");
    await waitInfo(master.c, "replication", "master_failover_state", (v) => v === "no-failover");
    await waitInSync(replica, master);
    expect((await info(replica.c, "stats")).get("sync_partial_ok")).toBe("1");
    expectOk(await replica.c.call("SET", "k", "w"));
    await waitInSync(replica, master);
    expect(await master.c.call("GET", "k")).toBe("w");
  });

  it("FAILOVER TO host port, and its errors", async () => {
    const master = await start();
    expect(errorText(await master.c.call("FAILOVER"))).toBe("ERR FAILOVER requires connected replicas.");
    expect(errorText(await master.c.call("FAILOVER", "ABORT"))).toBe("ERR No failover in progress.");
    expect(errorText(await master.c.call("FAILOVER", "TIMEOUT", "0"))).toBe(
      "ERR FAILOVER timeout must be greater than 0",
    );
    expect(errorText(await master.c.call("FAILOVER", "TO", "127.0.0.1"))).toBe("ERR syntax error");
    expect(errorText(await master.c.call("FAILOVER", "ABORT", "TIMEOUT", "5"))).toBe("ERR syntax error");
    const replica = await start();
    await replicate(replica, master);
    expect(errorText(await master.c.call("FAILOVER", "FORCE"))).toBe(
      "ERR FAILOVER with force option requires both a timeout and target HOST and IP.",
    );
    expect(errorText(await master.c.call("FAILOVER", "TO", "127.0.0.1", "1"))).toBe(
      "ERR FAILOVER target HOST and PORT is not a replica.",
    );
    expect(errorText(await replica.c.call("FAILOVER"))).toBe(
      "ERR FAILOVER is not valid when server is a replica.",
    );
    // Redis marks a diskless replica online a little after it finished loading.
    await waitInfo(master.c, "replication", "slave0", (v) => v?.includes("state=online") === true);
    expectOk(await master.c.call("FAILOVER", "TO", "127.0.0.1", replica.port));
    await waitFor(
      async () => ((await replica.c.call("ROLE")) as unknown[])[0] === "master",
      "target promoted",
    );
    await waitInSync(replica, master);
  });

  it("a timeout without FORCE aborts; ABORT resumes writes", async () => {
    const [master, replica] = await pair();
    // A replica that cannot acknowledge: it is busy for a while.
    const sleeper = await RespClient.connect(replica.port);
    const busy = sleeper.call("DEBUG", "SLEEP", "1.5");
    await sleep(50);
    expectOk(await master.c.call("SET", "k", "v"));
    expectOk(await master.c.call("FAILOVER", "TIMEOUT", "300"));
    expect((await info(master.c, "replication")).get("master_failover_state")).toBe("waiting-for-sync");
    expect(errorText(await master.c.call("FAILOVER"))).toBe("ERR FAILOVER already in progress.");
    expect(errorText(await master.c.call("REPLICAOF", "NO", "ONE"))).toBe(
      "ERR REPLICAOF not allowed while failing over.",
    );
    await waitInfo(master.c, "replication", "master_failover_state", (v) => v === "no-failover", 5000);
    expect(((await master.c.call("ROLE")) as unknown[])[0]).toBe("master");
    expectOk(await master.c.call("SET", "k", "w"));
    await busy;
    sleeper.close();
    // Writes block during a failover; ABORT releases them.
    const sleeper2 = await RespClient.connect(replica.port);
    const busy2 = sleeper2.call("DEBUG", "SLEEP", "1");
    await sleep(50);
    expectOk(await master.c.call("SET", "k", "x"));
    expectOk(await master.c.call("FAILOVER"));
    const writer = await RespClient.connect(master.port);
    const held = writer.call("SET", "held", "1");
    await sleep(100);
    expectOk(await master.c.call("FAILOVER", "ABORT"));
    expect(await held).toBe("OK");
    writer.close();
    await busy2;
    sleeper2.close();
    expect(((await master.c.call("ROLE")) as unknown[])[0]).toBe("master");
  });
});
