/**
 * A whole Keyhaven HA group on loopback for chaos tests: data nodes (keyhaven-server, one master
 * and N replicas) and Sentinels (keyhaven-sentinel), each behind its own FaultProxy. Everything
 * the processes say to each other goes through the proxies: replicas are started with
 * `replicaof <master's proxy>` and announce their proxy port (replica-announce-port), Sentinels
 * monitor the master's proxy and announce theirs (sentinel announce-port), so every address that
 * circulates (INFO, hello messages, REPLICAOF from a failover) is a proxy's, and every link can be
 * cut. The proxies (shared with `./keyhaven cluster --faults`: scripts/cluster/fault-proxy.mjs)
 * know which process opened each connection (scripts/cluster/proc-net.mjs), so a partition is a
 * set of links: `partition(side)` cuts the links between that side and the rest, both ways.
 *
 * The test's own observation connections go straight to the real ports (never cut); a client
 * under test (ioredis in Sentinel mode) goes through the proxies like everybody else and counts
 * as the source "client".
 *
 * Every process gets a free port and a temp dir, is killed by PID (SIGCONT first, in case it is
 * stopped) in stop(), and also when the test process exits. Every wait is bounded.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { FaultProxy, type LinkMode } from "../../../scripts/cluster/fault-proxy.mjs";
import { connectionOwner } from "../../../scripts/cluster/proc-net.mjs";
import { RespClient } from "./resp-client.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../../..");
export const SERVER_BIN = join(root, "packages/server/bin/keyhaven-server");
export const SENTINEL_BIN = join(root, "packages/sentinel/bin/keyhaven-sentinel");
export const MASTER_NAME = "mymaster";

const live = new Set<ChildProcess>();
const dirs = new Set<string>();
function killEverything(): void {
  for (const p of live) killByPid(p);
  live.clear();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
}
process.on("exit", killEverything);

function killByPid(p: ChildProcess): void {
  if (p.exitCode !== null || p.signalCode !== null || p.pid === undefined) return;
  try {
    process.kill(p.pid, "SIGCONT");
    process.kill(p.pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` until true; throws with `what` (and `detail()`) after `timeoutMs`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
  detail?: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${detail ? `\n${detail()}` : ""}`);
    await sleep(50);
  }
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.on("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const a = srv.address();
      const port = typeof a === "object" && a !== null ? a.port : 0;
      srv.close(() => res(port));
    });
  });
}

/** One short-lived command on a real port (observation, never through a proxy). */
export async function call(port: number, ...args: (string | number)[]): Promise<unknown> {
  const c = await RespClient.connect(port);
  try {
    return await c.call(...args);
  } finally {
    c.close();
  }
}

/** INFO <section> as a map, or an empty map when the process does not answer. */
export async function info(port: number, section: string): Promise<Map<string, string>> {
  const m = new Map<string, string>();
  try {
    const text = await Promise.race([call(port, "INFO", section), sleep(2000).then(() => "")]);
    for (const line of String(text).split("\r\n")) {
      const i = line.indexOf(":");
      if (i > 0 && !line.startsWith("#")) m.set(line.slice(0, i), line.slice(i + 1));
    }
  } catch {
    // Not answering (killed, stopped, or partitioned from nobody but down).
  }
  return m;
}

/** A spawned process (data node or Sentinel) with its output and exit. */
abstract class Member {
  proc: ChildProcess | null = null;
  out = "";
  exited: Promise<void> = Promise.resolve();
  stopped = false;

  constructor(
    readonly name: string,
    readonly port: number,
    readonly dir: string,
    readonly proxy: FaultProxy,
    protected readonly cluster: Cluster,
  ) {}

  get pid(): number {
    return this.proc?.pid ?? 0;
  }

  /** The address every other process uses: the proxy's. */
  get addr(): string {
    return `127.0.0.1:${this.proxy.port}`;
  }

