/**
 * Fault injection for `./keyhaven cluster`: kill (SIGKILL), pause (SIGSTOP), cut (a partition)
 * and heal, aimed at the current master (as the Sentinels name it) or at a node by its port.
 * Called by the cluster script for its single-key commands and for `fault` requests arriving on
 * its control socket (control.mjs); one fault runs at a time.
 *
 * The fault mode (--faults) is chosen when a data folder is created and remembered in it
 * (cluster.json): in it every public port is a FaultProxy (fault-proxy.mjs) run by the cluster
 * process in front of a process listening on an internal free port, and every address that
 * circulates (replicaof, announced replica and Sentinel addresses) is a proxy's, as in the chaos
 * tests (tests/chaos/src/cluster.ts). The proxies tell which process opened a connection
 * (proc-net.mjs): a node's name while it runs, "client" for anything else. A cut node N then
 * loses every link, both ways: N's proxy blackholes every source but N, and every other proxy
 * blackholes N. Without proxies a node on loopback cannot be cut off, so `cut` is refused.
 *
 * Invariant: the proxy rules are always a function of the set of cut nodes (`applyCuts`), so
 * cutting two nodes and healing one leaves exactly the other cut.
 */

import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { FaultProxy } from "./fault-proxy.mjs";
import { connectionOwner } from "./proc-net.mjs";

export const FAULTS = ["kill", "pause", "cut", "heal"];
const MODE_FILE = "cluster.json";
/** How long `kill` waits for the SIGKILLed process to be reaped before it reports. */
const KILL_WAIT_MS = 5000;

/** A fault that cannot be done (its message is for the user); anything else thrown is a bug. */
export class FaultError extends Error {
  constructor(message) {
    super(message);
    this.name = "FaultError";
    this.code = "KH_FAULT_REFUSED";
  }
}

/**
 * Whether the cluster in `dataDir` runs behind fault proxies. `requested` is --faults (true),
 * --no-faults (false) or neither (undefined: what the folder remembers; without proxies for a new
 * one). A new folder remembers the choice; a folder with node configs but no cluster.json was
 * made before the option existed, without proxies. Throws a FaultError when `requested`
 * contradicts the folder: its configs hold the addresses of one mode.
 */
export function resolveMode(dataDir, requested) {
  const file = join(dataDir, MODE_FILE);
  let remembered;
  if (existsSync(file)) remembered = JSON.parse(readFileSync(file, "utf8")).faults === true;
  else if (
    readdirSync(dataDir).some(
      (d) => existsSync(join(dataDir, d, "redis.conf")) || existsSync(join(dataDir, d, "sentinel.conf")),
    )
  )
    remembered = false;
  if (remembered !== undefined && requested !== undefined && requested !== remembered) {
    const was = remembered ? "with --faults (fault proxies)" : "without --faults (no fault proxies)";
    throw new FaultError(
      `${dataDir} was created ${was}, and its configs hold that mode's addresses: start it ` +
        `${remembered ? "with --faults or without the option" : "without --faults"}, or use --fresh or another --dir.`,
    );
  }
  const faults = remembered ?? requested ?? false;
  if (!existsSync(file)) writeFileSync(file, `${JSON.stringify({ faults })}\n`);
  return faults;
}

/** A free TCP port on 127.0.0.1 for a process behind a proxy (bind to 0, read it, close). */
export function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.on("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const a = srv.address();
      srv.close(() => res(typeof a === "object" && a !== null ? a.port : 0));
    });
  });
}

const sourceName = (n) => `${n.kind}:${n.port}`;

function signal(n, sig) {
  try {
    process.kill(n.proc.pid, sig);
    return true;
  } catch {
    return false;
  }
}

export class Faults {
  /**
   * @param {{ proxied: boolean, servers: any[], sentinels: any[], masterName: string,
   *   call: (n: any, args: string[]) => Promise<unknown>, restart: (n: any) => Promise<string> }} o
   *   `call`: a command on a node's own port (never through a proxy); `restart`: starts a node
   *   that exited again with its config and data, and says how it went.
   */
  constructor(o) {
    this.proxied = o.proxied;
    this.servers = o.servers;
    this.sentinels = o.sentinels;
    this.nodes = [...o.servers, ...o.sentinels];
    this.masterName = o.masterName;
    this.call = o.call;
    this.restart = o.restart;
    /** @type {Map<any, FaultProxy>} */
    this.proxies = new Map();
    /**
     * pid -> source name of every running node, for the proxies' `identify`.
     * @type {Map<number, string>}
     */
    this.pids = new Map();
    this.paused = new Set();
    this.cut = new Set();
    this.queue = Promise.resolve();
  }

  /** Before a node (re)starts: its proxy listens on its public port, towards `n.internalPort`. */
  async targetUp(n) {
    if (!this.proxied) return;
    let proxy = this.proxies.get(n);
    if (proxy === undefined) {
      const identify = (peer, local) => connectionOwner(peer, local, this.pids) ?? "client";
      proxy = await FaultProxy.start({ name: n.name, targetPort: n.internalPort, identify }, n.port);
      this.proxies.set(n, proxy);
      this.applyCuts();
    } else {
      proxy.targetPort = n.internalPort;
      await proxy.targetUp();
    }
  }

  /** A node's process was spawned: connections it opens are its own from now on. */
  started(n) {
    this.pids.set(n.proc.pid, sourceName(n));
  }

  /** A node's process exited: its public port refuses connections, as a dead process's would. */
  exited(n) {
    this.pids.delete(n.proc.pid);
    this.paused.delete(n);
    this.mark(n);
    void this.proxies.get(n)?.targetDown();
  }

