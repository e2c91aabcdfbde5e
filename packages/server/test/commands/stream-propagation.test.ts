/**
 * In-process checks of what stream commands propagate (the stream that feeds the AOF and
 * replicas), with a sink attached to the server's propagator. The expected forms are those
 * t_stream.c produces: XADD's generated ID and `~` trims rewritten to exact ones
 * (streamRewriteApproxSpecifier / streamRewriteTrimArgument), XREADGROUP, XCLAIM and XAUTOCLAIM
 * as idempotent XCLAIM ... FORCE JUSTID LASTID commands (streamPropagateXCLAIM), NOACK reads as
 * XGROUP CREATECONSUMER / XGROUP SETID ... ENTRIESREAD (streamPropagateConsumerCreation /
 * streamPropagateGroupID); several in one command are wrapped in MULTI/EXEC.
 */

import { REPLY_VALUE, ReplyParser } from "@keyhaven/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Config } from "../../src/config/config.js";
import { Client } from "../../src/network/client.js";
import { Server } from "../../src/server.js";

let server: Server;
let fed: string[];

function decodeCommand(bytes: Buffer): string {
  const parser = new ReplyParser({ strings: "latin1" });
  parser.feed(bytes);
  expect(parser.next()).toBe(REPLY_VALUE);
  return (parser.value as string[]).join(" ");
}

function newClient(): Client {
  return new Client(server, null, server.dbs[0], "127.0.0.1:1", "127.0.0.1:2");
}

function run(c: Client, ...argv: (string | number)[]): unknown {
  c.argv = argv.map(String);
  server.processCommand(c);
  const data = c.out.take();
  if (data === null) return undefined;
  const parser = new ReplyParser({ strings: "latin1" });
  parser.feed(Array.isArray(data) ? Buffer.concat(data) : data);
  expect(parser.next()).toBe(REPLY_VALUE);
  return parser.value;
}

beforeEach(() => {
  server = new Server(new Config());
  fed = [];
  server.propagator.addSink({ kind: "repl", feed: (_db, bytes) => fed.push(decodeCommand(bytes)) });
});
afterEach(() => {
  server.stop();
});

const T = "\\d+";

describe("stream propagation forms", () => {
  it("XADD propagates the ID it generated and exact trims", () => {
    const c = newClient();
    const id = run(c, "XADD", "s", "*", "f", "v") as string;
    run(c, "XADD", "s", "MAXLEN", "~", "1", `${Number(id.split("-")[0]) + 5}-*`, "f", "w");
    run(c, "CONFIG", "SET", "stream-node-max-entries", "2");
    for (let i = 1; i <= 5; i++) run(c, "XADD", "t", `${i}-0`, "f", i);
    run(c, "XTRIM", "t", "MAXLEN", "~", "2");
    run(c, "XTRIM", "t", "MINID", "~", "5");
    run(c, "XTRIM", "t", "MAXLEN", "~", "4");
    const next = `${Number(id.split("-")[0]) + 5}-0`;
    expect(fed).toEqual([
      `XADD s ${id} f v`,
      // A ~ trim that removed nothing still propagates the exact form (Redis rewrites it anyway).
      `XADD s MAXLEN = 2 ${next} f w`,
      "XADD t 1-0 f 1",
      "XADD t 2-0 f 2",
      "XADD t 3-0 f 3",
      "XADD t 4-0 f 4",
      "XADD t 5-0 f 5",
      "XTRIM t MAXLEN = 3",
      "XTRIM t MINID = 5-0",
    ]);
  });

  it("XREADGROUP propagates XCLAIMs, and NOACK the consumer and the group's last ID", () => {
    const c = newClient();
    for (let i = 1; i <= 4; i++) run(c, "XADD", "s", `${i}-0`, "f", i);
    run(c, "XGROUP", "CREATE", "s", "g", "0");
    fed.length = 0;
    run(c, "XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">");
    run(c, "XREADGROUP", "GROUP", "g", "bob", "NOACK", "COUNT", "1", "STREAMS", "s", ">");
    run(c, "XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0");
    const lines = fed.join("\n");
    expect(lines).toMatch(
      new RegExp(
        [
          "^MULTI",
          `XCLAIM s g alice 0 1-0 TIME ${T} RETRYCOUNT 1 FORCE JUSTID LASTID 1-0`,
          `XCLAIM s g alice 0 2-0 TIME ${T} RETRYCOUNT 1 FORCE JUSTID LASTID 2-0`,
          "EXEC",
          "MULTI",
          "XGROUP CREATECONSUMER s g bob",
          "XGROUP SETID s g 3-0 ENTRIESREAD 3",
          "EXEC$",
        ].join("\n"),
      ),
    );
  });

  it("XCLAIM and XAUTOCLAIM propagate XCLAIM, LASTID alone as XGROUP SETID", () => {
    const c = newClient();
    for (let i = 1; i <= 3; i++) run(c, "XADD", "s", `${i}-0`, "f", i);
    run(c, "XGROUP", "CREATE", "s", "g", "0");
    run(c, "XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">");
    run(c, "XDEL", "s", "2-0");
    fed.length = 0;
    run(c, "XCLAIM", "s", "g", "bob", "0", "1", "TIME", "1700000000000", "RETRYCOUNT", "5");
    run(c, "XCLAIM", "s", "g", "bob", "0", "9-0", "LASTID", "9-0");
    run(c, "XAUTOCLAIM", "s", "g", "carol", "0", "0", "COUNT", "2");
    expect(fed.join("\n")).toMatch(
      new RegExp(
        [
          "^XCLAIM s g bob 0 1 TIME 1700000000000 RETRYCOUNT 5 FORCE JUSTID LASTID 3-0",
          "XGROUP SETID s g 9-0 ENTRIESREAD 3",
          `MULTI`,
          `XCLAIM s g carol 0 1-0 TIME ${T} RETRYCOUNT 6 FORCE JUSTID LASTID 9-0`,
          // The deleted entry's NACK goes, propagated with its owner so the replica drops it too.
          `XCLAIM s g alice 0 2-0 TIME ${T} RETRYCOUNT 1 FORCE JUSTID LASTID 9-0`,
          "EXEC$",
        ].join("\n"),
      ),
    );
  });
});
