/**
 * What a client sent but the server has not run yet must survive other clients' reads: Keyhaven
 * receives every connection's data into one shared buffer (network/shared-reads.ts), so a
 * command cut between two writes, or commands pipelined behind a blocking one, are kept only if
 * they are copied out before the next read. Runs against real Redis too.
 */

import { Socket } from "node:net";
import { join } from "node:path";
import { encodeCommand } from "@keyhaven/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  infoSection,
  type RespClient,
  type ServerProcess,
  startTarget,
  stopTarget,
  tempDir,
  waitFor,
} from "../helpers.js";

let server: ServerProcess;
let c: RespClient;
let other: RespClient;
let socketPath: string;

beforeAll(async () => {
  socketPath = join(tempDir(), "reads.sock");
  server = await startTarget({ args: ["--unixsocket", socketPath] });
  c = await server.client();
  other = await server.client();
});
afterAll(() => stopTarget(server, c, other));

/** Another client's traffic: reads of up to 64 KB land in the shared buffer meanwhile. */
async function busyOtherClient(round: number): Promise<void> {
  for (let i = 0; i < 4; i++) {
    const value = String.fromCharCode(97 + ((round + i) % 26)).repeat(60_000);
    expect(await other.call("SET", `filler:${i}`, value)).toBe("OK");
    expect(await other.call("STRLEN", `filler:${i}`)).toBe(60_000);
  }
}

async function clientsField(field: string): Promise<number> {
  return Number((await infoSection(c, "clients")).get(field));
}

describe("client input kept across other clients' reads", () => {
  it("commands pipelined behind a blocking one run once it is served", async () => {
    const blocker = await server.client();
    try {
      const pipeline = Buffer.concat([
        // A timeout, so that a failure ends in a nil reply rather than a hung test.
        encodeCommand(["BLPOP", "queue", "10"]),
        encodeCommand(["SET", "after-blpop", "ran"]),
        encodeCommand(["GET", "after-blpop"]),
      ]);
      const replies = blocker.raw(pipeline, 3);
      await waitFor(async () => (await clientsField("blocked_clients")) === 1, "the BLPOP to block");
      await busyOtherClient(0);
      // Still waiting behind the BLPOP.
      expect(await c.call("GET", "after-blpop")).toBeNull();
      expect(await c.call("RPUSH", "queue", "item")).toBe(1);
      expect(await replies).toEqual([["queue", "item"], "OK", "ran"]);
    } finally {
      blocker.close();
    }
  });

  it("a command cut between writes is whole once its end arrives, over TCP and a unix socket", async () => {
    for (const transport of ["tcp", "unix"] as const) {
      const sock = new Socket();
      await new Promise<void>((resolve, reject) => {
        sock.once("error", reject);
        if (transport === "tcp") sock.connect(server.port, "127.0.0.1", resolve);
        else sock.connect(socketPath, resolve);
      });
      try {
        const value = `${transport}-${"v".repeat(5000)}`;
        const command = encodeCommand(["SET", `cut:${transport}`, value]);
        const replies: Buffer[] = [];
        sock.on("data", (d: Buffer) => replies.push(d));
        // Cut inside the header, then inside the value; other reads happen in between.
        const cuts = [3, 20, 2000, command.length];
        let from = 0;
        for (const [round, to] of cuts.entries()) {
          sock.write(command.subarray(from, to));
          from = to;
          if (to < command.length) await busyOtherClient(round);
        }
        await waitFor(() => Buffer.concat(replies).toString("latin1") === "+OK\r\n", "+OK");
        expect(await c.call("GET", `cut:${transport}`)).toBe(value);
      } finally {
        sock.destroy();
      }
    }
  });

  it("every connection's count and address survive the read setup", async () => {
    const connected = () => clientsField("connected_clients");
    // `c` and `other`; the previous tests' sockets may still be closing.
    await waitFor(async () => (await connected()) === 2, "the other tests' connections to be gone");
    const extra = await server.client();
    expect(String(await c.call("CLIENT", "LIST"))).toMatch(/addr=127\.0\.0\.1:\d+ laddr=127\.0\.0\.1:\d+/);
    expect(await connected()).toBe(3);
    extra.close();
    await waitFor(async () => (await connected()) === 2, "the closed connection to be gone");
  });
});
