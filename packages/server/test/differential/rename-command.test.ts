/**
 * `rename-command` in a config file, as production configs use it to hide dangerous commands:
 * the renamed command answers to its new name only, one renamed to "" to none, scripts call it
 * by its new name, COMMAND INFO knows it by the new name and still calls it by its own, and a
 * bad line stops start-up with Redis's error. Compared with redis-server on the same file.
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
