/**
 * MIGRATE's network side, run in a worker thread (started by migrate-connections.ts): Redis's
 * migrate_cached_sockets and the exchange of migrateCommand with the target instance.
 *
 * The worker owns one cached connection per "host:port" (as the arguments were written), with
 * the database last SELECTed on it. A connection unused for more than 10 seconds is closed (once
 * a second, as serverCron's migrateCloseTimedoutSockets), and at most 64 are kept: a new one
 * evicts a random idle one. Jobs for one connection run one after the other; jobs for different
 * targets run side by side.
 *
 * One job: [AUTH [user] password] [SELECT db when the connection's last db differs] then the
 * RESTORE commands (built by the main thread), written at once; then one reply line for AUTH,
 * one for SELECT and one per RESTORE, each within `timeout` ms. As Redis, a failed write or a
 * connection lost before the first RESTORE reply (not a timeout) is retried once on a fresh
 * connection, since a cached connection the target closed is common.
 *
 * Results go back to the thread that posted the job: on the parent port, or for a job the main
 * thread waits for synchronously (inside MULTI/EXEC or a script) on the sync port, followed by
 * a wake-up through the shared flag.
 */

import { connect, type Socket } from "node:net";
import { type MessagePort, parentPort, workerData } from "node:worker_threads";

export interface MigrateJob {
  id: number;
  host: string;
  /** The port argument as written (the cache key uses it; Redis's atoi() gives the number). */
  port: string;
  timeout: number;
  /** The destination db, as SELECT's argument. */
  db: string;
  /** AUTH's arguments: [password] or [username, password]; null for none. */
  auth: string[] | null;
  /** The RESTORE commands, RESP-encoded. */
  restores: Uint8Array;
  restoreCount: number;
  sync: boolean;
}

export interface MigrateResult {
  id: number;
  /** Indexes of the RESTOREs the target acknowledged (their keys are moved). */
  acked: number[];
  /** The first error the target replied, without its leading '-'. */
  targetError: string | null;
  /** A connection failure: what failed ("connecting", "writing" or "reading"). */
  ioError: "connecting" | "writing" | "reading" | null;
}

/** Sent whenever the number of cached connections changes. */
export interface CacheSizeMessage {
  cachedSockets: number;
}

export interface WorkerInit {
  syncPort: MessagePort;
  syncFlag: Int32Array;
}

const CACHE_MAX = 64;
const CACHE_TTL_SECONDS = 10;
const WRITE_CHUNK = 64 * 1024;

interface CachedConnection {
  name: string;
  socket: Socket;
  /** The db last SELECTed on this connection, or null when unknown. */
  lastDb: string | null;
  lastUse: number;
  busy: boolean;
  /** Bytes received and not yet consumed as lines. */
  pending: Buffer;
  /** Set while a job reads: called on data, close and error. */
  wake: (() => void) | null;
  closed: boolean;
  error: Error | null;
}

/** Thrown inside a job: a socket failure, with whether it was a timeout (never retried). */
class SocketFailure extends Error {
  constructor(
    readonly stage: "connecting" | "writing" | "reading",
    readonly timedOut: boolean,
  ) {
    super(stage);
  }
}

const cache = new Map<string, CachedConnection>();
/** Per connection name, the tail of its job queue. */
const queues = new Map<string, Promise<void>>();

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The cache size the main thread last heard of (INFO's migrate_cached_sockets). */
let reportedSize = 0;

function reportCacheSize(): void {
  if (cache.size === reportedSize || parentPort === null) return;
  reportedSize = cache.size;
  parentPort.postMessage({ cachedSockets: reportedSize } satisfies CacheSizeMessage);
}

function closeConnection(conn: CachedConnection): void {
  conn.closed = true;
  conn.socket.destroy();
  if (cache.get(conn.name) === conn) cache.delete(conn.name);
  reportCacheSize();
}

/** atoi(): the leading decimal integer of `s` (0 when there is none). */
function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  return m === null ? 0 : Number.parseInt(m[1], 10);
}

