/**
 * The replica's side of the wire, against a scripted master: the handshake a Keyhaven replica
 * sends is compared byte for byte with what a real redis-server 7.0 replica sends to the same
 * script; keepalive newlines before +FULLRESYNC; masters answering -NOMASTERLINK / -LOADING
 * (try again later); an old master without PSYNC (fallback to SYNC, no REPLCONF ACKs); a master
 * that aborts the transfer with an error.
 */

import { createServer, type Server as NetServer, type Socket } from "node:net";
import { encodeCommand, PARSE_COMMAND, RdbWriter, RequestParser } from "@keyhaven/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { hasRealRedis } from "../helpers.js";
import {
  expectOk,
  info,
  type Kind,
  type Node,
  sleep,
  startNode,
  stopNodes,
  waitFor,
} from "./replication-helpers.js";

let nodes: Node[] = [];
let masters: NetServer[] = [];
afterEach(async () => {
  await stopNodes(...nodes);
  nodes = [];
  for (const m of masters) m.close();
  masters = [];
});

/** What a scripted master saw from one replica connection. */
interface Session {
  socket: Socket;
  commands: string[][];
}

type Script = (argv: string[], session: Session) => void;

/** A fake master on a free port: `script` answers each command the replica sends. */
async function fakeMaster(script: Script): Promise<{ port: number; sessions: Session[] }> {
  const sessions: Session[] = [];
  const srv = createServer((socket) => {
    const session: Session = { socket, commands: [] };
    sessions.push(session);
    const parser = new RequestParser({ trusted: true });
    socket.on("data", (chunk) => {
      parser.feed(chunk);
      while (parser.next() === PARSE_COMMAND) {
        session.commands.push(parser.argv);
        script(parser.argv, session);
      }
    });
    socket.on("error", () => {});
  });
  masters.push(srv);
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const address = srv.address();
  return { port: typeof address === "object" && address !== null ? address.port : 0, sessions };
}

/** An RDB holding `keys` (string -> string), with the replication aux fields. */
function rdb(keys: Record<string, string>, replId = "a".repeat(40), offset = 100): Buffer {
  const w = new RdbWriter();
  w.header({ redisVer: "7.0.15", ctime: 0, usedMem: 0, repl: { streamDb: 0, id: replId, offset } });
  const entries = Object.entries(keys);
  w.selectDb(0, entries.length, 0);
  for (const [k, v] of entries) w.entry(k, { type: "string", value: v }, -1);
  w.end();
  return Buffer.concat(w.take());
}

/** Answers the handshake like Redis 7.0, then a full sync with `payload` and `stream`. */
function modernMaster(
  payload: Buffer,
  stream: Buffer,
  replyFull = `+FULLRESYNC ${"a".repeat(40)} 100`,
): Script {
  return (argv, s) => {
    const cmd = argv[0].toUpperCase();
    if (cmd === "PING") s.socket.write("+PONG\r\n");
    else if (cmd === "AUTH" || cmd === "REPLCONF") {
      if (argv[1]?.toUpperCase() !== "ACK") s.socket.write("+OK\r\n");
    } else if (cmd === "PSYNC") {
      s.socket.write("\n\n");
      s.socket.write(`${replyFull}\r\n`);
      s.socket.write(`$${payload.length}\r\n`);
      s.socket.write(payload);
      s.socket.write(stream);
    }
  };
}

async function start(kind: Kind, args: string[] = []): Promise<Node> {
  const n = await startNode(args, kind);
  nodes.push(n);
  return n;
}