  get alive(): boolean {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  protected async spawnWith(bin: string, args: string[]): Promise<void> {
    await this.proxy.targetUp();
    const proc = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"], cwd: this.dir });
    this.proc = proc;
    this.stopped = false;
    live.add(proc);
    this.out = "";
    proc.stdout!.on("data", (d: Buffer) => {
      this.out += d.toString();
    });
    proc.stderr!.on("data", (d: Buffer) => {
      this.out += d.toString();
    });
    this.exited = new Promise((res) => proc.on("exit", () => res()));
    this.cluster.registerPid(proc.pid!, this.name);
  }

  /** SIGKILL (kill -9) and wait for the exit; its address then refuses connections. */
  async kill(): Promise<void> {
    if (this.proc === null) return;
    killByPid(this.proc);
    await this.exited;
    live.delete(this.proc);
    await this.proxy.targetDown();
  }

  /** SIGSTOP: the process is frozen, its sockets stay open. */
  pause(): void {
    if (this.proc?.pid !== undefined) process.kill(this.proc.pid, "SIGSTOP");
    this.stopped = true;
  }

  resume(): void {
    if (this.proc?.pid !== undefined) process.kill(this.proc.pid, "SIGCONT");
    this.stopped = false;
  }

  /** Waits until the process answers PING on its real port. */
  async ready(timeoutMs = 15_000): Promise<void> {
    await waitFor(
      async () => {
        if (!this.alive) throw new Error(`${this.name} exited early:\n${this.out}`);
        try {
          return (await call(this.port, "PING")) === "PONG";
        } catch {
          return false;
        }
      },
      `${this.name} to answer PING`,
      timeoutMs,
      () => this.out.split("\n").slice(-20).join("\n"),
    );
  }

  tail(lines = 25): string {
    return `--- ${this.name} (:${this.port} via :${this.proxy.port})\n${this.out.split("\n").slice(-lines).join("\n")}`;
  }
}

export class DataNode extends Member {
  /** Replica of this proxy port at start-up (null: starts as a master). */
  replicaOfProxyPort: number | null = null;
  readonly extraArgs: string[];

  constructor(name: string, port: number, dir: string, proxy: FaultProxy, cluster: Cluster, extra: string[]) {
    super(name, port, dir, proxy, cluster);
    this.extraArgs = extra;
  }

  /** Starts (or restarts, with the same port, dir and data) keyhaven-server. */
  async start(replicaOf: number | null = this.replicaOfProxyPort): Promise<void> {
    const args = [
      "--port",
      String(this.port),
      "--bind",
      "127.0.0.1",
      "--dir",
      this.dir,
      "--save",
      "",
      "--enable-debug-command",
      "yes",
      "--repl-diskless-sync-delay",
      "0",
      "--replica-announce-ip",
      "127.0.0.1",
      "--replica-announce-port",
      String(this.proxy.port),
      ...this.extraArgs,
      ...(replicaOf === null ? [] : ["--replicaof", "127.0.0.1", String(replicaOf)]),
    ];
    await this.spawnWith(SERVER_BIN, args);
    await this.ready();
  }

  async role(): Promise<string> {
    return (await info(this.port, "replication")).get("role") ?? "";
  }

  /** True when this node replicates `master` (through its proxy, as the Sentinels set it) with its link up. */
  async isReplicaOf(master: DataNode): Promise<boolean> {
    const r = await info(this.port, "replication");
    return (
      r.get("role") === "slave" &&
      r.get("master_port") === String(master.proxy.port) &&
      r.get("master_link_status") === "up"
    );
  }
}

export interface SentinelEvent {
  channel: string;
  message: string;
  at: number;
}

export class SentinelNode extends Member {
  readonly events: SentinelEvent[] = [];
  private subscriber: RespClient | null = null;
  readonly confPath: string;

  constructor(name: string, port: number, dir: string, proxy: FaultProxy, cluster: Cluster) {
    super(name, port, dir, proxy, cluster);
    this.confPath = join(dir, "sentinel.conf");
  }

