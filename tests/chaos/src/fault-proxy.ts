/**
 * A TCP fault proxy for chaos tests: one listener on 127.0.0.1 in front of one target (a data
 * node or a Sentinel). Every process reaches the target through it, so the target keeps one
 * address for everybody; each accepted connection is attributed to its source process (`identify`,
 * see proc-net.ts), and a link is (source, this target). Per link, on command:
 *
 *   pass       bytes flow both ways (the default);
 *   blackhole  accept, but forward nothing in either direction: reads stop on both sockets, so
 *              the bytes wait in the kernel as packets would wait in a partitioned network; a new
 *              connection is accepted and not forwarded (its upstream opens only when healed);
 *   reset      existing connections are reset (RST) on both ends, and new ones right after accept.
 *
 * Back to pass, frozen connections resume where they stopped (nothing is lost or reordered, as
 * with TCP retransmission after a partition heals), unless a peer gave up and closed meanwhile.
 *
 *   client ──► [listener :port] ──► pair{down, up} ──► target :targetPort
 *                   │ mode(source) = rules[source] ?? defaultMode
 *
 * Invariant: a pair forwards only while its link's mode is pass; the proxy never holds bytes in
 * memory itself (paused sockets keep them in the kernel), so a long blackhole costs nothing.
 *
 * While the target process is dead (`targetDown()` until `targetUp()`), the listener is closed,
 * so connecting to the proxy is refused as connecting to a killed process's port would be.
 * Accepting and then closing instead is not the same to a client: ioredis, for one, sees a
 * connection established, starts its Sentinel failover detector on it and checks readiness,
 * which a dead host never lets it do.
 * Used by cluster.ts; close() destroys every socket and the listener.
 */

import { createServer, type Server, Socket } from "node:net";

export type LinkMode = "pass" | "blackhole" | "reset";

interface Pair {
  source: string;
  down: Socket;
  up: Socket | null;
  /** Upstream connect still to do (the connection arrived while blackholed). */
  upPending: boolean;
}

export interface FaultProxyOptions {
  /** Name of the target, for messages. */
  name: string;
  targetPort: number;
  targetHost?: string;
  /** The source process of an accepted connection, by its peer port ("unknown" if undefined). */
  identify?: (peerPort: number, proxyPort: number) => string | undefined;
}

export class FaultProxy {
  readonly name: string;
  targetPort: number;
  readonly targetHost: string;
  port = 0;
  private readonly server: Server;
  private readonly identify: FaultProxyOptions["identify"];
  private defaultMode: LinkMode = "pass";
  private readonly rules = new Map<string, LinkMode>();
  private readonly pairs = new Set<Pair>();
  /** Connections accepted per source, for tests and reports. */
  readonly accepted = new Map<string, number>();

  private constructor(options: FaultProxyOptions) {
    this.name = options.name;
    this.targetPort = options.targetPort;
    this.targetHost = options.targetHost ?? "127.0.0.1";
    this.identify = options.identify;
    this.server = createServer({ pauseOnConnect: true }, (s) => this.onConnection(s));
    this.server.on("error", () => {});
  }

  /** Starts a proxy on a free port (or `port`). */
  static async start(options: FaultProxyOptions, port = 0): Promise<FaultProxy> {
    const p = new FaultProxy(options);
    await new Promise<void>((resolve, reject) => {
      p.server.once("error", reject);
      p.server.listen(port, "127.0.0.1", () => {
        p.server.off("error", reject);
        resolve();
      });
    });
    const addr = p.server.address();
    p.port = typeof addr === "object" && addr !== null ? addr.port : 0;
    return p;
  }

  /** The mode of the link from `source`. */
  modeFor(source: string): LinkMode {
    return this.rules.get(source) ?? this.defaultMode;
  }

  /**
   * Sets the mode of the links from `from` (source names), or of every link without a rule of
   * its own when `from` is omitted. Applies to open connections at once.
   */
  set(mode: LinkMode, from?: string | readonly string[]): void {
    if (from === undefined) this.defaultMode = mode;
    else for (const s of typeof from === "string" ? [from] : from) this.rules.set(s, mode);
    for (const pair of [...this.pairs]) this.apply(pair);
  }

  /** Every link back to pass. */
  heal(): void {
    this.rules.clear();
    this.defaultMode = "pass";
    for (const pair of [...this.pairs]) this.apply(pair);
  }

  /** Open connections per source. */
  connections(): Map<string, number> {
    const m = new Map<string, number>();
    for (const p of this.pairs) m.set(p.source, (m.get(p.source) ?? 0) + 1);
    return m;
  }

  async close(): Promise<void> {
    for (const p of this.pairs) this.destroy(p, false);
    this.pairs.clear();
    if (this.server.listening) await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The target died: refuse new connections (listener closed) and drop the open ones. */
  async targetDown(): Promise<void> {
    await this.close();
  }

  /** The target is back: listen again on the same port. */
  async targetUp(): Promise<void> {
    if (this.server.listening) return;
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.port, "127.0.0.1", () => {
        this.server.off("error", reject);
        resolve();
      });
    });
  }

  private onConnection(down: Socket): void {
    const peerPort = down.remotePort ?? 0;
    const source = this.identify?.(peerPort, this.port) ?? "unknown";
    this.accepted.set(source, (this.accepted.get(source) ?? 0) + 1);
    down.setNoDelay(true);
    const pair: Pair = { source, down, up: null, upPending: true };
    this.pairs.add(pair);
    down.on("error", () => this.destroy(pair, false));
    down.on("close", () => this.destroy(pair, false));
    this.apply(pair);
  }

  private apply(pair: Pair): void {
    if (!this.pairs.has(pair)) return;
    const mode = this.modeFor(pair.source);
    if (mode === "reset") {
      this.destroy(pair, true);
      return;
    }
    if (mode === "blackhole") {
      pair.down.pause();
      pair.up?.pause();
      return;
    }
    if (pair.upPending) {
      this.connectUp(pair);
      return;
    }
    pair.down.resume();
    pair.up?.resume();
  }

  private connectUp(pair: Pair): void {
    pair.upPending = false;
    const up = new Socket();
    pair.up = up;
    up.setNoDelay(true);
    up.on("error", () => this.destroy(pair, false));
    up.on("close", () => this.destroy(pair, false));
    up.connect(this.targetPort, this.targetHost, () => {
      if (!this.pairs.has(pair)) return;
      // Manual piping keeps pause()/resume() under this proxy's control (pipe() would resume).
      pair.down.on("data", (chunk: Buffer) => {
        if (!up.write(chunk)) pair.down.pause();
      });
      up.on("drain", () => {
        if (this.modeFor(pair.source) === "pass") pair.down.resume();
      });
      up.on("data", (chunk: Buffer) => {
        if (!pair.down.write(chunk)) up.pause();
      });
      pair.down.on("drain", () => {
        if (this.modeFor(pair.source) === "pass") up.resume();
      });
      // A half-close travels on (a client that sent its last command and shut down its side).
      pair.down.on("end", () => up.end());
      up.on("end", () => pair.down.end());
      this.apply(pair);
    });
  }

  private destroy(pair: Pair, reset: boolean): void {
    if (!this.pairs.delete(pair)) return;
    for (const s of [pair.down, pair.up]) {
      if (s === null || s.destroyed) continue;
      if (reset && s.readyState === "open") s.resetAndDestroy();
      else s.destroy();
    }
  }
}
