/**
 * 11-auth: auth-pass towards password-protected masters and replicas (discovery, promotion and
 * reconfiguration all authenticate), and a password-protected Sentinel (requirepass) whose
 * peers authenticate with sentinel-pass.
 */

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