  /** SIGCONT to every paused node (before stopping them: a stopped process acts on no SIGTERM). */
  resumeAll() {
    for (const n of this.paused) signal(n, "SIGCONT");
    this.paused.clear();
  }

  async close() {
    for (const p of this.proxies.values()) await p.close();
  }

  /**
   * Runs one fault (`action` in FAULTS) on the node at public `port`, or on the current master
   * when `port` is undefined (heal: on every node). Resolves with what was done, in words;
   * rejects with a FaultError when it cannot be done. Faults queue: one at a time.
   */
  run(action, port) {
    const next = this.queue.then(() => this.runNow(action, port));
    this.queue = next.catch(() => {});
    return next;
  }

  async runNow(action, port) {
    if (!FAULTS.includes(action)) throw new FaultError(`unknown fault '${action}': ${FAULTS.join(", ")}`);
    if (action === "cut" && !this.proxied)
      throw new FaultError(
        "cut needs the fault proxies: start the cluster with --faults (a data folder's mode is " +
          "fixed when it is created: use a new --dir or --fresh). kill and pause work in both modes.",
      );
    if (action === "heal") return this.heal(port === undefined ? this.nodes : [await this.target(port)]);
    const n = await this.target(port);
    const who = `${n.name}${port === undefined ? " (the master)" : ""}`;
    if (action === "kill") {
      if (n.exited !== null || n.proc === null) throw new FaultError(`${who} is already down`);
      const pid = n.proc.pid;
      const gone = new Promise((r) => n.proc.once("exit", r));
      signal(n, "SIGKILL");
      await Promise.race([gone, new Promise((r) => setTimeout(r, KILL_WAIT_MS))]);
      return `killed ${who}, pid ${pid}, with SIGKILL; 'heal' restarts it with its config and data`;
    }
    if (n.exited !== null || n.proc === null) throw new FaultError(`${who} is down (heal restarts it)`);
    if (action === "pause") {
      if (this.paused.has(n)) throw new FaultError(`${who} is already paused`);
      signal(n, "SIGSTOP");
      this.paused.add(n);
      this.mark(n);
      return `paused ${who}, pid ${n.proc.pid}, with SIGSTOP (its sockets stay open); 'heal' resumes it`;
    }
    if (this.cut.has(n)) throw new FaultError(`${who} is already cut off`);
    this.cut.add(n);
    this.applyCuts();
    this.mark(n);
    return (
      `cut ${who} off: its links to and from the other servers, the Sentinels and clients are ` +
      `blackholed (connections hang, nothing is refused); 'heal' restores them`
    );
  }

  /** The node with public port `port`, or the master most Sentinels name (ROLE without them). */
  async target(port) {
    if (port !== undefined) {
      const n = this.nodes.find((m) => m.port === port);
      if (n === undefined)
        throw new FaultError(
          `no node of this cluster has port ${port}: servers ${this.servers.map((m) => m.port).join(",")}` +
            `${this.sentinels.length ? `, Sentinels ${this.sentinels.map((m) => m.port).join(",")}` : ""}`,
        );
      return n;
    }
    // The master clients are sent to: the address most Sentinels give.
    const votes = new Map();
    const running = (m) => m.proc !== null && m.exited === null && !this.paused.has(m);
    const views = await Promise.all(
      this.sentinels
        .filter(running)
        .map((s) => this.call(s, ["SENTINEL", "GET-MASTER-ADDR-BY-NAME", this.masterName])),
    );
    for (const v of views) if (Array.isArray(v)) votes.set(String(v[1]), (votes.get(String(v[1])) ?? 0) + 1);
    const best = [...votes].sort((a, b) => b[1] - a[1])[0];
    const named = best && this.servers.find((m) => String(m.port) === best[0]);
    if (named) return named;
    const roles = await Promise.all(
      this.servers.map(async (m) => (running(m) ? String(await this.call(m, ["ROLE"])) : "")),
    );
    const masters = this.servers.filter((_, i) => roles[i].startsWith("master"));
    if (masters.length === 1) return masters[0];
    throw new FaultError(
      `cannot tell the current master (no Sentinel answers, ${masters.length} servers say master): give --port`,
    );
  }

  /** Undoes every fault on `nodes`: SIGCONT, links back, restarts of the processes that exited. */
  async heal(nodes) {
    const done = [];
    for (const n of nodes) {
      if (this.paused.delete(n)) {
        signal(n, "SIGCONT");
        done.push(`resumed ${n.name}`);
      }
      if (this.cut.delete(n)) done.push(`restored the links of ${n.name}`);
    }
    this.applyCuts();
    for (const n of nodes) {
      this.mark(n);
      if (n.proc !== null && n.exited !== null) done.push(await this.restart(n));
    }
    return done.length > 0 ? `healed: ${done.join("; ")}` : "nothing to heal";
  }

  /** Sets every proxy's rules from the set of cut nodes (see the head comment). */
  applyCuts() {
    const names = [...this.nodes.map(sourceName), "client"];
    const cutNames = [...this.cut].map(sourceName);
    for (const [n, proxy] of this.proxies) {
      const own = sourceName(n);
      proxy.replaceRules("blackhole", this.cut.has(n) ? names.filter((s) => s !== own) : cutNames);
    }
  }

  /** The node's fault marks, shown in the status (status-view.mjs). */
  mark(n) {
    n.fault = [this.paused.has(n) ? "paused" : "", this.cut.has(n) ? "cut off" : ""]
      .filter(Boolean)
      .join(", ");
  }
}
