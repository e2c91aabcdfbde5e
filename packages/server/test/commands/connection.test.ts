import { Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  errorText,
  infoSection,
  RespClient,
  type ServerProcess,
  startTarget,
  waitFor,
  withTarget,
} from "../helpers.js";

let server: ServerProcess;
let c: RespClient;

withTarget({}, (t) => ({ server, c } = t));

describe("connection commands", () => {
  it("PING, ECHO, SELECT", async () => {
    expect(await c.call("PING")).toBe("PONG");
    expect(await c.call("PING", "hello")).toBe("hello");
    expect(errorText(await c.call("PING", "a", "b"))).toBe(
      "ERR wrong number of arguments for 'ping' command",
    );
    expect(await c.call("ECHO", "hi\r\n")).toBe("hi\r\n");
    expect(errorText(await c.call("ECHO"))).toBe("ERR wrong number of arguments for 'echo' command");
    expect(errorText(await c.call("SELECT", "16"))).toBe("ERR DB index is out of range");
    expect(errorText(await c.call("SELECT", "-1"))).toBe("ERR DB index is out of range");
    expect(errorText(await c.call("SELECT", "abc"))).toBe("ERR value is not an integer or out of range");
    expect(await c.call("SELECT", "15")).toBe("OK");
    expect(await c.call("SELECT", "0")).toBe("OK");
  });

  it("unknown commands and arity errors", async () => {
    expect(errorText(await c.call("NOSUCH"))).toBe(
      "ERR unknown command 'NOSUCH', with args beginning with: ",
    );
    expect(errorText(await c.call("nosuch", "a", "b c"))).toBe(
      "ERR unknown command 'nosuch', with args beginning with: 'a' 'b c' ",
    );
    expect(errorText(await c.call("GET"))).toBe("ERR wrong number of arguments for 'get' command");
    expect(errorText(await c.call("GET", "a", "b"))).toBe("ERR wrong number of arguments for 'get' command");
    expect(errorText(await c.call("CONFIG", "FOO"))).toBe("ERR unknown subcommand 'FOO'. Try CONFIG HELP.");
    expect(errorText(await c.call("CONFIG", "GET"))).toBe(
      "ERR wrong number of arguments for 'config|get' command",
    );
  });

  it("HELLO switches protocols and validates its arguments", async () => {
    const h = await RespClient.connect(server.port);
    expect(errorText(await h.call("HELLO", "4"))).toBe("NOPROTO unsupported protocol version");
    expect(errorText(await h.call("HELLO", "1"))).toBe("NOPROTO unsupported protocol version");
    expect(errorText(await h.call("HELLO", "abc"))).toBe(
      "ERR Protocol version is not an integer or out of range",
    );
    expect(errorText(await h.call("HELLO", "2", "FOO"))).toBe("ERR Syntax error in HELLO option 'FOO'");
    // Without requirepass the default user takes any password.
    expect(((await h.call("HELLO", "2", "AUTH", "default", "x")) as unknown[])[0]).toBe("server");
    expect(errorText(await h.call("HELLO", "2", "AUTH", "nobody", "x"))).toBe(
      "WRONGPASS invalid username-password pair or user is disabled.",
    );
    const reply = (await h.call("HELLO", "2", "SETNAME", "myname")) as unknown[];
    expect(reply.filter((_, i) => i !== 7)).toEqual([
      "server",
      "redis",
      "version",
      "7.0.15",
      "proto",
      2,
      "id",
      "mode",
      "standalone",
      "role",
      "master",
      "modules",
      [],
    ]);
    expect(await h.call("CLIENT", "GETNAME")).toBe("myname");
    h.close();
    const t = await RespClient.connect(server.port, { typed: true });
    const r3 = (await t.call("HELLO", "3")) as { type: string; value: unknown[] };
    expect(r3.type).toBe("map");
    expect(await t.call("GET", "nokey")).toEqual({ type: "null" });
    expect(await t.call("HELLO")).toMatchObject({ type: "map" });
    t.close();
  });

  it("RESET returns the connection to its initial state", async () => {
    const r = await RespClient.connect(server.port);
    await r.call("SELECT", "3");
    await r.call("CLIENT", "SETNAME", "x");
    await r.call("MULTI");
    expect(await r.call("RESET")).toBe("RESET");
    expect(await r.call("CLIENT", "GETNAME")).toBeNull();
    expect(errorText(await r.call("EXEC"))).toBe("ERR EXEC without MULTI");
    const info = (await r.call("CLIENT", "INFO")) as string;
    expect(info).toMatch(/ db=0 /);
    r.close();
  });

  it("QUIT replies OK and closes", async () => {
    const q = await RespClient.connect(server.port);
    expect(await q.call("QUIT")).toBe("OK");
    for (let i = 0; i < 100 && !q.isClosed; i++) await new Promise((res) => setTimeout(res, 10));
    expect(q.isClosed).toBe(true);
  });

  it("QUIT closes the connection even when the client keeps its end open", async () => {
    const clients = async () => Number((await infoSection(c, "clients")).get("connected_clients"));
    await waitFor(async () => (await clients()) === 1, "the other tests' connections to be gone");
    // allowHalfOpen: the client does not answer the server's FIN with its own.
    const sock = new Socket({ allowHalfOpen: true });
    sock.on("error", () => {});
    await new Promise<void>((r) => sock.connect(server.port, "127.0.0.1", r));
    try {
      let got = "";
      sock.on("data", (d: Buffer) => {
        got += d.toString("latin1");
      });
      sock.write("QUIT\r\n");
      await waitFor(() => got === "+OK\r\n", "+OK");
      await waitFor(async () => (await clients()) === 1, "the server to drop the connection");
    } finally {
      sock.destroy();
    }
  });

  it("AUTH without a configured password", async () => {
    expect(errorText(await c.call("AUTH", "foo"))).toBe(
      "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
    );
    expect(await c.call("AUTH", "default", "foo")).toBe("OK");
    expect(errorText(await c.call("AUTH", "nobody", "foo"))).toBe(
      "WRONGPASS invalid username-password pair or user is disabled.",
    );
    expect(errorText(await c.call("AUTH", "a", "b", "c"))).toBe("ERR syntax error");
  });
});

