/**
 * 08-clients: real Sentinel clients keep working across a failover. ioredis in Sentinel mode
 * (with and without failoverDetector), node-redis createSentinel and redis-py's Sentinel client
 * (Debian's python3-redis, driven as a child process) find the master through our Sentinels,
 * and their writes resume on the new master after a kill -9; +switch-master reaches a
 * subscriber verbatim. failoverDetector is exercised where it matters, a failover with the old
 * master still alive (SENTINEL FAILOVER): without it a client would keep writing to the old
 * master. (With the master killed, ioredis 6's detector can end the client for good when a
 * +switch-master arrives while it is reconnecting: an ioredis race, seen with real
 * redis-sentinel too.)
 */

import { execFileSync } from "node:child_process";
import { Redis } from "ioredis";
import { createSentinel } from "redis";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  type Group,
  MASTER,
  portOf,
  RespClient,
  sleep,
  startGroup,
  waitFor,
  waitMasterAddr,
  waitNewMaster,
} from "./helpers.js";

let g: Group;
const closers: (() => Promise<unknown> | unknown)[] = [];

function hasPythonRedis(): boolean {
  try {
    execFileSync("/usr/bin/python3", ["-c", "import redis"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** redis-py: discover the master, write through master_for, print "ip:port value". */
const PY = `
import sys, redis
from redis.sentinel import Sentinel
ports = [int(p) for p in sys.argv[1].split(",")]
s = Sentinel([("127.0.0.1", p) for p in ports], socket_timeout=2)
ip, port = s.discover_master("${MASTER}")
m = s.master_for("${MASTER}", socket_timeout=2)
m.set("py", sys.argv[2])
info = s.sentinels[0].sentinel_master("${MASTER}")
assert isinstance(info["port"], int) and isinstance(info["num-slaves"], int), info
assert info["is_master"] and not info["is_odown"], info
print("%s:%d %s %d" % (ip, port, m.get("py").decode(), len(s.discover_slaves("${MASTER}"))))
`;

function runPython(value: string): string {
  return execFileSync("/usr/bin/python3", ["-c", PY, g.sentinels.map((s) => s.port).join(","), value], {
    timeout: 20_000,
  })
    .toString()
    .trim();
}

beforeAll(async () => {
  g = await startGroup();
});
afterAll(async () => {
  for (const c of closers) {
    try {
      await c();
    } catch {
      // Already closed.
    }
  }
  for (const s of g?.sentinels ?? []) await s.kill();
});

it("ioredis, node-redis and redis-py follow a failover; +switch-master arrives verbatim", async () => {
  const sentinels = g.sentinels.map((s) => ({ host: "127.0.0.1", port: s.port }));
  const common = {
    sentinels,
    name: MASTER,
    maxRetriesPerRequest: null,
    sentinelRetryStrategy: () => 200,
    retryStrategy: () => 200,
    lazyConnect: false,
  };
  const plain = new Redis({ ...common });
  const detector = new Redis({ ...common, failoverDetector: true });
  plain.on("error", () => {});
  detector.on("error", () => {});
  closers.push(
    () => plain.disconnect(),
    () => detector.disconnect(),
  );
  const nodeRedis = createSentinel({ name: MASTER, sentinelRootNodes: sentinels });
  nodeRedis.on("error", () => {});
  closers.push(() => nodeRedis.close());
  await nodeRedis.connect();

  // A plain pub/sub subscriber on one Sentinel.
  const sub = await RespClient.connect(g.sentinels[0].port);
  closers.push(() => sub.close());
  await sub.call("SUBSCRIBE", "+switch-master");

  expect(await plain.set("k", "before")).toBe("OK");
  expect(await nodeRedis.set("k3", "before")).toBe("OK");
  const py = hasPythonRedis();
  if (py) expect(runPython("before")).toBe(`127.0.0.1:${g.master.port} before 2`);

  const oldAddr = `127.0.0.1:${g.master.port}`;
  await g.master.kill();
  const newAddr = await waitNewMaster(g.sentinels, oldAddr);
  await waitMasterAddr(g.sentinels, newAddr);
  const newPort = portOf(newAddr);

  const [msg] = (await sub.waitPushed(1, 10_000)) as string[][];
  expect(msg).toEqual([
    "message",
    "+switch-master",
    `${MASTER} 127.0.0.1 ${g.master.port} 127.0.0.1 ${newPort}`,
  ]);

  // Writes resume on the new master for every client (bounded retries).
  const attempt = async (label: string, fn: () => Promise<unknown>) => {
    await waitFor(
      async () => {
        try {
          return (await Promise.race([fn(), sleep(2000).then(() => "timeout")])) === "OK";
        } catch {
          return false;
        }
      },
      `${label} write after failover`,
      30_000,
    );
  };
  await attempt("ioredis", () => plain.set("k", "after"));
  await attempt("node-redis", () => nodeRedis.set("k3", "after"));
  const direct = await RespClient.connect(newPort);
  closers.push(() => direct.close());
  expect(await direct.call("MGET", "k", "k3")).toEqual(["after", "after"]);
  if (py) {
    // redis-py lists replicas that are not s_down: wait until the dead old master is flagged.
    await waitFor(async () => {
      for (const s of g.sentinels) {
        const old = (await s.replicas()).find((r) => Number(r.port) === g.master.port);
        if (old === undefined || !old.flags.includes("s_down")) return false;
      }
      return true;
    }, "old master flagged s_down as a replica");
    expect(runPython("after")).toBe(`${newAddr} after 1`);
  }
}, 90_000);

it("ioredis with failoverDetector moves to the new master on +switch-master (old master alive)", async () => {
  const sentinels = g.sentinels.map((s) => ({ host: "127.0.0.1", port: s.port }));
  const detector = new Redis({
    sentinels,
    name: MASTER,
    failoverDetector: true,
    maxRetriesPerRequest: null,
    sentinelRetryStrategy: () => 200,
    retryStrategy: () => 200,
  });
  detector.on("error", () => {});
  closers.push(() => detector.disconnect());
  const before = await g.sentinels[0].masterAddr();
  expect(await detector.set("d", "before")).toBe("OK");
  expect(await g.sentinels[0].call("SENTINEL", "FAILOVER", MASTER)).toBe("OK");
  const after = await waitNewMaster(g.sentinels, before);
  const oldMaster = await RespClient.connect(portOf(before));
  const newMaster = await RespClient.connect(portOf(after));
  closers.push(
    () => oldMaster.close(),
    () => newMaster.close(),
  );
  // The old master is still up (and still a master for a few seconds): writes must reach the
  // new one all the same.
  await waitFor(
    async () => {
      try {
        await Promise.race([detector.set("d", "after"), sleep(2000)]);
      } catch {
        return false;
      }
      return (await newMaster.call("GET", "d")) === "after";
    },
    "failoverDetector write on the new master",
    30_000,
  );
}, 60_000);
