/**
 * Replication behaviour that only shows over time or on the raw wire: repl-timeout on both
 * sides (a master that never answers, a replica that stops acknowledging),
 * repl-ping-replica-period, a replica speaking the pre-PSYNC SYNC, FAILOVER ... FORCE after its
 * timeout, min-replicas-max-lag with a stopped replica, and replica-serve-stale-data yes during
 * a long full sync. Runs against Keyhaven, or against real Redis with KEYHAVEN_TEST_TARGET=redis.
 */

import { createServer, type Server as NetServer, Socket } from "node:net";
import { PARSE_COMMAND, RequestParser } from "@keyhaven/protocol";
import { afterEach, describe, expect, it } from "vitest";
import {
  errorText,
  expectOk,
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

const sockets: Socket[] = [];
const servers: NetServer[] = [];
/** Stopped processes get SIGCONT before the nodes are killed, whatever happened. */
const stopped = new Set<number>();
afterEach(() => {
  for (const pid of stopped) {
    try {
      process.kill(pid, "SIGCONT");
    } catch {
      // Already gone.
    }
  }
  stopped.clear();
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) s.close();
});

function pause(n: Node): void {
  stopped.add(n.proc.pid);
  process.kill(n.proc.pid, "SIGSTOP");
}

function resume(n: Node): void {
  process.kill(n.proc.pid, "SIGCONT");
  stopped.delete(n.proc.pid);
}

/**
 * A replica spoken by hand: sends commands, then reads the master's answer as Redis sends it
 * (keepalive newlines, an optional +FULLRESYNC line, `$<len>` and the RDB) and the stream after
 * it as commands, each with the time it arrived.
 */
class RawReplica {
  private buf = Buffer.alloc(0);
  private readonly parser = new RequestParser({ trusted: true });
  private inStream = false;
  private wake: (() => void) | null = null;
  readonly stream: { argv: string[]; at: number }[] = [];
  closed = false;
  /** +OK replies seen before the RDB (the handshake waits for each, as Redis's replica does). */
  oks = 0;
  /** A line the master was not expected to send (the test fails on it). */
  unexpected: string | null = null;
  fullResync: string | null = null;
  rdb: Buffer | null = null;

  private constructor(readonly socket: Socket) {
    socket.on("data", (d: Buffer) => this.onData(d));
    socket.on("close", () => {
      this.closed = true;
      this.wake?.();
    });
    socket.on("error", () => {});
  }