function openConnection(
  name: string,
  host: string,
  portArg: string,
  timeout: number,
): Promise<CachedConnection> {
  // getaddrinfo() refuses an empty host and a negative port before any connect() is tried;
  // a port past 65535 wraps as the 16-bit sin_port it ends up in.
  const port = atoi(portArg);
  if (host.length === 0 || port < 0) return Promise.reject(new SocketFailure("connecting", false));
  if (cache.size >= CACHE_MAX) {
    const idle = [...cache.values()].filter((c) => !c.busy);
    if (idle.length > 0) closeConnection(idle[Math.floor(Math.random() * idle.length)]);
  }
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port: port & 0xffff });
    socket.setNoDelay(true);
    const conn: CachedConnection = {
      name,
      socket,
      lastDb: null,
      lastUse: nowSeconds(),
      busy: true,
      pending: Buffer.alloc(0),
      wake: null,
      closed: false,
      error: null,
    };
    const timer = setTimeout(() => {
      socket.destroy();
      // connBlockingConnect gives up waiting silently; the first write then times out.
      reject(new SocketFailure("writing", true));
    }, timeout);
    socket.once("connect", () => {
      clearTimeout(timer);
      cache.set(name, conn);
      reportCacheSize();
      resolve(conn);
    });
    socket.on("data", (chunk: Buffer) => {
      conn.pending = conn.pending.length === 0 ? chunk : Buffer.concat([conn.pending, chunk]);
      conn.wake?.();
    });
    socket.on("error", (err) => {
      conn.error = err;
      clearTimeout(timer);
      // The connect happens in the background in Redis too: its failure shows on the first write.
      if (!socket.connecting && cache.get(name) === conn) conn.wake?.();
      else {
        // A name that does not resolve fails in getaddrinfo(), before any connect().
        const resolving = (err as NodeJS.ErrnoException).syscall === "getaddrinfo";
        reject(new SocketFailure(resolving ? "connecting" : "writing", false));
      }
    });
    socket.on("close", () => {
      conn.closed = true;
      if (cache.get(name) === conn && !conn.busy) {
        cache.delete(name);
        reportCacheSize();
      }
      conn.wake?.();
    });
  });
}

/**
 * Writes `bytes` in 64 KB chunks, as Redis's connSyncWrite loop: each chunk must reach the
 * kernel within `timeout` ms.
 */
async function writeAll(conn: CachedConnection, bytes: Uint8Array, timeout: number): Promise<void> {
  for (let pos = 0; pos < bytes.length; pos += WRITE_CHUNK) {
    await writeChunk(conn, bytes.subarray(pos, pos + WRITE_CHUNK), timeout);
  }
}

function writeChunk(conn: CachedConnection, chunk: Uint8Array, timeout: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (conn.closed || conn.error !== null) {
      reject(new SocketFailure("writing", false));
      return;
    }
    const timer = setTimeout(() => reject(new SocketFailure("writing", true)), timeout);
    conn.socket.write(chunk, (err) => {
      clearTimeout(timer);
      if (err) reject(new SocketFailure("writing", false));
      else resolve();
    });
  });
}

/** Reads one reply line (without CRLF), waiting at most `timeout` ms for it. */
function readLine(conn: CachedConnection, timeout: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => settle(new SocketFailure("reading", true)), timeout);
    const settle = (err: Error | null, line?: string) => {
      clearTimeout(timer);
      conn.wake = null;
      if (err === null) resolve(line!);
      else reject(err);
    };
    const attempt = () => {
      const nl = conn.pending.indexOf(10);
      if (nl >= 0) {
        const end = nl > 0 && conn.pending[nl - 1] === 13 ? nl - 1 : nl;
        const line = conn.pending.toString("latin1", 0, end);
        conn.pending = conn.pending.subarray(nl + 1);
        settle(null, line);
      } else if (conn.closed || conn.error !== null) {
        settle(new SocketFailure("reading", false));
      }
    };
    conn.wake = attempt;
    attempt();
  });
}

function encodeArgv(argv: readonly string[]): Buffer {
  let s = `*${argv.length}\r\n`;
  for (const a of argv) s += `$${Buffer.byteLength(a, "latin1")}\r\n${a}\r\n`;
  return Buffer.from(s, "latin1");
}

