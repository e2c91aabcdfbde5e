/**
 * 11-auth: auth-pass towards password-protected masters and replicas (discovery, promotion and
 * reconfiguration all authenticate), a password-protected Sentinel (requirepass) whose peers
 * authenticate with sentinel-pass, auth-user with the ACL permissions Redis documents for a
 * Sentinel user, and a Sentinel's own ACL users from sentinel.conf.
 */

import { readFileSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  errorText,
  type Group,
  info,
  MASTER,
  RespClient,
  startGroup,
  TARGET,
  toRecord,
  waitFor,
} from "./helpers.js";

let g: Group;

beforeAll(async () => {
  g = await startGroup({
    replicas: 1,
    sentinels: [TARGET, TARGET],
    nodeArgs: ["--requirepass", "nodepw", "--masterauth", "nodepw"],
    sentinelExtra: [
      `sentinel auth-pass ${MASTER} nodepw`,
      "requirepass sentpw",
      "sentinel sentinel-pass sentpw",
    ],
    waitDiscovery: false,
  });
});
afterAll(async () => {
  for (const s of g?.sentinels ?? []) await s.kill();
});

async function authed(port: number, ...args: (string | number)[]): Promise<unknown> {
  const c = await RespClient.connect(port);
  try {
    expect(await c.call("AUTH", "sentpw")).toBe("OK");
    return await c.call(...args);
  } finally {
    c.close();
  }
}

it("authenticates to instances and to each other, and fails over with passwords", async () => {
  const s = g.sentinels[0];
  const anon = await RespClient.connect(s.port);
  expect(errorText(await anon.call("SENTINEL", "MASTERS"))).toBe("NOAUTH Authentication required.");
  anon.close();
  await waitFor(async () => {
    const m = toRecord(await authed(s.port, "SENTINEL", "MASTER", MASTER));
    return m.flags === "master" && m["num-slaves"] === "1" && m["num-other-sentinels"] === "1";
  }, "discovery through passwords");
  expect(await authed(s.port, "SENTINEL", "FAILOVER", MASTER)).toBe("OK");
  await waitFor(
    async () =>
      ((await authed(s.port, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER)) as string[])[1] ===
      String(g.replicas[0].port),
    "failover done",
  );
  await waitFor(
    async () =>
      (await info(g.master.port, "replication", "nodepw")).includes(`master_port:${g.replicas[0].port}`),
    "old master demoted",
    30_000,
  );
}, 60_000);

/**
 * The permissions Redis's Sentinel documentation gives a Sentinel user: enough to monitor,
 * announce itself, and fail over (SLAVEOF, CONFIG REWRITE inside MULTI/EXEC, CLIENT KILL).
 */
const SENTINEL_USER_RULES = [
  "on",
  ">spw",
  "allchannels",
  "+multi",
  "+slaveof",
  "+ping",
  "+exec",
  "+subscribe",
  "+config|rewrite",
  "+role",
  "+publish",
  "+info",
  "+client|setname",
  "+client|kill",
  "+script|kill",
];

it("monitors and fails over as an ACL user with Sentinel's documented permissions", async () => {
  const g2 = await startGroup({
    replicas: 1,
    sentinels: [TARGET],
    quorum: 1,
    nodeArgs: ["--user", "sentuser", ...SENTINEL_USER_RULES],
    sentinelExtra: [`sentinel auth-user ${MASTER} sentuser`, `sentinel auth-pass ${MASTER} spw`],
  });
  try {
    const c = await RespClient.connect(g2.master.port);
    const list = String(await c.call("CLIENT", "LIST"));
    c.close();
    const sentinelLinks = list.split("\n").filter((l) => / name=sentinel-[0-9a-f]{8}-(cmd|pubsub) /.test(l));
    expect(sentinelLinks).toHaveLength(2);
    for (const l of sentinelLinks) expect(l).toContain(" user=sentuser ");
    const s = g2.sentinels[0];
    await waitFor(async () => {
      const m = toRecord(await sentinelCall(s.port, "SENTINEL", "MASTER", MASTER));
      return m["num-slaves"] === "1";
    }, "the replica discovered");
    expect(await sentinelCall(s.port, "SENTINEL", "FAILOVER", MASTER)).toBe("OK");
    await waitFor(
      async () =>
        ((await sentinelCall(s.port, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER)) as string[])[1] ===
        String(g2.replicas[0].port),
      "failover done",
      30_000,
    );
    await waitFor(
      async () => (await info(g2.master.port, "replication")).includes(`master_port:${g2.replicas[0].port}`),
      "old master demoted",
      30_000,
    );
    // Nothing the Sentinel user did was refused along the way.
    for (const node of [g2.master, g2.replicas[0]]) {
      const data = await RespClient.connect(node.port);
      const log = (await data.call("ACL", "LOG")) as unknown[];
      data.close();
      expect(log).toEqual([]);
    }
  } finally {
    for (const s of g2.sentinels) await s.kill();
  }
}, 60_000);

async function sentinelCall(port: number, ...args: string[]): Promise<unknown> {
  const c = await RespClient.connect(port);
  try {
    return await c.call(...args);
  } finally {
    c.close();
  }
}

it("has ACL users of its own, from sentinel.conf, kept when it rewrites its config", async () => {
  const g3 = await startGroup({
    replicas: 0,
    sentinels: [TARGET],
    quorum: 1,
    sentinelExtra: ["user watcher on >wpw +ping +sentinel|get-master-addr-by-name +sentinel|masters"],
  });
  try {
    const s = g3.sentinels[0];
    const c = await RespClient.connect(s.port);
    try {
      expect(await c.call("AUTH", "watcher", "wpw")).toBe("OK");
      expect(await c.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER)).toEqual([
        "127.0.0.1",
        String(g3.master.port),
      ]);
      expect(errorText(await c.call("SENTINEL", "FAILOVER", MASTER))).toBe(
        "NOPERM this user has no permissions to run the 'sentinel|failover' command",
      );
    } finally {
      c.close();
    }
    // A state change rewrites sentinel.conf; the users are written back with it.
    expect(await sentinelCall(s.port, "SENTINEL", "SET", MASTER, "down-after-milliseconds", "4000")).toBe(
      "OK",
    );
    await waitFor(
      () => /^sentinel down-after-milliseconds \S+ 4000$/m.test(readFileSync(s.confPath, "latin1")),
      "the rewritten sentinel.conf",
    );
    const conf = readFileSync(s.confPath, "latin1");
    expect(conf).toMatch(/^user watcher on #[0-9a-f]{64} resetchannels -@all /m);
    expect(conf).toMatch(/^user default on nopass ~\* &\* \+@all$/m);
  } finally {
    for (const s of g3.sentinels) await s.kill();
  }
}, 60_000);