  writeConfig(
    masterProxyPort: number,
    o: Required<Pick<ClusterOptions, "quorum" | "downAfterMs" | "failoverTimeoutMs">>,
  ): void {
    const lines = [
      `port ${this.port}`,
      "bind 127.0.0.1",
      `dir ${this.dir}`,
      "sentinel announce-ip 127.0.0.1",
      `sentinel announce-port ${this.proxy.port}`,
      `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${masterProxyPort} ${o.quorum}`,
      `sentinel down-after-milliseconds ${MASTER_NAME} ${o.downAfterMs}`,
      `sentinel failover-timeout ${MASTER_NAME} ${o.failoverTimeoutMs}`,
      `sentinel parallel-syncs ${MASTER_NAME} 2`,
    ];
    writeFileSync(this.confPath, `${lines.join("\n")}\n`);
  }

  async start(): Promise<void> {
    await this.spawnWith(SENTINEL_BIN, [this.confPath]);
    await this.ready();
    await this.subscribe();
  }

  /** Every event, as a client subscribed with PSUBSCRIBE * sees it (on the real port). */
  private async subscribe(): Promise<void> {
    const sub = await RespClient.connect(this.port);
    this.subscriber = sub;
    sub.onPush = (m) => {
      if (Array.isArray(m) && m[0] === "pmessage")
        this.events.push({ channel: String(m[2]), message: String(m[3]), at: Date.now() });
    };
    await sub.call("PSUBSCRIBE", "*");
  }

  override async kill(): Promise<void> {
    this.subscriber?.close();
    await super.kill();
  }

  /** SENTINEL GET-MASTER-ADDR-BY-NAME as "ip:port" ("" when unknown or not answering). */
  async masterAddr(): Promise<string> {
    try {
      const r = (await Promise.race([
        call(this.port, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME),
        sleep(2000).then(() => null),
      ])) as string[] | null;
      return Array.isArray(r) ? `${r[0]}:${r[1]}` : "";
    } catch {
      return "";
    }
  }

  async masterState(): Promise<Record<string, string>> {
    const flat = (await call(this.port, "SENTINEL", "MASTER", MASTER_NAME)) as unknown[];
    const out: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = String(flat[i + 1]);
    return out;
  }

  eventsOf(channel: string, since = 0): SentinelEvent[] {
    return this.events.filter((e) => e.channel === channel && e.at >= since);
  }
}

export interface ClusterOptions {
  replicas?: number;
  sentinels?: number;
  quorum?: number;
  downAfterMs?: number;
  failoverTimeoutMs?: number;
  /** Extra keyhaven-server arguments for every data node. */
  nodeArgs?: string[];
}

/** Which process opened a proxied connection: pid -> member name ("client" is this process). */
export class Cluster {
  readonly nodes: DataNode[] = [];
  readonly sentinels: SentinelNode[] = [];
  private readonly pids = new Map<number, string>([[process.pid, "client"]]);
  private readonly proxies: FaultProxy[] = [];
  private readonly root: string;

  private constructor() {
    this.root = mkdtempSync(join(tmpdir(), "kh-chaos-"));
    dirs.add(this.root);
  }

  registerPid(pid: number, name: string): void {
    this.pids.set(pid, name);
  }

  private async proxyFor(name: string): Promise<FaultProxy> {
    const pids = this.pids;
    const p = await FaultProxy.start({
      name,
      targetPort: 0,
      identify: (peerPort, proxyPort) => connectionOwner(peerPort, proxyPort, pids),
    });
    this.proxies.push(p);
    return p;
  }