describe("requirepass", () => {
  let secured: ServerProcess;
  beforeAll(async () => {
    secured = await startTarget({ args: ["--requirepass", "s3cret"] });
  });
  afterAll(async () => {
    await secured?.stop();
  });

  it("refuses commands until AUTH, then accepts them", async () => {
    const a = await secured.client();
    expect(errorText(await a.call("GET", "x"))).toBe("NOAUTH Authentication required.");
    // Command lookup and arity come before the auth gate.
    expect(errorText(await a.call("GET"))).toBe("ERR wrong number of arguments for 'get' command");
    expect(errorText(await a.call("NOSUCH"))).toBe(
      "ERR unknown command 'NOSUCH', with args beginning with: ",
    );
    expect(errorText(await a.call("HELLO", "3"))).toBe(
      "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
    );
    expect(errorText(await a.call("AUTH", "wrong"))).toBe(
      "WRONGPASS invalid username-password pair or user is disabled.",
    );
    expect(await a.call("AUTH", "s3cret")).toBe("OK");
    expect(await a.call("GET", "x")).toBeNull();
    a.close();
    const b = await secured.client();
    expect(((await b.call("HELLO", "2", "AUTH", "default", "s3cret")) as unknown[])[0]).toBe("server");
    expect(await b.call("PING")).toBe("PONG");
    expect(await b.call("RESET")).toBe("RESET");
    expect(errorText(await b.call("PING"))).toBe("NOAUTH Authentication required.");
    b.close();
  });
});
