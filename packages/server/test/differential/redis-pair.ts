/**
 * The setup of the simpler differential suites: a real redis-server and a keyhaven-server on free
 * ports, one client to each, and `both(argv)`, which sends a command to both and expects the same
 * reply. Registers the hooks that start them before the file's tests and stop them after.
 */

import { afterAll, beforeAll, expect } from "vitest";
import { RespClient, type ServerProcess, type StartOptions, startServer } from "../helpers.js";

export interface RedisPair {
  /** Sends argv to both servers and expects the same reply; returns Redis's. */
  both(...argv: string[]): Promise<unknown>;
  /** The clients, [redis, keyhaven], once started. */
  clients(): [RespClient, RespClient];
  /** The servers' ports, [redis, keyhaven], once started. */
  ports(): [number, number];
  /** The servers' directories (`dir`), [redis, keyhaven], once started. */
  dirs(): [string, string];
}

/** `options` (extra arguments, e.g. enabling DEBUG) go to both servers. */
export function redisPair(options: StartOptions = {}): RedisPair {
  let redis: ServerProcess | undefined;
  let keyhaven: ServerProcess | undefined;
  let rc: RespClient | undefined;
  let kc: RespClient | undefined;
  beforeAll(async () => {
    [redis, keyhaven] = await Promise.all([startServer("redis", options), startServer("keyhaven", options)]);
    rc = await RespClient.connect(redis.port);
    kc = await RespClient.connect(keyhaven.port);
  });
  afterAll(async () => {
    rc?.close();
    kc?.close();
    await Promise.all([redis?.stop(), keyhaven?.stop()]);
  });
  return {
    async both(...argv) {
      const [r, k] = await Promise.all([rc!.call(...argv), kc!.call(...argv)]);
      expect({ argv: argv.slice(0, 12), reply: k }).toEqual({ argv: argv.slice(0, 12), reply: r });
      return r;
    },
    clients: () => [rc!, kc!],
    ports: () => [redis!.port, keyhaven!.port],
    dirs: () => [redis!.dir, keyhaven!.dir],
  };
}