  /** Starts the master, its replicas (in sync), then the Sentinels, and waits for discovery. */
  static async start(o: ClusterOptions = {}): Promise<Cluster> {
    const c = new Cluster();
    const opts = {
      quorum: o.quorum ?? 2,
      downAfterMs: o.downAfterMs ?? 1000,
      failoverTimeoutMs: o.failoverTimeoutMs ?? 3000,
    };
    try {
      const count = 1 + (o.replicas ?? 2);
      for (let i = 0; i < count; i++) {
        const name = `node-${i}`;
        const proxy = await c.proxyFor(name);
        const port = await freePort();
        proxy.targetPort = port;
        const dir = join(c.root, name);
        const n = new DataNode(name, port, dir, proxy, c, o.nodeArgs ?? []);
        mkdirSafe(dir);
        c.nodes.push(n);
      }
      const master = c.nodes[0];
      await master.start(null);
      for (const r of c.nodes.slice(1)) {
        r.replicaOfProxyPort = master.proxy.port;
        await r.start();
      }
      await c.waitReplicasOnline(master, c.nodes.slice(1));
      for (let i = 0; i < (o.sentinels ?? 3); i++) {
        const name = `sentinel-${i}`;
        const proxy = await c.proxyFor(name);
        const port = await freePort();
        proxy.targetPort = port;
        const dir = join(c.root, name);
        mkdirSafe(dir);
        const s = new SentinelNode(name, port, dir, proxy, c);
        s.writeConfig(master.proxy.port, opts);
        c.sentinels.push(s);
      }
      await Promise.all(c.sentinels.map((s) => s.start()));
      await c.waitDiscovery();
    } catch (err) {
      await c.stop();
      throw err;
    }
    return c;
  }

  /** Kills every process by PID and closes the proxies. */
  async stop(): Promise<void> {
    for (const m of [...this.sentinels, ...this.nodes]) await m.kill();
    for (const p of this.proxies) await p.close();
    rmSync(this.root, { recursive: true, force: true });
    dirs.delete(this.root);
  }

  /** The data node behind the proxy at `addr` ("127.0.0.1:port"). */
  nodeAt(addr: string): DataNode | undefined {
    return this.nodes.find((n) => n.addr === addr);
  }

  get members(): (DataNode | SentinelNode)[] {
    return [...this.nodes, ...this.sentinels];
  }

  /**
   * Cuts every link between the processes named in `side` and all the others, in both
   * directions, in `mode` (each proxy of one side refuses the sources of the other side). Names
   * are member names plus "client", the test process's own clients under test (ioredis); the
   * test's observation connections bypass the proxies and are never cut.
   */
  partition(side: readonly string[], mode: LinkMode = "blackhole"): void {
    const inside = new Set(side);
    const all = [...this.members.map((m) => m.name), "client"];
    const outside = all.filter((n) => !inside.has(n));
    for (const m of this.members) m.proxy.set(mode, inside.has(m.name) ? outside : [...inside]);
  }

  heal(): void {
    for (const p of this.proxies) p.heal();
  }

  async waitReplicasOnline(master: DataNode, replicas: DataNode[], timeoutMs = 20_000): Promise<void> {
    await waitFor(
      async () => {
        const m = await info(master.port, "replication");
        let online = 0;
        for (const [k, v] of m) if (/^slave\d+$/.test(k) && v.includes("state=online")) online++;
        if (online < replicas.length) return false;
        for (const r of replicas) {
          const ri = await info(r.port, "replication");
          if (ri.get("master_link_status") !== "up") return false;
        }
        return true;
      },
      `${replicas.length} replicas online on ${master.name}`,
      timeoutMs,
      () => this.describe(),
    );
  }

  /** Every Sentinel knows every replica and every other Sentinel. */
  async waitDiscovery(timeoutMs = 20_000): Promise<void> {
    await waitFor(
      async () => {
        for (const s of this.sentinels) {
          const m = await s.masterState();
          if (Number(m["num-slaves"]) !== this.nodes.length - 1) return false;
          if (Number(m["num-other-sentinels"]) !== this.sentinels.length - 1) return false;
        }
        return true;
      },
      "every Sentinel to discover every replica and Sentinel",
      timeoutMs,
      () => this.describe(),
    );
  }