  static async connect(port: number): Promise<RawReplica> {
    const socket = new Socket();
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.connect(port, "127.0.0.1", () => resolve());
    });
    return new RawReplica(socket);
  }

  /** Sends a handshake command and waits for its +OK: a master refuses SYNC with output pending. */
  async handshake(...argv: string[]): Promise<void> {
    const oks = this.oks;
    this.send(...argv);
    await this.until(() => this.oks > oks, `+OK to ${argv.join(" ")}`);
  }

  send(...argv: string[]): void {
    this.socket.write(
      `*${argv.length}\r\n${argv.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`,
    );
  }

  private onData(d: Buffer): void {
    if (this.inStream) {
      this.parser.feed(d);
      this.drainStream();
    } else {
      this.buf = Buffer.concat([this.buf, d]);
      this.parsePreamble();
    }
    this.wake?.();
  }

  /** Consumes newlines, replies and the RDB; what follows it is the stream. */
  private parsePreamble(): void {
    for (;;) {
      if (this.buf.length > 0 && this.buf[0] === 0x0a) {
        this.buf = this.buf.subarray(1);
        continue;
      }
      const eol = this.buf.indexOf("\r\n");
      if (eol < 0) return;
      const line = this.buf.subarray(0, eol).toString();
      if (line.startsWith("+")) {
        if (line.startsWith("+FULLRESYNC")) this.fullResync = line;
        else if (line === "+OK") this.oks++;
        this.buf = this.buf.subarray(eol + 2);
        continue;
      }
      if (!line.startsWith("$")) {
        this.unexpected = line;
        this.socket.destroy();
        return;
      }
      const len = Number(line.slice(1));
      if (this.buf.length < eol + 2 + len) return;
      this.rdb = Buffer.from(this.buf.subarray(eol + 2, eol + 2 + len));
      const rest = this.buf.subarray(eol + 2 + len);
      this.buf = Buffer.alloc(0);
      this.inStream = true;
      this.parser.feed(rest);
      this.drainStream();
      return;
    }
  }

  private drainStream(): void {
    while (this.parser.next() === PARSE_COMMAND) this.stream.push({ argv: this.parser.argv, at: Date.now() });
  }

  /** Waits (bounded) until `check` holds, re-checking on every arrival. */
  async until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (this.unexpected !== null) throw new Error(`unexpected line from the master: ${this.unexpected}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, Math.min(left, 200));
      });
      this.wake = null;
    }
  }

  /** The stream without the master's PINGs and GETACKs. */
  commands(): string[][] {
    return this.stream
      .map((s) => s.argv)
      .filter((a) => {
        const name = a[0].toUpperCase();
        return name !== "PING" && name !== "REPLCONF";
      });
  }
}

/** A port that accepts connections and never says anything. */
async function silentMaster(): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const srv = createServer((socket) => {
    connections++;
    sockets.push(socket);
    socket.on("error", () => {});
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const address = srv.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return { port, connections: () => connections };
}

describe("repl-timeout", () => {
  it("replica side: a master that accepts but never answers is given up after the timeout, and retried", async () => {
    const master = await silentMaster();
    const replica = await start(["--repl-timeout", "1"]);
    expectOk(await replica.c.call("REPLICAOF", "127.0.0.1", master.port));
    await waitFor(() => master.connections() >= 2, "a second connection attempt", 15_000);
    expect(replica.proc.output()).toContain("Timeout connecting to the MASTER...");
    const repl = await info(replica.c, "replication");
    expect(repl.get("master_link_status")).toBe("down");
    expect(repl.get("master_sync_in_progress")).toBe("0");
  });

  it("master side: a replica that stops acknowledging is disconnected after the timeout", async () => {
    const master = await start(["--repl-timeout", "2", "--repl-diskless-sync", "no"]);
    const raw = await RawReplica.connect(master.port);
    await raw.handshake("REPLCONF", "listening-port", "1");
    await raw.handshake("REPLCONF", "capa", "psync2");
    raw.send("PSYNC", "?", "-1");
    await raw.until(() => raw.rdb !== null, "the RDB");
    await waitInfo(master.c, "replication", "slave0", (v) => v?.includes("state=online") === true);
    // It acknowledges once, then never again.
    raw.send("REPLCONF", "ACK", "0");
    await raw.until(() => raw.closed, "the master to drop the silent replica", 15_000);
    expect(master.proc.output()).toContain("Disconnecting timedout replica (streaming sync)");
    await waitInfo(master.c, "replication", "connected_slaves", (v) => v === "0");
  });

  it("replica side: a master that goes silent after the sync is dropped (no data nor PING) and reconnected to", async () => {
    const master = await start(["--repl-ping-replica-period", "100"]);
    const replica = await start(["--repl-timeout", "2"]);
    await replicate(replica, master);
    // A stopped master keeps the TCP link but sends nothing, not even its PINGs.
    pause(master);
    await waitFor(
      () => replica.proc.output().includes("MASTER timeout: no data nor PING received..."),
      "the replica to time its master out",
      15_000,
    );
    expect((await info(replica.c, "replication")).get("master_link_status")).toBe("down");
    resume(master);
    await waitInSync(master, replica);
  });
});

describe("the stream seen by a raw replica", () => {
  it("carries a PING every repl-ping-replica-period seconds", async () => {
    const master = await start(["--repl-ping-replica-period", "1", "--repl-diskless-sync", "no"]);
    const raw = await RawReplica.connect(master.port);
    await raw.handshake("REPLCONF", "capa", "psync2");
    raw.send("PSYNC", "?", "-1");
    await raw.until(() => raw.rdb !== null, "the RDB");
    const pings = () => raw.stream.filter((s) => s.argv[0].toUpperCase() === "PING");
    await raw.until(() => pings().length >= 4, "four PINGs", 15_000);
    // Spread over time at the period, not a burst: the first and the fourth are ~3 s apart.
    const p = pings();
    expect(p[3].at - p[0].at).toBeGreaterThanOrEqual(1500);
  });

  it("a replica sending plain SYNC gets the RDB (no +FULLRESYNC), then the stream with SELECT and MULTI/EXEC", async () => {
    const master = await start();
    expectOk(await master.c.call("SET", "before-sync", "1"));
    const raw = await RawReplica.connect(master.port);
    raw.send("SYNC");
    await raw.until(() => raw.rdb !== null, "the RDB");
    expect(raw.fullResync).toBeNull();
    expect(raw.rdb!.subarray(0, 5).toString()).toBe("REDIS");
    expect(raw.rdb!.includes("before-sync")).toBe(true);
    await waitInfo(master.c, "replication", "slave0", (v) => v?.includes("state=online") === true);
    expectOk(await master.c.call("SELECT", "3"));
    expectOk(await master.c.call("SET", "k", "v"));
    expectOk(await master.c.call("MULTI"));
    expect(await master.c.call("INCR", "n")).toBe("QUEUED");
    expect(await master.c.call("RPUSH", "l", "a")).toBe("QUEUED");
    expect(await master.c.call("EXEC")).toEqual([1, 1]);
    await raw.until(() => raw.commands().some((a) => a[0].toUpperCase() === "EXEC"), "the EXEC");
    const upper = raw.commands().map((a) => [a[0].toUpperCase(), ...a.slice(1)]);
    expect(upper).toEqual([
      ["SELECT", "3"],
      ["SET", "k", "v"],
      ["MULTI"],
      ["INCR", "n"],
      ["RPUSH", "l", "a"],
      ["EXEC"],
    ]);
  });
});

describe("FAILOVER TO host port FORCE TIMEOUT ms", () => {
  it("goes through after the timeout even though the target did not catch up", async () => {
    const master = await start();
    const replica = await start();
    await replicate(replica, master);
    await waitInfo(master.c, "replication", "slave0", (v) => v?.includes("state=online") === true);
    // The target cannot acknowledge anything for a while.
    const sleeper = await RespClient.connect(replica.port);
    const busy = sleeper.call("DEBUG", "SLEEP", "2");
    await sleep(50);
    expectOk(await master.c.call("SET", "k", "v"));
    expectOk(await master.c.call("FAILOVER", "TO", "127.0.0.1", replica.port, "FORCE", "TIMEOUT", "300"));
    expect((await info(master.c, "replication")).get("master_failover_state")).toBe("waiting-for-sync");
    // After the timeout FORCE moves on instead of aborting: the target is told to take over.
    await waitInfo(master.c, "replication", "master_failover_state", (v) => v !== "waiting-for-sync", 5000);
    await busy;
    sleeper.close();
    await waitFor(
      async () => ((await replica.c.call("ROLE")) as unknown[])[0] === "master",
      "the target promoted",
    );
    await waitFor(async () => ((await master.c.call("ROLE")) as unknown[])[0] === "slave", "master demoted");
    expect((await info(master.c, "replication")).get("master_port")).toBe(String(replica.port));
    await waitInfo(master.c, "replication", "master_failover_state", (v) => v === "no-failover");
    await waitInSync(replica, master);
    expectOk(await replica.c.call("SET", "after", "1"));
    await waitInSync(replica, master);
    expect(await master.c.call("GET", "after")).toBe("1");
  });
});

describe("min-replicas-max-lag", () => {
  it("a connected replica that stops acknowledging stops counting, and counts again when it resumes", async () => {
    const master = await start(["--min-replicas-to-write", "1", "--min-replicas-max-lag", "2"]);
    const replica = await start();
    await replicate(replica, master);
    await waitFor(async () => (await master.c.call("SET", "a", "1")) === "OK", "writes accepted");
    pause(replica);
    await waitFor(
      async () =>
        errorText(await master.c.call("SET", "a", "2")) === "NOREPLICAS Not enough good replicas to write.",
      "NOREPLICAS while the replica is stopped",
      15_000,
    );
    // Still attached: only its lag changed.
    expect((await info(master.c, "replication")).get("connected_slaves")).toBe("1");
    expect((await info(master.c, "replication")).get("min_slaves_good_slaves")).toBe("0");
    resume(replica);
    await waitFor(
      async () => (await master.c.call("SET", "a", "3")) === "OK",
      "writes accepted again",
      15_000,
    );
    await waitInSync(master, replica);
    expect(await replica.c.call("GET", "a")).toBe("3");
  });
});

describe("replica-serve-stale-data yes", () => {
  it("serves the old dataset while a long full sync runs, then the master's", async () => {
    const master = await start(["--repl-diskless-sync", "no"]);
    for (let i = 0; i < 40; i++) expectOk(await master.c.call("SET", `k${i}`, "new"));
    // 50 ms per key: the snapshot for the sync takes about two seconds.
    expectOk(await master.c.call("CONFIG", "SET", "rdb-key-save-delay", "50000"));
    const replica = await start(["--replica-serve-stale-data", "yes"]);
    expectOk(await replica.c.call("SET", "k0", "old"));
    expectOk(await replica.c.call("SET", "only-here", "x"));
    expectOk(await replica.c.call("REPLICAOF", "127.0.0.1", master.port));
    await waitInfo(replica.c, "replication", "master_sync_in_progress", (v) => v === "1", 5000);
    expect(await replica.c.call("GET", "k0")).toBe("old");
    expect(await replica.c.call("GET", "only-here")).toBe("x");
    expect((await info(replica.c, "replication")).get("master_link_status")).toBe("down");
    expectOk(await master.c.call("CONFIG", "SET", "rdb-key-save-delay", "0"));
    await waitInSync(master, replica);
    expect(await replica.c.call("GET", "k0")).toBe("new");
    expect(await replica.c.call("GET", "only-here")).toBeNull();
  });
});
