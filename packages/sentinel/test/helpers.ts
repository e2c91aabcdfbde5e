/**
 * Helpers for the numbered Sentinel scenarios (like Redis's tests/sentinel/tests/*.tcl): a
 * monitored group of data nodes (1 master + N replicas: keyhaven-server by default, Debian's
 * redis-server 7.0 with KEYHAVEN_DATA_NODES=redis) and N Sentinels, each either a Keyhaven
 * Sentinel (packages/sentinel/bin/keyhaven-sentinel) or a real one (`redis-server <conf>
 * --sentinel`; every Sentinel of the default group with KEYHAVEN_TEST_TARGET=redis).
 *
 * Each data node runs from a config file in its own dir, as a deployed one would: Sentinel's
 * promotion and reconfiguration end with CONFIG REWRITE, which needs one.
 *
 * Every process gets a free port and a temp dir, is registered, and is killed by PID when the
 * test file ends (also on failure or process exit). Every wait is bounded (waitFor).
 * Events are observed the way clients observe them: a PSUBSCRIBE * connection per Sentinel.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll } from "vitest";
import {
  freePort,
  RespClient,
  type ServerProcess,
  type StartOptions,
  sleep,
  startServer,
  tempDir,
  waitFor,
} from "../../server/test/helpers.js";

export {
  errorText,
  RespClient,
  type ServerProcess,
  sleep,
  startServer,
  tempDir,
  waitFor,
} from "../../server/test/helpers.js";

const here = dirname(fileURLToPath(import.meta.url));
export const SENTINEL_BIN = resolve(here, "../bin/keyhaven-sentinel");
export const MASTER = "mymaster";

export type SentinelKind = "keyhaven" | "redis";

/**
 * The Sentinels under test: Keyhaven's, or real redis-sentinel with KEYHAVEN_TEST_TARGET=redis
 * (so the same assertions also check the tests themselves against the specification).
 */
export const TARGET: SentinelKind = process.env.KEYHAVEN_TEST_TARGET === "redis" ? "redis" : "keyhaven";

export type DataNodeKind = "keyhaven" | "redis";

/** The data nodes' kind: keyhaven-server, or real redis-server with KEYHAVEN_DATA_NODES=redis. */
export const DATA_NODES: DataNodeKind = process.env.KEYHAVEN_DATA_NODES === "redis" ? "redis" : "keyhaven";

/**
 * Starts a data node of `kind` (default DATA_NODES) from a config file in its dir (kept when the
 * dir is reused, so a restarted node reads what CONFIG REWRITE wrote). Options as startServer's.
 */
export async function startDataNode(
  options: StartOptions = {},
  kind: DataNodeKind = DATA_NODES,
): Promise<ServerProcess> {
  const dir = options.dir ?? tempDir(`kh-${kind}-node-`);
  const configFile = join(dir, "node.conf");
  if (!existsSync(configFile)) writeFileSync(configFile, "# Sentinel scenario data node\n");
  return startServer(kind, { ...options, dir, configFile });
}