/** One attempt of a job on one connection (cached or new). */
async function attempt(job: MigrateJob, result: MigrateResult, name: string): Promise<void> {
  const cached = cache.get(name);
  const conn =
    cached !== undefined && !cached.closed
      ? cached
      : await openConnection(name, job.host, job.port, job.timeout);
  conn.busy = true;
  conn.lastUse = nowSeconds();
  try {
    const select = conn.lastDb !== job.db;
    const head: Buffer[] = [];
    if (job.auth !== null) head.push(encodeArgv(["AUTH", ...job.auth]));
    if (select) head.push(encodeArgv(["SELECT", job.db]));
    await writeAll(conn, Buffer.concat([...head, job.restores]), job.timeout);
    const authReply = job.auth !== null ? await readLine(conn, job.timeout) : "";
    const selectReply = select ? await readLine(conn, job.timeout) : "";
    let failure: SocketFailure | null = null;
    let j = 0;
    for (; j < job.restoreCount; j++) {
      let reply: string;
      try {
        reply = await readLine(conn, job.timeout);
      } catch (err) {
        failure = err as SocketFailure;
        break;
      }
      const rejected = authReply.startsWith("-")
        ? authReply
        : selectReply.startsWith("-")
          ? selectReply
          : reply.startsWith("-")
            ? reply
            : null;
      if (rejected !== null) {
        if (result.targetError === null) {
          // The db the target is on is no longer known.
          conn.lastDb = null;
          result.targetError = rejected.slice(1);
        }
      } else {
        result.acked.push(j);
      }
    }
    if (failure !== null) {
      // Nothing acknowledged yet: the caller may try again on a new connection.
      if (j === 0 && result.targetError === null) throw failure;
      closeConnection(conn);
      if (result.targetError === null) result.ioError = "reading";
      return;
    }
    if (result.targetError === null) conn.lastDb = job.db;
  } catch (err) {
    closeConnection(conn);
    throw err;
  } finally {
    conn.busy = false;
    conn.lastUse = nowSeconds();
    // Closed by the target while in use, after its replies: not worth keeping.
    if (conn.closed && cache.get(name) === conn) closeConnection(conn);
  }
}

async function run(job: MigrateJob): Promise<MigrateResult> {
  const result: MigrateResult = { id: job.id, acked: [], targetError: null, ioError: null };
  const name = `${job.host}:${job.port}`;
  try {
    await attempt(job, result, name);
  } catch (err) {
    const failure = err instanceof SocketFailure ? err : new SocketFailure("reading", false);
    if (failure.timedOut || failure.stage === "connecting") {
      result.ioError = failure.stage;
      return result;
    }
    try {
      await attempt(job, result, name);
    } catch (again) {
      result.ioError = again instanceof SocketFailure ? again.stage : "reading";
    }
  }
  return result;
}

/** Runs `job` after the jobs already queued for its connection. */
function enqueue(job: MigrateJob): Promise<MigrateResult> {
  const name = `${job.host}:${job.port}`;
  const previous = queues.get(name) ?? Promise.resolve();
  const done = previous
    .then(() => run(job))
    .catch((): MigrateResult => ({ id: job.id, acked: [], targetError: null, ioError: "reading" }));
  const tail = done.then(
    () => undefined,
    () => undefined,
  );
  queues.set(name, tail);
  void tail.then(() => {
    if (queues.get(name) === tail) queues.delete(name);
  });
  return done;
}

function closeIdleConnections(): void {
  const now = nowSeconds();
  for (const conn of cache.values()) {
    if (!conn.busy && now - conn.lastUse > CACHE_TTL_SECONDS) closeConnection(conn);
  }
}

if (parentPort !== null) {
  const init = workerData as WorkerInit;
  const port = parentPort;
  setInterval(closeIdleConnections, 1000).unref();
  port.on("message", (job: MigrateJob) => {
    void enqueue(job).then((result) => {
      if (!job.sync) {
        port.postMessage(result);
        return;
      }
      init.syncPort.postMessage(result);
      Atomics.store(init.syncFlag, 0, job.id);
      Atomics.notify(init.syncFlag, 0);
    });
  });
}