describe("the replica's handshake", () => {
  it.runIf(hasRealRedis())("sends what a real Redis 7.0 replica sends", async () => {
    const payload = rdb({ a: "1" });
    const seen: Record<string, string[][]> = {};
    for (const kind of ["redis", "keyhaven"] as const) {
      const master = await fakeMaster(modernMaster(payload, Buffer.alloc(0)));
      const replica = await start(kind, [
        "--masterauth",
        "pw",
        "--masteruser",
        "repl",
        "--replica-announce-ip",
        "10.9.8.7",
        "--replica-announce-port",
        "6399",
      ]);
      expectOk(await replica.c.call("REPLICAOF", "127.0.0.1", master.port));
      await waitFor(async () => (await replica.c.call("GET", "a")) === "1", `${kind} loaded the RDB`);
      // The replica's own replication id is random: compare the shape of PSYNC, not its id.
      seen[kind] = master.sessions[0].commands
        .filter((c) => c[0].toUpperCase() !== "REPLCONF" || c[1].toUpperCase() !== "ACK")
        .map((c) => (c[0].toUpperCase() === "PSYNC" ? [c[0], c[1].length === 40 ? "<id>" : c[1], c[2]] : c));
    }
    expect(seen.keyhaven).toEqual(seen.redis);
    expect(seen.keyhaven).toEqual([
      ["PING"],
      ["AUTH", "repl", "pw"],
      ["REPLCONF", "listening-port", "6399"],
      ["REPLCONF", "ip-address", "10.9.8.7"],
      ["REPLCONF", "capa", "eof", "capa", "psync2"],
      ["PSYNC", "<id>", "1"],
    ]);
  });

  it("loads a $len payload after keepalive newlines, then applies the stream that follows it", async () => {
    const stream = Buffer.concat([
      encodeCommand(["SELECT", "0"]),
      encodeCommand(["SET", "b", "2"]),
      encodeCommand(["INCR", "n"]),
    ]);
    const master = await fakeMaster(modernMaster(rdb({ a: "1" }), stream));
    const replica = await start("keyhaven");
    expectOk(await replica.c.call("REPLICAOF", "127.0.0.1", master.port));
    await waitFor(async () => (await replica.c.call("GET", "n")) === "1", "the stream applied");
    expect(await replica.c.call("MGET", "a", "b")).toEqual(["1", "2"]);
    const r = await info(replica.c, "replication");
    expect(r.get("master_replid")).toBe("a".repeat(40));
    expect(r.get("slave_repl_offset")).toBe(String(100 + stream.length));
    expect(r.get("master_link_status")).toBe("up");
    // REPLCONF GETACK is answered with the offset before the GETACK itself.
    const session = master.sessions[0];
    session.socket.write(encodeCommand(["REPLCONF", "GETACK", "*"]));
    await waitFor(
      () => session.commands.some((c) => c[1] === "ACK" && c[2] === String(100 + stream.length)),
      "REPLCONF ACK",
    );
  });

  it("retries later when the master answers -LOADING or -NOMASTERLINK", async () => {
    let attempts = 0;
    const master = await fakeMaster((argv, s) => {
      if (argv[0].toUpperCase() !== "PSYNC") return modernMaster(rdb({ a: "1" }), Buffer.alloc(0))(argv, s);
      attempts++;
      if (attempts === 1) s.socket.write("-LOADING Redis is loading the dataset in memory\r\n");
      else if (attempts === 2)
        s.socket.write("-NOMASTERLINK Can't SYNC while not connected with my master\r\n");
      else modernMaster(rdb({ a: "1" }), Buffer.alloc(0))(argv, s);
    });
    const replica = await start("keyhaven");
    expectOk(await replica.c.call("REPLICAOF", "127.0.0.1", master.port));
    await waitFor(async () => (await replica.c.call("GET", "a")) === "1", "synced on the third attempt");
    expect(attempts).toBe(3);
  });

  it("falls back to SYNC with a master that does not know PSYNC, and sends it no ACK", async () => {
    const payload = rdb({ old: "yes" });
    const master = await fakeMaster((argv, s) => {
      const cmd = argv[0].toUpperCase();
      if (cmd === "PING") s.socket.write("+PONG\r\n");
      else if (cmd === "REPLCONF") s.socket.write(`-ERR unknown command '${argv[0]}'\r\n`);
      else if (cmd === "PSYNC") s.socket.write("-ERR unknown command 'PSYNC'\r\n");
      else if (cmd === "SYNC") {
        s.socket.write(`$${payload.length}\r\n`);
        s.socket.write(payload);
        s.socket.write(encodeCommand(["SET", "after", "sync"]));
      }
    });
    const replica = await start("keyhaven");
    expectOk(await replica.c.call("REPLICAOF", "127.0.0.1", master.port));
    await waitFor(async () => (await replica.c.call("GET", "after")) === "sync", "synced through SYNC");
    expect(await replica.c.call("GET", "old")).toBe("yes");
    await sleep(1500);
    const commands = master.sessions[0].commands.map((c) => c[0].toUpperCase());
    expect(commands).toContain("SYNC");
    expect(master.sessions[0].commands.some((c) => c[1]?.toUpperCase() === "ACK")).toBe(false);
    expect(((await replica.c.call("ROLE")) as unknown[])[3]).toBe("connected");
  });

  it("a master that aborts the transfer with an error leaves the old data, and is retried", async () => {
    let attempts = 0;
    const good = rdb({ fresh: "1" });
    const master = await fakeMaster((argv, s) => {
      if (argv[0].toUpperCase() === "PSYNC" && ++attempts === 1) {
        s.socket.write(`+FULLRESYNC ${"b".repeat(40)} 5\r\n`);
        s.socket.write("-ERR BGSAVE failed, replication can't continue\r\n");
        return;
      }
      modernMaster(good, Buffer.alloc(0))(argv, s);
    });
    const replica = await start("keyhaven");
    expectOk(await replica.c.call("SET", "old", "data"));
    expectOk(await replica.c.call("REPLICAOF", "127.0.0.1", master.port));
    await waitFor(async () => (await replica.c.call("GET", "fresh")) === "1", "second attempt loaded");
    expect(attempts).toBe(2);
    // The full sync replaced the dataset.
    expect(await replica.c.call("GET", "old")).toBeNull();
  });

  it("a corrupt RDB leaves the previous data in place", async () => {
    const payload = rdb({ k: "v" });
    payload[payload.length - 3] ^= 0xff; // break the CRC64
    let attempts = 0;
    const master = await fakeMaster((argv, s) => {
      if (argv[0].toUpperCase() === "PSYNC") attempts++;
      modernMaster(payload, Buffer.alloc(0))(argv, s);
    });
    const replica = await start("keyhaven", ["--repl-diskless-load", "swapdb"]);
    expectOk(await replica.c.call("SET", "old", "data"));
    expectOk(await replica.c.call("REPLICAOF", "127.0.0.1", master.port));
    await waitFor(() => attempts >= 2, "a retry after the corrupt transfer");
    expect(await replica.c.call("GET", "old")).toBe("data");
    expect(await replica.c.call("GET", "k")).toBeNull();
  });
});
