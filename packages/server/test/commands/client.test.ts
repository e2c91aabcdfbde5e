import { describe, expect, it } from "vitest";
import { errorText, RespClient, type ServerProcess, sleep, waitFor, withTarget } from "../helpers.js";

let server: ServerProcess;
let c: RespClient;

withTarget({}, (t) => ({ server, c } = t));

function field(line: string, name: string): string | undefined {
  return new RegExp(`(?:^| )${name}=(\\S*)`).exec(line)?.[1];
}

describe("CLIENT", () => {
  it("ID, SETNAME, GETNAME, INFO", async () => {
    const id = (await c.call("CLIENT", "ID")) as number;
    expect(id).toBeGreaterThan(0);
    expect(await c.call("CLIENT", "GETNAME")).toBeNull();
    expect(errorText(await c.call("CLIENT", "SETNAME", "a b"))).toBe(
      "ERR Client names cannot contain spaces, newlines or special characters.",
    );
    expect(await c.call("CLIENT", "SETNAME", "worker-1")).toBe("OK");
    expect(await c.call("CLIENT", "GETNAME")).toBe("worker-1");
    const info = (await c.call("CLIENT", "INFO")) as string;
    expect(info.endsWith("\n")).toBe(true);
    expect(field(info, "id")).toBe(String(id));
    expect(field(info, "name")).toBe("worker-1");
    expect(field(info, "db")).toBe("0");
    expect(field(info, "cmd")).toBe("client|info");
    expect(field(info, "resp")).toBe("2");
    expect(field(info, "flags")).toBe("N");
    // Every field of Redis 7.0's CLIENT LIST line, in order.
    expect(
      info
        .trim()
        .split(" ")
        .map((kv) => kv.split("=")[0]),
    ).toEqual([
      "id",
      "addr",
      "laddr",
      "fd",
      "name",
      "age",
      "idle",
      "flags",
      "db",
      "sub",
      "psub",
      "ssub",
      "multi",
      "qbuf",
      "qbuf-free",
      "argv-mem",
      "multi-mem",
      "rbs",
      "rbp",
      "obl",
      "oll",
      "omem",
      "tot-mem",
      "events",
      "cmd",
      "user",
      "redir",
      "resp",
    ]);
    await c.call("CLIENT", "SETNAME", "");
    expect(await c.call("CLIENT", "GETNAME")).toBeNull();
  });

  it("INFO inside a transaction shows it (flags x, multi = commands queued), and events r until a reply waits", async () => {
    const other = await server.client();
    try {
      expect(await other.call("MULTI")).toBe("OK");
      expect(await other.call("SET", "tx", "1")).toBe("QUEUED");
      expect(await other.call("CLIENT", "INFO")).toBe("QUEUED");
      const [, info] = (await other.call("EXEC")) as [string, string];
      expect(field(info, "flags")).toBe("x");
      expect(field(info, "multi")).toBe("2");
      expect(field(info, "cmd")).toBe("exec");
      expect(field(info, "events")).toBe("r");
      const after = (await other.call("CLIENT", "INFO")) as string;
      expect([field(after, "flags"), field(after, "multi")]).toEqual(["N", "-1"]);
    } finally {
      other.close();
    }
  });

  it("LIST shows every connection and filters by type and id", async () => {
    const other = await server.client();
    const otherId = (await other.call("CLIENT", "ID")) as number;
    await other.call("SUBSCRIBE", "ch");
    const list = ((await c.call("CLIENT", "LIST")) as string).trim().split("\n");
    expect(list.length).toBeGreaterThanOrEqual(2);
    const pubsub = ((await c.call("CLIENT", "LIST", "TYPE", "pubsub")) as string).trim().split("\n");
    expect(pubsub.map((l) => field(l, "id"))).toEqual([String(otherId)]);
    expect(field(pubsub[0], "flags")).toBe("P");
    expect(field(pubsub[0], "sub")).toBe("1");
    const byId = (await c.call("CLIENT", "LIST", "ID", String(otherId))) as string;
    expect(field(byId, "id")).toBe(String(otherId));
    expect(errorText(await c.call("CLIENT", "LIST", "TYPE", "foo"))).toBe("ERR Unknown client type 'foo'");
    expect(errorText(await c.call("CLIENT", "LIST", "ID", "abc"))).toBe("ERR Invalid client ID");
    expect(errorText(await c.call("CLIENT", "LIST", "FOO"))).toBe("ERR syntax error");
    other.close();
  });

  it("KILL by id, addr, laddr, type, user and SKIPME", async () => {
    const victim = await server.client();
    const vid = (await victim.call("CLIENT", "ID")) as number;
    expect(await c.call("CLIENT", "KILL", "ID", String(vid))).toBe(1);
    await sleep(50);
    expect(victim.isClosed).toBe(true);
    const v2 = await server.client();
    const addr = field((await v2.call("CLIENT", "INFO")) as string, "addr")!;
    expect(await c.call("CLIENT", "KILL", addr)).toBe("OK");
    expect(errorText(await c.call("CLIENT", "KILL", "1.2.3.4:5"))).toBe("ERR No such client");
    const v3 = await server.client();
    const v3addr = field((await v3.call("CLIENT", "INFO")) as string, "addr")!;
    expect(await c.call("CLIENT", "KILL", "ADDR", v3addr, "SKIPME", "yes")).toBe(1);
    const v4 = await server.client();
    const laddr = field((await v4.call("CLIENT", "INFO")) as string, "laddr")!;
    const killed = (await c.call("CLIENT", "KILL", "LADDR", laddr, "TYPE", "normal")) as number;
    expect(killed).toBeGreaterThanOrEqual(1);
    expect(errorText(await c.call("CLIENT", "KILL", "ID", "abc"))).toBe(
      "ERR client-id should be greater than 0",
    );
    expect(errorText(await c.call("CLIENT", "KILL", "ID", "0"))).toBe(
      "ERR client-id should be greater than 0",
    );
    expect(await c.call("CLIENT", "KILL", "ID", "999999")).toBe(0);
    expect(errorText(await c.call("CLIENT", "KILL", "TYPE", "foo"))).toBe("ERR Unknown client type 'foo'");
    expect(errorText(await c.call("CLIENT", "KILL", "USER", "nobody"))).toBe("ERR No such user 'nobody'");
    expect(errorText(await c.call("CLIENT", "KILL", "FOO", "bar"))).toBe("ERR syntax error");
    const me = await server.client();
    const myId = (await me.call("CLIENT", "ID")) as number;
    expect(await me.call("CLIENT", "KILL", "ID", String(myId), "SKIPME", "no")).toBe(1);
  });

  it("KILL USER default closes every other connection, not the caller's", async () => {
    // Connections closed by earlier tests may still be listed for a moment: the count must be ours.
    const listed = async () => ((await c.call("CLIENT", "LIST")) as string).trim().split("\n").length;
    await waitFor(async () => (await listed()) === 1, "earlier connections gone", 5000);
    const victims = [await server.client(), await server.client()];
    // A connect resolves before the server has accepted the socket: wait until both are listed.
    await waitFor(async () => (await listed()) === 3, "both victims listed", 5000);
    expect(await c.call("CLIENT", "KILL", "USER", "default")).toBe(2);
    await waitFor(() => victims.every((v) => v.isClosed), "victims closed", 5000);
    expect(await c.call("PING")).toBe("PONG");
    expect(((await c.call("CLIENT", "LIST")) as string).trim().split("\n")).toHaveLength(1);
    // With SKIPME no the caller goes too (and still gets the count).
    const me = await server.client();
    expect(await me.call("CLIENT", "KILL", "USER", "default", "SKIPME", "no")).toBe(2);
    await waitFor(() => me.isClosed, "caller closed", 5000);
    c = await server.client();
  });

  it("REPLY OFF/SKIP/ON", async () => {
    const r = await server.client();
    const [skipReply] = await Promise.all([
      r.raw("CLIENT REPLY SKIP\r\nSET a 1\r\nGET a\r\n", 1),
      // CLIENT REPLY SKIP and SET answer nothing; GET answers.
    ]);
    expect(skipReply).toEqual(["1"]);
    const [onReply] = await r.raw("CLIENT REPLY OFF\r\nSET a 2\r\nCLIENT REPLY ON\r\n", 1);
    expect(onReply).toBe("OK");
    expect(await r.call("GET", "a")).toBe("2");
    expect(errorText(await r.call("CLIENT", "REPLY", "FOO"))).toBe("ERR syntax error");
    r.close();
  });

  it("PAUSE WRITE holds writes until UNPAUSE; reads go on", async () => {
    const writer = await server.client();
    expect(await c.call("CLIENT", "PAUSE", "10000", "WRITE")).toBe("OK");
    let done = false;
    const pending = writer.call("SET", "paused", "1").then((r) => {
      done = true;
      return r;
    });
    const reader = await server.client();
    expect(await reader.call("GET", "paused")).toBeNull();
    await sleep(100);
    expect(done).toBe(false);
    // PUBLISH may replicate: it waits too.
    const publisher = await server.client();
    let published = false;
    const pendingPublish = publisher.call("PUBLISH", "ch", "x").then((r) => {
      published = true;
      return r;
    });
    await sleep(100);
    expect(published).toBe(false);
    expect(await c.call("CLIENT", "UNPAUSE")).toBe("OK");
    expect(await pending).toBe("OK");
    expect(await pendingPublish).toBe(0);
    publisher.close();
    expect(await reader.call("GET", "paused")).toBe("1");
    expect(errorText(await c.call("CLIENT", "PAUSE", "abc"))).toBe(
      "ERR timeout is not an integer or out of range",
    );
    expect(errorText(await c.call("CLIENT", "PAUSE", "-1"))).toBe("ERR timeout is negative");
    expect(errorText(await c.call("CLIENT", "PAUSE", "10", "FOO"))).toBe(
      "ERR CLIENT PAUSE mode must be WRITE or ALL",
    );
    writer.close();
    reader.close();
  });

  it("PAUSE ALL holds every command until the timeout", async () => {
    const other = await server.client();
    expect(await c.call("CLIENT", "PAUSE", "200")).toBe("OK");
    const started = Date.now();
    expect(await other.call("GET", "nokey")).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    other.close();
  });

  it("NO-EVICT, UNBLOCK and errors", async () => {
    expect(await c.call("CLIENT", "NO-EVICT", "on")).toBe("OK");
    expect(await c.call("CLIENT", "NO-EVICT", "off")).toBe("OK");
    expect(errorText(await c.call("CLIENT", "NO-EVICT", "foo"))).toBe("ERR syntax error");
    expect(await c.call("CLIENT", "UNBLOCK", "999999")).toBe(0);
    expect(errorText(await c.call("CLIENT", "UNBLOCK", "999999", "FOO"))).toBe(
      "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
    );
    expect(errorText(await c.call("CLIENT", "FOO"))).toBe("ERR unknown subcommand 'FOO'. Try CLIENT HELP.");
    // PAUSE takes 3 or 4 arguments, checked inside clientCommand, and the mode before the timeout.
    expect(errorText(await c.call("CLIENT", "PAUSE", "10", "ALL", "extra"))).toBe(
      "ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP.",
    );
    expect(errorText(await c.call("CLIENT", "pause", "10", "write", "extra"))).toBe(
      "ERR unknown subcommand or wrong number of arguments for 'pause'. Try CLIENT HELP.",
    );
    expect(errorText(await c.call("CLIENT", "PAUSE", "x", "foo"))).toBe(
      "ERR CLIENT PAUSE mode must be WRITE or ALL",
    );
    expect(errorText(await c.call("CLIENT", "PAUSE", "x", "ALL"))).toBe(
      "ERR timeout is not an integer or out of range",
    );
    expect(errorText(await c.call("CLIENT"))).toBe("ERR wrong number of arguments for 'client' command");
  });

  it("SETINFO (Redis 7.2; Keyhaven accepts it for newer clients)", async (ctx) => {
    // Debian's redis-server 7.0 does not know CLIENT SETINFO: only Keyhaven is checked.
    if (process.env.KEYHAVEN_TEST_TARGET === "redis") ctx.skip();
    expect(await c.call("CLIENT", "SETINFO", "LIB-NAME", "mylib")).toBe("OK");
    expect(await c.call("CLIENT", "SETINFO", "LIB-VER", "1.0")).toBe("OK");
    expect(errorText(await c.call("CLIENT", "SETINFO", "FOO", "x"))).toBe("ERR Unrecognized option 'FOO'");
  });
});

void RespClient;
