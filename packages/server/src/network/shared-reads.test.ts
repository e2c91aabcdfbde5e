import { createServer, type Server, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { connectReadingIntoSlabs, readIntoSharedBuffer } from "./shared-reads.js";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

let server: Server | null = null;
afterEach(() => {
  server?.close();
  server = null;
});

/** A server whose connections are adopted by readIntoSharedBuffer; resolves with its port. */
function listen(onRead: (data: Buffer, socket: Socket) => void): Promise<number> {
  const srv = createServer({ pauseOnConnect: true }, (accepted) => {
    const socket = readIntoSharedBuffer(accepted, (data) => onRead(data, socket));
  });
  server = srv;
  return new Promise((resolve) => {
    srv.listen(0, "127.0.0.1", () => resolve((srv.address() as { port: number }).port));
  });
}

function connect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = new Socket();
    s.once("error", reject);
    s.connect(port, "127.0.0.1", () => resolve(s));
  });
}

describe("readIntoSharedBuffer", () => {
  it("hands every connection's bytes to the callback, and the adopted socket writes back", async () => {
    const seen: string[] = [];
    const port = await listen((data, socket) => {
      const text = data.toString("latin1");
      seen.push(text);
      socket.write(text.toUpperCase());
    });
    const a = await connect(port);
    const b = await connect(port);
    const echoed = (s: Socket) => new Promise<string>((r) => s.once("data", (d) => r(d.toString())));
    const fromA = echoed(a);
    a.write("hello from a");
    expect(await fromA).toBe("HELLO FROM A");
    const fromB = echoed(b);
    b.write("b");
    expect(await fromB).toBe("B");
    // One buffer for both connections: the views the callback got were of the same memory.
    expect(seen).toEqual(["hello from a", "b"]);
    a.destroy();
    b.destroy();
  });

  it("keeps net.Server's connection count: close() completes once the adopted sockets are gone", async () => {
    const port = await listen(() => {});
    const client = await connect(port);
    const srv = server!;
    const connections = () => new Promise<number>((r) => srv.getConnections((_, n) => r(n)));
    for (let i = 0; i < 100 && (await connections()) === 0; i++) await sleep(10);
    expect(await connections()).toBe(1);
    const closed = new Promise<string>((r) => srv.close(() => r("closed")));
    client.destroy();
    expect(await Promise.race([closed, sleep(3000).then(() => "still open")])).toBe("closed");
    server = null;
  });

  it("falls back to the socket's own data events when it has no handle to adopt", () => {
    const unconnected = new Socket();
    const got: Buffer[] = [];
    expect(readIntoSharedBuffer(unconnected, (d) => got.push(d))).toBe(unconnected);
    unconnected.emit("data", Buffer.from("x"));
    expect(got.map((d) => d.toString())).toEqual(["x"]);
    unconnected.destroy();
  });
});

describe("connectReadingIntoSlabs", () => {
  it("delivers a long stream in order, and earlier reads stay intact while later ones arrive", async () => {
    // 1.5 MB in writes of varied sizes: several slabs' worth, some reads larger than a slab's
    // remaining room.
    const pieces: Buffer[] = [];
    for (let i = 0; i < 120; i++) pieces.push(Buffer.alloc(1 + ((i * 7919) % 25_000), i % 251));
    const sent = Buffer.concat(pieces);
    const srv = createServer((s) => {
      for (const p of pieces) s.write(p);
      s.end();
    });
    server = srv;
    const port = await new Promise<number>((resolve) => {
      srv.listen(0, "127.0.0.1", () => resolve((srv.address() as { port: number }).port));
    });
    const chunks: Buffer[] = [];
    const socket = connectReadingIntoSlabs({ host: "127.0.0.1", port });
    socket.on("data", (d: Buffer) => chunks.push(d));
    await new Promise<void>((resolve, reject) => {
      socket.once("close", () => resolve());
      socket.once("error", reject);
    });
    expect(chunks.length).toBeGreaterThan(1);
    expect(Buffer.concat(chunks).equals(sent)).toBe(true);
  });
});
