import { describe, expect, it } from "vitest";
import { errorText, infoSection, RespClient, type ServerProcess, waitFor, withTarget } from "../helpers.js";

let c: RespClient;
let target: ServerProcess;

withTarget({}, (t) => ({ c, server: target } = t));

describe("COMMAND", () => {
  it("INFO describes commands as Redis 7.0 does", async () => {
    const [get] = (await c.call("COMMAND", "INFO", "get")) as unknown[][];
    expect(get.slice(0, 8)).toEqual([
      "get",
      2,
      ["readonly", "fast"],
      1,
      1,
      1,
      ["@read", "@string", "@fast"],
      [],
    ]);
    const [set] = (await c.call("COMMAND", "INFO", "set")) as unknown[][];
    expect(set.slice(0, 7)).toEqual([
      "set",
      -3,
      ["write", "denyoom"],
      1,
      1,
      1,
      ["@write", "@string", "@slow"],
    ]);
    const [cfg] = (await c.call("COMMAND", "INFO", "config|get")) as unknown[][];
    expect(cfg.slice(0, 7)).toEqual([
      "config|get",
      -3,
      ["admin", "noscript", "loading", "stale"],
      0,
      0,
      0,
      ["@admin", "@slow", "@dangerous"],
    ]);
    const [keys] = (await c.call("COMMAND", "INFO", "keys")) as unknown[][];
    expect(keys[6]).toEqual(["@keyspace", "@read", "@slow", "@dangerous"]);
    const [mset] = (await c.call("COMMAND", "INFO", "mset")) as unknown[][];
    expect(mset.slice(3, 6)).toEqual([1, -1, 2]);
    expect(await c.call("COMMAND", "INFO", "nosuch")).toEqual([null]);
    // One level of subcommands only (lookupCommandBySds).
    expect(await c.call("COMMAND", "INFO", "config|get|x", "CONFIG|nosuch")).toEqual([null, null]);
  });

  it("COUNT, LIST and DOCS agree with the table", async () => {
    const count = (await c.call("COMMAND", "COUNT")) as number;
    // LIST names subcommands too (config|get); COUNT and COMMAND only count top-level ones.
    const list = (await c.call("COMMAND", "LIST")) as string[];
    expect(list.filter((n) => !n.includes("|")).length).toBe(count);
    expect(list).toContain("get");
    expect(list).toContain("config|get");
    expect(await c.call("COMMAND", "LIST", "FILTERBY", "pattern", "getra*")).toEqual(["getrange"]);
    expect(await c.call("COMMAND", "LIST", "FILTERBY", "aclcat", "nosuch")).toEqual([]);
    const all = (await c.call("COMMAND")) as unknown[][];
    expect(all.length).toBe(count);
    const docs = (await c.call("COMMAND", "DOCS", "get")) as unknown[];
    expect(docs[0]).toBe("get");
    const fields = docs[1] as unknown[];
    expect(fields.slice(0, 2)).toEqual(["summary", fields[1]]);
    expect(fields).toContain("group");
  });

  it("GETKEYS and GETKEYSANDFLAGS", async () => {
    expect(await c.call("COMMAND", "GETKEYS", "get", "a")).toEqual(["a"]);
    expect(await c.call("COMMAND", "GETKEYS", "mset", "a", "1", "b", "2")).toEqual(["a", "b"]);
    expect(await c.call("COMMAND", "GETKEYSANDFLAGS", "get", "a")).toEqual([["a", ["RO", "access"]]]);
    expect(await c.call("COMMAND", "GETKEYSANDFLAGS", "del", "a")).toEqual([["a", ["RM", "delete"]]]);
    // Variable flags resolve against the actual arguments.
    expect(await c.call("COMMAND", "GETKEYSANDFLAGS", "set", "a", "b")).toEqual([["a", ["OW", "update"]]]);
    expect(await c.call("COMMAND", "GETKEYSANDFLAGS", "set", "a", "b", "get")).toEqual([
      ["a", ["RW", "access", "update"]],
    ]);
    expect(await c.call("COMMAND", "GETKEYSANDFLAGS", "bitfield", "a", "get", "u8", "0")).toEqual([
      ["a", ["RO", "access"]],
    ]);
    expect(errorText(await c.call("COMMAND", "GETKEYS", "nosuch", "a"))).toBe(
      "ERR Invalid command specified",
    );
    expect(errorText(await c.call("COMMAND", "GETKEYS", "ping", "x"))).toBe(
      "ERR The command has no key arguments",
    );
    expect(errorText(await c.call("COMMAND", "GETKEYS", "get", "a", "b"))).toBe(
      "ERR Invalid number of arguments specified for command",
    );
    expect(errorText(await c.call("COMMAND", "GETKEYS", "get"))).toBe(
      "ERR wrong number of arguments for 'command|getkeys' command",
    );
    expect(errorText(await c.call("COMMAND", "FOO"))).toBe("ERR unknown subcommand 'FOO'. Try COMMAND HELP.");
  });
});