  /** The master address every listed Sentinel reports, or "" while they disagree or do not answer. */
  async agreedMasterAddr(sentinels = this.sentinels): Promise<string> {
    const addrs = await Promise.all(sentinels.map((s) => s.masterAddr()));
    return addrs.every((a) => a === addrs[0]) ? addrs[0] : "";
  }

  /** Waits until every listed Sentinel reports a master other than `oldAddr`, the same one; returns it. */
  async waitNewMaster(oldAddr: string, sentinels = this.sentinels, timeoutMs = 30_000): Promise<DataNode> {
    let addr = "";
    await waitFor(
      async () => {
        addr = await this.agreedMasterAddr(sentinels);
        return addr !== "" && addr !== oldAddr;
      },
      `the Sentinels to agree on a master other than ${oldAddr}`,
      timeoutMs,
      () => this.describe(),
    );
    const node = this.nodeAt(addr);
    if (node === undefined) throw new Error(`the new master ${addr} is no data node of the cluster`);
    return node;
  }

  /** Roles, offsets and recent Sentinel events, for failure messages. */
  describe(): string {
    const lines: string[] = [];
    for (const n of this.nodes) lines.push(`${n.name} ${n.addr} alive=${n.alive} stopped=${n.stopped}`);
    for (const s of this.sentinels) {
      lines.push(`${s.name} ${s.addr} events:`);
      for (const e of s.events.slice(-30)) lines.push(`  ${e.at % 100_000} ${e.channel} ${e.message}`);
    }
    for (const m of this.members) lines.push(m.tail(12));
    return lines.join("\n");
  }
}

function mkdirSafe(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
}

/** Keys of `expected` whose value on the node at `port` differs (missing or another value). */
export async function missingOn(port: number, expected: ReadonlyMap<string, string>): Promise<string[]> {
  const keys = [...expected.keys()];
  const missing: string[] = [];
  const c = await RespClient.connect(port);
  try {
    for (let i = 0; i < keys.length; i += 500) {
      const batch = keys.slice(i, i + 500);
      const values = (await c.call("MGET", ...batch)) as (string | null)[];
      batch.forEach((k, j) => {
        if (values[j] !== expected.get(k)) missing.push(k);
      });
    }
  } finally {
    c.close();
  }
  return missing;
}

/** Keys of `keys` present on the node at `port`. */
export async function presentOn(port: number, keys: Iterable<string>): Promise<string[]> {
  const list = [...keys];
  const present: string[] = [];
  const c = await RespClient.connect(port);
  try {
    for (let i = 0; i < list.length; i += 500) {
      const batch = list.slice(i, i + 500);
      const values = (await c.call("MGET", ...batch)) as (string | null)[];
      batch.forEach((k, j) => {
        if (values[j] !== null) present.push(k);
      });
    }
  } finally {
    c.close();
  }
  return present;
}

/**
 * Waits until every replica in `replicas` is a connected replica of `master` with its offset,
 * and all have the same DEBUG DIGEST; returns the digest.
 */
export async function converged(master: DataNode, replicas: DataNode[], timeoutMs = 30_000): Promise<string> {
  let digests: string[] = [];
  await waitFor(
    async () => {
      const m = await info(master.port, "replication");
      if (m.get("role") !== "master") return false;
      for (const r of replicas) {
        const ri = await info(r.port, "replication");
        if (ri.get("role") !== "slave" || ri.get("master_port") !== String(master.proxy.port)) return false;
        if (
          ri.get("master_link_status") !== "up" ||
          ri.get("slave_repl_offset") !== m.get("master_repl_offset")
        )
          return false;
      }
      digests = await Promise.all(
        [master, ...replicas].map(async (n) => String(await call(n.port, "DEBUG", "DIGEST"))),
      );
      return digests.every((d) => d === digests[0]);
    },
    `${replicas.map((r) => r.name).join(", ")} converged on ${master.name}`,
    timeoutMs,
    () => `digests: ${digests.join(" ")}`,
  );
  return digests[0];
}