const started = new Set<ChildProcess>();
function killAll(): void {
  for (const p of started) {
    if (p.exitCode === null && p.signalCode === null && p.pid !== undefined) {
      try {
        process.kill(p.pid, "SIGCONT");
        process.kill(p.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  }
  started.clear();
}
afterAll(killAll);
process.on("exit", killAll);

export interface SentinelEvent {
  channel: string;
  message: string;
  at: number;
}

export class SentinelProcess {
  proc!: ChildProcess;
  out = "";
  exited!: Promise<number | null>;
  readonly events: SentinelEvent[] = [];
  private subscriber: RespClient | null = null;
  /** The Sentinel's requirepass, if any: helpers authenticate with it. */
  password: string | null = null;

  constructor(
    readonly kind: SentinelKind,
    readonly port: number,
    readonly dir: string,
    readonly confPath: string,
  ) {}

  get pid(): number {
    return this.proc.pid!;
  }

  /** Spawns the process from its config file and waits until it answers PING. */
  async start(): Promise<void> {
    const proc =
      this.kind === "keyhaven"
        ? spawn(SENTINEL_BIN, [this.confPath], { stdio: ["ignore", "pipe", "pipe"], cwd: this.dir })
        : spawn("redis-server", [this.confPath, "--sentinel"], {
            stdio: ["ignore", "pipe", "pipe"],
            cwd: this.dir,
          });
    this.proc = proc;
    started.add(proc);
    this.out = "";
    proc.stdout!.on("data", (d: Buffer) => {
      this.out += d.toString();
    });
    proc.stderr!.on("data", (d: Buffer) => {
      this.out += d.toString();
    });
    this.exited = new Promise((res) => proc.on("exit", (code) => res(code)));
    await waitFor(
      async () => {
        if (proc.exitCode !== null) throw new Error(`sentinel exited early (${proc.exitCode}):\n${this.out}`);
        try {
          const c = await RespClient.connect(this.port);
          const pong = await c.call("PING");
          c.close();
          return pong === "PONG" || (pong instanceof Error && pong.message.startsWith("NOAUTH"));
        } catch {
          return false;
        }
      },
      `sentinel on port ${this.port}`,
      15_000,
    );
    await this.subscribeEvents();
  }

  private async subscribeEvents(): Promise<void> {
    const sub = await RespClient.connect(this.port);
    if (this.password !== null) await sub.call("AUTH", this.password);
    await sub.call("PSUBSCRIBE", "*");
    this.subscriber = sub;
    const poll = async () => {
      while (!sub.isClosed) {
        try {
          const msgs = await sub.waitPushed(1, 1000);
          for (const m of msgs as unknown[][]) {
            if (Array.isArray(m) && m[0] === "pmessage") {
              this.events.push({ channel: String(m[2]), message: String(m[3]), at: Date.now() });
            }
          }
        } catch {
          // No message within a second; poll again until the connection closes.
        }
      }
    };
    void poll();
  }

  /** Waits for an event on `channel` whose message matches, seen after `since`. */
  async waitEvent(
    channel: string,
    match: RegExp | string = /.*/,
    timeoutMs = 20_000,
    since = 0,
  ): Promise<SentinelEvent> {
    let found: SentinelEvent | undefined;
    try {
      await waitFor(
        () => {
          found = this.events.find(
            (e) =>
              e.at >= since &&
              e.channel === channel &&
              (typeof match === "string" ? e.message === match : match.test(e.message)),
          );
          return found !== undefined;
        },
        `${channel} ${match} on sentinel ${this.port}`,
        timeoutMs,
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${describeEvents([this])}`);
    }
    return found!;
  }

  hasEvent(channel: string, match: RegExp = /.*/): boolean {
    return this.events.some((e) => e.channel === channel && match.test(e.message));
  }

  async call(...args: (string | number)[]): Promise<unknown> {
    const c = await RespClient.connect(this.port);
    try {
      if (this.password !== null) await c.call("AUTH", this.password);
      return await c.call(...args);
    } finally {
      c.close();
    }
  }

  /** SENTINEL MASTER as an object. */
  async master(name = MASTER): Promise<Record<string, string>> {
    return toRecord(await this.call("SENTINEL", "MASTER", name));
  }

  async replicas(name = MASTER): Promise<Record<string, string>[]> {
    return ((await this.call("SENTINEL", "REPLICAS", name)) as unknown[]).map(toRecord);
  }

  async sentinels(name = MASTER): Promise<Record<string, string>[]> {
    return ((await this.call("SENTINEL", "SENTINELS", name)) as unknown[]).map(toRecord);
  }

  async masterAddr(name = MASTER): Promise<string> {
    const r = (await this.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", name)) as string[] | null;
    return r === null ? "" : `${r[0]}:${r[1]}`;
  }

  conf(): string {
    return readFileSync(this.confPath, "latin1");
  }

  /** SIGKILL and wait. */
  async kill(): Promise<void> {
    this.subscriber?.close();
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill("SIGCONT");
      this.proc.kill("SIGKILL");
    }
    await this.exited;
  }

  /** SIGTERM, bounded wait, then SIGKILL. */
  async stop(): Promise<number | null> {
    this.subscriber?.close();
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return this.proc.exitCode;
    this.proc.kill("SIGTERM");
    const code = await Promise.race([this.exited, sleep(10_000).then(() => undefined)]);
    if (code === undefined) {
      this.proc.kill("SIGKILL");
      return this.exited;
    }
    return code;
  }
}

export function toRecord(flat: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (flat instanceof Map) {
    for (const [k, v] of flat) out[String(k)] = String(v);
    return out;
  }
  const a = flat as unknown[];
  for (let i = 0; i + 1 < a.length; i += 2) out[String(a[i])] = String(a[i + 1]);
  return out;
}

export interface SentinelOptions {
  masterPort: number;
  /** The master's address in `sentinel monitor` (default 127.0.0.1). */
  masterHost?: string;
  quorum?: number;
  downAfter?: number;
  failoverTimeout?: number;
  /** Extra config lines (e.g. "sentinel parallel-syncs mymaster 2"). */
  extra?: string[];
  port?: number;
  start?: boolean;
}

/** Writes a sentinel.conf and starts a Sentinel of `kind` monitoring 127.0.0.1:masterPort. */
export async function startSentinel(kind: SentinelKind, o: SentinelOptions): Promise<SentinelProcess> {
  const port = o.port ?? (await freePort());
  const dir = tempDir("kh-sentinel-");
  const confPath = join(dir, "sentinel.conf");
  const lines = [
    `port ${port}`,
    "bind 127.0.0.1",
    `dir ${dir}`,
    `sentinel monitor ${MASTER} ${o.masterHost ?? "127.0.0.1"} ${o.masterPort} ${o.quorum ?? 2}`,
    `sentinel down-after-milliseconds ${MASTER} ${o.downAfter ?? 1000}`,
    `sentinel failover-timeout ${MASTER} ${o.failoverTimeout ?? 10000}`,
    ...(o.extra ?? []),
  ];
  writeFileSync(confPath, `${lines.join("\n")}\n`);
  const s = new SentinelProcess(kind, port, dir, confPath);
  const pw = lines.find((l) => l.startsWith("requirepass "));
  if (pw !== undefined) s.password = pw.slice("requirepass ".length);
  if (o.start !== false) await s.start();
  return s;
}

export interface GroupOptions {
  replicas?: number;
  /** Kinds of the Sentinels, in order. */
  sentinels?: SentinelKind[];
  quorum?: number;
  downAfter?: number;
  failoverTimeout?: number;
  /** Extra args per replica (e.g. ["--replica-priority", "0"]). */
  replicaArgs?: string[][];
  sentinelExtra?: string[];
  /** Extra args for every data node (e.g. requirepass/masterauth). */
  nodeArgs?: string[];
  /** Wait until every Sentinel knows every replica and every other Sentinel (default true). */
  waitDiscovery?: boolean;
  /** The data nodes' kind (default DATA_NODES). */
  dataNodes?: DataNodeKind;
}

export interface Group {
  master: ServerProcess;
  replicas: ServerProcess[];
  sentinels: SentinelProcess[];
  /** Every data node, master first. */
  nodes: ServerProcess[];
}

/** Starts a master, its replicas (in sync), and the Sentinels, and waits for discovery. */
export async function startGroup(o: GroupOptions = {}): Promise<Group> {
  const nodeArgs = o.nodeArgs ?? [];
  const kind = o.dataNodes ?? DATA_NODES;
  const master = await startDataNode({ args: nodeArgs }, kind);
  const replicas: ServerProcess[] = [];
  for (let i = 0; i < (o.replicas ?? 2); i++) {
    replicas.push(
      await startDataNode(
        {
          args: [...nodeArgs, "--replicaof", "127.0.0.1", String(master.port), ...(o.replicaArgs?.[i] ?? [])],
        },
        kind,
      ),
    );
  }
  const pass = nodeArgs.includes("--requirepass") ? nodeArgs[nodeArgs.indexOf("--requirepass") + 1] : null;
  await waitFor(async () => {
    for (const r of replicas)
      if (!(await info(r.port, "replication", pass)).includes("master_link_status:up")) return false;
    return true;
  }, "replicas in sync");
  const sentinels: SentinelProcess[] = [];
  for (const kind of o.sentinels ?? [TARGET, TARGET, TARGET]) {
    sentinels.push(
      await startSentinel(kind, {
        masterPort: master.port,
        quorum: o.quorum,
        downAfter: o.downAfter,
        failoverTimeout: o.failoverTimeout,
        extra: o.sentinelExtra,
      }),
    );
  }
  const group = { master, replicas, sentinels, nodes: [master, ...replicas] };
  if (o.waitDiscovery !== false) await waitDiscovery(group);
  return group;
}

export async function waitDiscovery(g: Group, timeoutMs = 20_000): Promise<void> {
  await waitFor(
    async () => {
      for (const s of g.sentinels) {
        const m = await s.master();
        if (Number(m["num-slaves"]) !== g.replicas.length) return false;
        if (Number(m["num-other-sentinels"]) !== g.sentinels.length - 1) return false;
        const replicas = await s.replicas();
        const linked = [...replicas, ...(await s.sentinels())];
        if (linked.some((r) => r.flags.includes("disconnected"))) return false;
        // A replica is known from the master's INFO before its own INFO arrives, and until then
        // no failover may select it (NOGOODSLAVE): its master-link-status is "err" meanwhile.
        if (replicas.some((r) => r["master-link-status"] !== "ok")) return false;
      }
      return true;
    },
    "every Sentinel to discover every replica and Sentinel",
    timeoutMs,
  );
}

export async function info(
  port: number,
  section = "replication",
  pass: string | null = null,
): Promise<string> {
  try {
    const c = await RespClient.connect(port);
    try {
      if (pass !== null) await c.call("AUTH", pass);
      return String(await c.call("INFO", section));
    } finally {
      c.close();
    }
  } catch {
    return "";
  }
}

export async function role(port: number): Promise<string> {
  const m = /role:(\w+)/.exec(await info(port));
  return m === null ? "" : m[1];
}

/** Waits until every Sentinel reports `addr` for the master; returns when they agree. */
export async function waitMasterAddr(
  sentinels: SentinelProcess[],
  addr: string,
  timeoutMs = 30_000,
): Promise<void> {
  await waitFor(
    async () => {
      for (const s of sentinels) if ((await s.masterAddr()) !== addr) return false;
      return true;
    },
    `all Sentinels to report ${addr}`,
    timeoutMs,
  );
}

/** Waits until any Sentinel reports a master address different from `old`; returns it. */
export async function waitNewMaster(
  sentinels: SentinelProcess[],
  old: string,
  timeoutMs = 30_000,
): Promise<string> {
  let found = "";
  try {
    await waitFor(
      async () => {
        for (const s of sentinels) {
          const a = await s.masterAddr();
          if (a !== "" && a !== old) {
            found = a;
            return true;
          }
        }
        return false;
      },
      `a master other than ${old}`,
      timeoutMs,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${describeEvents(sentinels)}`);
  }
  return found;
}

export function portOf(addr: string): number {
  return Number(addr.slice(addr.lastIndexOf(":") + 1));
}

/** Every event each Sentinel published, for failure messages. */
export function describeEvents(sentinels: SentinelProcess[]): string {
  return sentinels
    .map(
      (s) =>
        `sentinel ${s.port}:\n${s.events.map((e) => `  ${e.at % 100000} ${e.channel} ${e.message}`).join("\n")}`,
    )
    .join("\n");
}
