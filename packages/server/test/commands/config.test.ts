import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { errorText, freePort, RespClient, type ServerProcess, startTarget, withTarget } from "../helpers.js";

let server: ServerProcess;
let c: RespClient;

withTarget({}, (t) => ({ server, c } = t));

/** CONFIG GET's flat array as a map (Redis's order is its dict's: unspecified). */
async function configGet(...patterns: string[]): Promise<Record<string, string>> {
  const flat = (await c.call("CONFIG", "GET", ...patterns)) as string[];
  const out: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) out[flat[i]] = flat[i + 1];
  return out;
}

describe("CONFIG", () => {
  it("GET with exact names, aliases, globs and several patterns", async () => {
    expect(await configGet("maxmemory")).toEqual({ maxmemory: "0" });
    expect(await configGet("nosuch")).toEqual({});
    expect(await configGet("maxmemory", "port")).toEqual({ maxmemory: "0", port: String(server.port) });
    expect(await configGet("maxmem*")).toEqual({
      maxmemory: "0",
      "maxmemory-clients": "0",
      "maxmemory-eviction-tenacity": "10",
      "maxmemory-policy": "noeviction",
      "maxmemory-samples": "5",
    });
    expect(await configGet("slave-read-only")).toEqual({ "slave-read-only": "yes" });
    expect(await configGet("*max-*-entries")).toEqual({
      "hash-max-listpack-entries": "512",
      "hash-max-ziplist-entries": "512",
      "set-max-intset-entries": "512",
      "zset-max-listpack-entries": "128",
      "zset-max-ziplist-entries": "128",
    });
    expect(await configGet("save")).toEqual({ save: "" });
    expect(await configGet("client-output-buffer-limit")).toEqual({
      "client-output-buffer-limit": "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
    });
  });

  it("SET one or several options, atomically, with Redis's errors", async () => {
    expect(await c.call("CONFIG", "SET", "maxmemory", "10mb")).toBe("OK");
    expect(await configGet("maxmemory")).toEqual({ maxmemory: "10485760" });
    expect(await c.call("CONFIG", "SET", "maxmemory", "1gb", "timeout", "5")).toBe("OK");
    expect(await configGet("maxmemory", "timeout")).toEqual({ maxmemory: "1073741824", timeout: "5" });
    // One bad value: nothing is applied.
    expect(errorText(await c.call("CONFIG", "SET", "maxmemory", "2gb", "timeout", "abc"))).toBe(
      "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into an integer",
    );
    expect(await configGet("maxmemory", "timeout")).toEqual({ maxmemory: "1073741824", timeout: "5" });
    await c.call("CONFIG", "SET", "maxmemory", "0", "timeout", "0");
    const failed = (arg: string, why: string) =>
      `ERR CONFIG SET failed (possibly related to argument '${arg}') - ${why}`;
    expect(errorText(await c.call("CONFIG", "SET", "nosuch", "1"))).toBe(
      "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'",
    );
    expect(errorText(await c.call("CONFIG", "SET", "maxmemory", "1", "maxmemory", "2"))).toBe(
      failed("maxmemory", "duplicate parameter"),
    );
    expect(errorText(await c.call("CONFIG", "SET", "daemonize", "yes"))).toBe(
      failed("daemonize", "can't set immutable config"),
    );
    expect(errorText(await c.call("CONFIG", "SET", "rdbchecksum", "no"))).toBe(
      failed("rdbchecksum", "can't set immutable config"),
    );
    expect(errorText(await c.call("CONFIG", "SET", "dir", "/tmp"))).toBe(
      failed("dir", "can't set protected config"),
    );
    expect(errorText(await c.call("CONFIG", "SET", "maxmemory", "abc"))).toBe(
      failed("maxmemory", "argument must be a memory value"),
    );
    expect(errorText(await c.call("CONFIG", "SET", "appendfsync", "foo"))).toBe(
      failed("appendfsync", "argument(s) must be one of the following: everysec, always, no"),
    );
    expect(errorText(await c.call("CONFIG", "SET", "protected-mode", "maybe"))).toBe(
      failed("protected-mode", "argument must be 'yes' or 'no'"),
    );
    expect(errorText(await c.call("CONFIG", "SET", "proto-max-bulk-len", "100"))).toBe(
      failed("proto-max-bulk-len", "argument must be between 1048576 and 9223372036854775807 inclusive"),
    );
    expect(errorText(await c.call("CONFIG", "SET", "maxclients", "0"))).toBe(
      failed("maxclients", "argument must be between 1 and 4294967295 inclusive"),
    );
    expect(errorText(await c.call("CONFIG", "SET", "notify-keyspace-events", "Q"))).toBe(
      failed("notify-keyspace-events", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."),
    );
    expect(errorText(await c.call("CONFIG", "SET", "maxmemory"))).toBe(
      "ERR wrong number of arguments for 'config|set' command",
    );
  });

  it("normalizes values the way Redis prints them", async () => {
    await c.call("CONFIG", "SET", "hz", "1000");
    expect(await configGet("hz")).toEqual({ hz: "500" });
    await c.call("CONFIG", "SET", "hz", "10");
    await c.call("CONFIG", "SET", "notify-keyspace-events", "KEA");
    expect(await configGet("notify-keyspace-events")).toEqual({ "notify-keyspace-events": "AKE" });
    await c.call("CONFIG", "SET", "notify-keyspace-events", "Kg$");
    expect(await configGet("notify-keyspace-events")).toEqual({ "notify-keyspace-events": "g$K" });
    await c.call("CONFIG", "SET", "notify-keyspace-events", "");
    await c.call("CONFIG", "SET", "save", "100 10 200 20");
    expect(await configGet("save")).toEqual({ save: "100 10 200 20" });
    expect(errorText(await c.call("CONFIG", "SET", "save", "100 10 200"))).toBe(
      "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters",
    );
    await c.call("CONFIG", "SET", "save", "");
    await c.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 2mb 3");
    expect(await configGet("client-output-buffer-limit")).toEqual({
      "client-output-buffer-limit": "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 2097152 3",
    });
    await c.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 32mb 8mb 60");
  });

  it("SET port and bind move the listener; an address in use is refused and the old one kept", async () => {
    const s = await startTarget();
    const a = await s.client();
    const newPort = await freePort();
    expect(await a.call("CONFIG", "SET", "port", String(newPort))).toBe("OK");
    const b = await RespClient.connect(newPort);
    expect(await b.call("PING")).toBe("PONG");
    // The connection made on the old port stays open.
    expect(await a.call("PING")).toBe("PONG");
    await expect(RespClient.connect(s.port)).rejects.toThrow();
    const taken = await freePort();
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(taken, "127.0.0.1", r));
    try {
      expect(errorText(await b.call("CONFIG", "SET", "port", String(taken)))).toBe(
        "ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.",
      );
    } finally {
      blocker.close();
    }
    expect(await b.call("CONFIG", "GET", "port")).toEqual(["port", String(newPort)]);
    expect(errorText(await b.call("CONFIG", "SET", "bind", "192.0.2.1"))).toBe(
      "ERR CONFIG SET failed (possibly related to argument 'bind') - Failed to bind to specified addresses.",
    );
    const c2 = await RespClient.connect(newPort);
    expect(await c2.call("PING")).toBe("PONG");
    for (const x of [a, b, c2]) x.close();
    await s.stop();
  });

  it("RESETSTAT clears INFO counters; REWRITE needs a config file", async () => {
    await c.call("NOSUCH");
    expect(await c.call("CONFIG", "RESETSTAT")).toBe("OK");
    const info = (await c.call("INFO", "stats")) as string;
    expect(info).toMatch(/total_error_replies:0\r\n/);
    expect(errorText(await c.call("CONFIG", "REWRITE"))).toBe(
      "ERR The server is running without a config file",
    );
  });
});
