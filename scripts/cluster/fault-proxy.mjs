/**
 * A TCP fault proxy: one listener on 127.0.0.1 in front of one target (a data node or a
 * Sentinel). Every process reaches the target through it, so the target keeps one
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
 * Used by `./keyhaven cluster --faults` (scripts/cluster/faults.mjs) and by the chaos tests
 * (tests/chaos/src/cluster.ts, with the types in fault-proxy.d.mts): plain JS so that the script
 * runs it without a build. close() destroys every socket and the listener.
 */

import { createServer, Socket } from "node:net";

/** @typedef {"pass" | "blackhole" | "reset"} LinkMode */
/**
 * One accepted connection; `upPending`: the upstream connect is still to do (the connection
 * arrived while blackholed).
 * @typedef {{ source: string, down: Socket, up: Socket | null, upPending: boolean }} Pair
 */
/**
 * `identify`: the source process of an accepted connection, by its peer port ("unknown" when it
 * returns undefined). `name`: the target's, for messages.
 * @typedef {{ name: string, targetPort: number, targetHost?: string,
 *   identify?: (peerPort: number, proxyPort: number) => string | undefined }} FaultProxyOptions
 */

export class FaultProxy {
  /** @param {FaultProxyOptions} options */
  constructor(options) {
    this.name = options.name;
    this.targetPort = options.targetPort;
    this.targetHost = options.targetHost ?? "127.0.0.1";
    this.port = 0;
    this.identify = options.identify;
    /** @type {LinkMode} */
    this.defaultMode = "pass";
    /** @type {Map<string, LinkMode>} */
    this.rules = new Map();
    /** @type {Set<Pair>} */
    this.pairs = new Set();
    /**
     * Connections accepted per source, for tests and reports.
     * @type {Map<string, number>}
     */
    this.accepted = new Map();
    this.server = createServer({ pauseOnConnect: true }, (s) => this.onConnection(s));
    this.server.on("error", () => {});
  }

  /**
   * Starts a proxy on a free port (or `port`); rejects (EADDRINUSE...) when it cannot listen.
   * @param {FaultProxyOptions} options
   * @returns {Promise<FaultProxy>}
   */
  static async start(options, port = 0) {
    const p = new FaultProxy(options);
    await p.listen(port);
    const addr = p.server.address();
    p.port = typeof addr === "object" && addr !== null ? addr.port : 0;
    return p;
  }

  /** @param {number} port */
  listen(port) {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, "127.0.0.1", () => {
        this.server.off("error", reject);
        resolve();
      });
    });
  }

  /**
   * The mode of the link from `source`.
   * @param {string} source
   * @returns {LinkMode}
   */
  modeFor(source) {
    return this.rules.get(source) ?? this.defaultMode;
  }

  /**
   * Sets the mode of the links from `from` (source names), or of every link without a rule of
   * its own when `from` is omitted. Applies to open connections at once.
   * @param {LinkMode} mode
   * @param {string | readonly string[]} [from]
   */
  set(mode, from) {
    if (from === undefined) this.defaultMode = mode;
    else for (const s of typeof from === "string" ? [from] : from) this.rules.set(s, mode);
    this.applyAll();
  }

  /**
   * Exactly the links from `from` in `mode`, every other one back to pass, in one step: no link
   * that stays cut passes a byte in between (as `heal()` then `set()` could let it).
   * @param {LinkMode} mode
   * @param {readonly string[]} from
   */
  replaceRules(mode, from) {
    this.defaultMode = "pass";
    this.rules = new Map(from.map((s) => [s, mode]));
    this.applyAll();
  }

  /** Every link back to pass. */
  heal() {
    this.replaceRules("pass", []);
  }

  /** Open connections per source. */
  connections() {
    /** @type {Map<string, number>} */
    const m = new Map();
    for (const p of this.pairs) m.set(p.source, (m.get(p.source) ?? 0) + 1);
    return m;
  }

  /** @returns {Promise<void>} */
  async close() {
    for (const p of this.pairs) this.destroy(p, false);
    this.pairs.clear();
    if (this.server.listening) await new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** The target died: refuse new connections (listener closed) and drop the open ones. */
  async targetDown() {
    await this.close();
  }

  /** The target is back: listen again on the same port. */
  async targetUp() {
    if (!this.server.listening) await this.listen(this.port);
  }

  applyAll() {
    for (const pair of [...this.pairs]) this.apply(pair);
  }

  /** @param {Socket} down */
  onConnection(down) {
    const peerPort = down.remotePort ?? 0;
    const source = this.identify?.(peerPort, this.port) ?? "unknown";
    this.accepted.set(source, (this.accepted.get(source) ?? 0) + 1);
    down.setNoDelay(true);
    /** @type {Pair} */
    const pair = { source, down, up: null, upPending: true };
    this.pairs.add(pair);
    down.on("error", () => this.destroy(pair, false));
    down.on("close", () => this.destroy(pair, false));
    this.apply(pair);
  }

  /** @param {Pair} pair */
  apply(pair) {
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

  /** @param {Pair} pair */
  connectUp(pair) {
    pair.upPending = false;
    const up = new Socket();
    pair.up = up;
    up.setNoDelay(true);
    up.on("error", () => this.destroy(pair, false));
    up.on("close", () => this.destroy(pair, false));
    up.connect(this.targetPort, this.targetHost, () => {
      if (!this.pairs.has(pair)) return;
      // Manual piping keeps pause()/resume() under this proxy's control (pipe() would resume).
      pair.down.on("data", (chunk) => {
        if (!up.write(chunk)) pair.down.pause();
      });
      up.on("drain", () => {
        if (this.modeFor(pair.source) === "pass") pair.down.resume();
      });
      up.on("data", (chunk) => {
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

  /**
   * @param {Pair} pair
   * @param {boolean} reset
   */
  destroy(pair, reset) {
    if (!this.pairs.delete(pair)) return;
    for (const s of [pair.down, pair.up]) {
      if (s === null || s.destroyed) continue;
      if (reset && s.readyState === "open") s.resetAndDestroy();
      else s.destroy();
    }
  }
}
