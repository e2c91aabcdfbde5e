/**
 * `rename-command` in a config file, as production configs use it to hide dangerous commands:
 * the renamed command answers to its new name only, one renamed to "" to none, scripts call it
 * by its new name, COMMAND INFO knows it by the new name and still calls it by its own, COMMAND
 * leaves out what no name reaches, and a bad line stops start-up with Redis's error. Compared
 * with redis-server on the same file.
 */

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasRealRedis, type RespClient, type ServerProcess, startServer, tempDir } from "../helpers.js";

const CONFIG = 'rename-command flushall ""\nrename-command config myconfig\nrename-command get fetch\n';

describe.skipIf(!hasRealRedis())("rename-command, against redis-server", () => {
  const servers: ServerProcess[] = [];
  const clients: RespClient[] = [];

  beforeAll(async () => {
    for (const kind of ["redis", "keyhaven"] as const) {
      const dir = tempDir(`kh-rename-${kind}-`);
      const configFile = join(dir, "server.conf");
      writeFileSync(configFile, CONFIG);
      const server = await startServer(kind, { configFile, dir });
      servers.push(server);
      clients.push(await server.client());
    }
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all(servers.map((s) => s.stop()));
  });

  it("answers every call as redis-server does", async () => {
    const calls = [
      ["SET", "k", "v"],
      ["FETCH", "k"],
      ["GET", "k"],
      ["FLUSHALL"],
      ["CONFIG", "GET", "hz"],
      ["MYCONFIG", "GET", "hz"],
      ["myconfig", "set", "hz", "20"],
      ["EVAL", "return redis.call('fetch', 'k')", "0"],
      ["EVAL", "return redis.pcall('get', 'k')", "0"],
      ["COMMAND", "INFO", "fetch", "get", "flushall", "myconfig|get"],
      ["COMMAND", "GETKEYS", "fetch", "k"],
      ["ACL", "SETUSER", "u", "on", "nopass", "+get", "~*"],
      ["ACL", "DRYRUN", "u", "fetch", "k"],
    ];
    for (const argv of calls) {
      const [redis, keyhaven] = await Promise.all(clients.map((c) => c.call(...argv)));
      expect({ argv, reply: keyhaven }).toEqual({ argv, reply: redis });
    }
  });

  it("leaves a command renamed to nothing out of COMMAND and COMMAND LIST, as redis-server does", async () => {
    const lists = await Promise.all(clients.map(async (c) => (await c.call("COMMAND", "LIST")) as string[]));
    const entries = await Promise.all(
      clients.map(async (c) => ((await c.call("COMMAND")) as [string][]).map((e) => e[0])),
    );
    for (const names of [...lists, ...entries]) {
      expect(names).not.toContain("flushall");
      expect(names).toContain("config");
      expect(names).toContain("get");
    }
    const [redisCount, keyhavenCount] = await Promise.all(clients.map((c) => c.call("COMMAND", "COUNT")));
    // Keyhaven lacks a few of Redis's commands (cluster, modules): the count follows its own list.
    expect(keyhavenCount).toBe(entries[1].length);
    expect(redisCount).toBe(entries[0].length);
  });

  it("refuses an unknown command or a taken name, with the line", async () => {
    for (const [line, error] of [
      ["rename-command nosuch x", "No such command in rename-command"],
      ["rename-command get set", "Target command name already exists"],
    ]) {
      const dir = tempDir("kh-rename-bad-");
      const configFile = join(dir, "bad.conf");
      writeFileSync(configFile, `${line}\n`);
      const server = await startServer("keyhaven", { configFile, dir, waitReady: false });
      expect(await server.exited).toBe(1);
      expect(server.output()).toContain(`>>> '${line}'\n${error}`);
    }
  });
});