describe("INFO", () => {
  it("prints every Redis 7.0 section and the fields tools read", async () => {
    const info = (await c.call("INFO")) as string;
    const sections = [...info.matchAll(/^# (\w+)\r$/gm)].map((m) => m[1]);
    expect(sections).toEqual([
      "Server",
      "Clients",
      "Memory",
      "Persistence",
      "Stats",
      "Replication",
      "CPU",
      "Modules",
      "Errorstats",
      "Cluster",
      "Keyspace",
    ]);
    for (const f of [
      "redis_version:7.0.15",
      "tcp_port:",
      "connected_clients:",
      "used_memory:",
      "used_memory_rss:",
      "mem_fragmentation_ratio:",
      "rdb_last_save_time:",
      "aof_enabled:0",
      "instantaneous_ops_per_sec:",
      "latest_fork_usec:",
      "role:master",
      "master_repl_offset:",
      "used_cpu_sys:",
      "cluster_enabled:0",
    ]) {
      expect(info).toContain(f);
    }
    const all = (await c.call("INFO", "all")) as string;
    expect([...all.matchAll(/^# (\w+)\r$/gm)].map((m) => m[1])).toEqual([
      "Server",
      "Clients",
      "Memory",
      "Persistence",
      "Stats",
      "Replication",
      "CPU",
      "Modules",
      "Commandstats",
      "Errorstats",
      "Latencystats",
      "Cluster",
      "Keyspace",
    ]);
    expect(all).toMatch(/\r\nlatency_percentiles_usec_info:p50=[\d.]+,p99=[\d.]+,p99\.9=[\d.]+\r\n/);
    const two = (await c.call("INFO", "server", "clients")) as string;
    expect([...two.matchAll(/^# (\w+)\r$/gm)].map((m) => m[1])).toEqual(["Server", "Clients"]);
    expect(await c.call("INFO", "nosuchsection")).toBe("");
  });

  it("keyspace, commandstats and errorstats are computed", async () => {
    await c.call("FLUSHALL");
    await c.call("SET", "a", "1", "EX", "100");
    await c.call("SET", "b", "2");
    await c.call("CONFIG", "RESETSTAT");
    await c.call("GET", "a");
    await c.call("NOSUCHCMD");
    await c.call("INCR", "nokey", "x");
    const info = (await c.call("INFO", "keyspace", "commandstats", "errorstats")) as string;
    expect(info).toMatch(/db0:keys=2,expires=1,avg_ttl=\d+\r\n/);
    expect(info).toMatch(
      /cmdstat_get:calls=1,usec=\d+,usec_per_call=[\d.]+,rejected_calls=0,failed_calls=0\r\n/,
    );
    expect(info).toMatch(
      /cmdstat_incr:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0\r\n/,
    );
    expect(info).toMatch(/errorstat_ERR:count=2\r\n/);
  });

  // Found by Redis's own unit/acl.tcl (+readonly) and unit/introspection-2.tcl (cluster|help).
  it("CLUSTER, READONLY, READWRITE and ASKING answer as in a Redis without cluster support", async () => {
    for (const argv of [
      ["CLUSTER", "INFO"],
      ["CLUSTER", "KEYSLOT", "k"],
      ["READONLY"],
      ["READWRITE"],
      ["ASKING"],
    ]) {
      expect(errorText(await c.call(...argv))).toBe("ERR This instance has cluster support disabled");
    }
    expect(errorText(await c.call("CLUSTER", "KEYSLOT"))).toBe(
      "ERR wrong number of arguments for 'cluster|keyslot' command",
    );
    expect(await c.call("COMMAND", "LIST", "FILTERBY", "PATTERN", "cluster|h*")).toEqual(["cluster|help"]);
    expect(await c.call("ACL", "SETUSER", "cluster-probe", "+readonly", "+cluster|info")).toBe("OK");
    expect(await c.call("ACL", "DRYRUN", "cluster-probe", "READONLY")).toBe("OK");
    await c.call("ACL", "DELUSER", "cluster-probe");
  });

  // Found by Redis's own unit/info.tcl run against keyhaven-server.
  it("a failure is counted once, against the command that failed", async () => {
    const stat = async (name: string) => {
      const info = (await c.call("INFO", "commandstats")) as string;
      return /rejected_calls=\d+,failed_calls=\d+/.exec(
        info.split("\r\n").find((l) => l.startsWith(`cmdstat_${name}:`)) ?? "",
      )?.[0];
    };
    await c.call("CONFIG", "RESETSTAT");
    await c.call("MULTI");
    await c.call("SET", "a", "b");
    await c.call("AUTH", "nosuchpassword");
    const exec = (await c.call("EXEC")) as unknown[];
    expect(errorText(exec[1])).toMatch(/^ERR AUTH/);
    expect(await stat("auth")).toBe("rejected_calls=0,failed_calls=1");
    expect(await stat("exec")).toBe("rejected_calls=0,failed_calls=0");
    expect(errorText(await c.call("EXEC"))).toBe("ERR EXEC without MULTI");
    expect(await stat("exec")).toBe("rejected_calls=0,failed_calls=1");

    const blocked = await RespClient.connect(target.port);
    try {
      const id = await blocked.call("CLIENT", "ID");
      const reply = blocked.call("BLPOP", "nosuchlist", "0");
      await waitFor(
        async () => (await infoSection(c, "clients")).get("blocked_clients") === "1",
        "BLPOP to block",
      );
      expect(await c.call("CLIENT", "UNBLOCK", id as number, "ERROR")).toBe(1);
      expect(errorText(await reply)).toBe("UNBLOCKED client unblocked via CLIENT UNBLOCK");
      expect(await stat("blpop")).toBe("rejected_calls=0,failed_calls=1");
    } finally {
      blocked.close();
    }
  });
});
