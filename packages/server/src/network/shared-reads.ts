/**
 * Client connections read into one buffer shared by every client, as Redis reads each client's
 * query into its own long-lived buffer, instead of a new Buffer per read.
 *
 * A Node socket in its default (stream) mode gets every read in fresh memory: libuv reads into a
 * 64 KB allocation, Node shrinks it to the bytes read, wraps it in an ArrayBuffer (with a
 * finalizer the GC must run) and pushes it through the Readable stream machinery. Node's
 * `onread` socket option reads into a buffer of ours and calls us directly, but only sockets
 * made with `new net.Socket()` or `net.connect()` take it: net.Server builds the sockets it
 * accepts without it. So an accepted connection arrives paused (`pauseOnConnect`), and its handle
 * is moved into a new Socket built with `onread`, carrying over what the server keeps about the
 * connection (its `server` reference, so that the connection count net.Server keeps for close()
 * stays right).
 *
 * Measured against the build before it (bench/core-throughput.mjs, alternating runs): server CPU
 * per request 9.99 and 10.32 us against 11.82 and 10.80 us; with appendfsync always, user CPU per
 * request 3.1-3.6 us against 4.0-4.6 us (docs/benchmarks.md, stop 14).
 *
 * The shared buffer holds a read only while its callback runs: whoever keeps bytes past that
 * (a parser holding an unfinished command) copies them (RequestParser.retain).
 */

import { connect, type NetConnectOpts, Socket, type SocketConstructorOpts } from "node:net";

/** As large as libuv's reads in stream mode: one read takes what one read took before. */
const READ_BUFFER_BYTES = 64 * 1024;
const sharedReadBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);

/** What this module needs of net.Socket's internals (the handle, the server's bookkeeping). */
interface SocketInternals {
  _handle: { useUserBuffer?: unknown } | null;
  server: unknown;
  _server: unknown;
}

/**
 * Returns a socket reading the connection `accepted` (paused, from a server created with
 * `pauseOnConnect: true`) into the shared buffer; `onRead` gets a view valid until it returns.
 * Falls back to `accepted` itself in stream mode if its handle cannot read into a user buffer.
 */
export function readIntoSharedBuffer(accepted: Socket, onRead: (data: Buffer) => void): Socket {
  const internals = accepted as unknown as SocketInternals;
  const handle = internals._handle;
  if (handle === null || typeof handle.useUserBuffer !== "function") {
    accepted.on("data", onRead);
    accepted.resume();
    return accepted;
  }
  internals._handle = null;
  // `handle` is the stream handle Node's own onconnection passes here (not the BoundSocket the
  // typings describe for this option).
  const options = {
    handle,
    readable: true,
    writable: true,
    onread: {
      buffer: sharedReadBuffer,
      callback(bytes: number): boolean {
        onRead(sharedReadBuffer.subarray(0, bytes));
        return true;
      },
    },
  };
  const socket = new Socket(options as unknown as SocketConstructorOpts);
  const adopted = socket as unknown as SocketInternals;
  adopted.server = internals.server;
  adopted._server = internals._server;
  return socket;
}

/**
 * net.connect whose reads go through the shared buffer and arrive as "data" events of Buffers
 * sized to each read (copies: the replication link keeps what it receives). In stream mode every
 * read would first take a 64 KB allocation, which with the launcher's MALLOC_MMAP_THRESHOLD_ is
 * a mapping of its own: a replica reads its master's stream many times a second.
 */
export function connectWithCopiedReads(options: NetConnectOpts): Socket {
  const socket: Socket = connect({
    ...options,
    onread: {
      buffer: sharedReadBuffer,
      callback(bytes: number): boolean {
        socket.emit("data", Buffer.from(sharedReadBuffer.subarray(0, bytes)));
        return true;
      },
    },
  });
  return socket;
}
