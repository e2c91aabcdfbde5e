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
 * (a parser holding an unfinished command) copies them (RequestParser.retain). A replica's link
 * to its master keeps what it reads, so it reads into slabs of its own instead
 * (connectReadingIntoSlabs).
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
 * A link's reads fill slabs of this size one after the other; a slab with less room left than
 * READ_ROOM_MIN is left to whoever still holds its reads.
 */
const LINK_SLAB_BYTES = 256 * 1024;
const READ_ROOM_MIN = 16 * 1024;

/**
 * net.connect whose reads arrive as "data" events, each read straight into the free part of a
 * slab of the link's own: the replication link keeps what it receives (an RDB transfer's chunks,
 * the stream it forwards to its own replicas), so each read must stay valid, but need not be a
 * new allocation. In stream mode every read would take a 64 KB block first, which with the
 * launcher's MALLOC_MMAP_THRESHOLD_ is a mapping of its own, and a replica reads its master's
 * stream many times a second.
 */
export function connectReadingIntoSlabs(options: NetConnectOpts): Socket {
  let slab = Buffer.allocUnsafe(LINK_SLAB_BYTES);
  let used = 0;
  const socket: Socket = connect({
    ...options,
    onread: {
      // Node asks for the buffer of the next read before the first one and after each one.
      buffer(): Buffer {
        if (slab.length - used < READ_ROOM_MIN) {
          slab = Buffer.allocUnsafe(LINK_SLAB_BYTES);
          used = 0;
        }
        return slab.subarray(used);
      },
      callback(bytes: number, buf: Uint8Array): boolean {
        used += bytes;
        socket.emit("data", Buffer.from(buf.buffer, buf.byteOffset, bytes));
        return true;
      },
    },
  });
  return socket;
}
