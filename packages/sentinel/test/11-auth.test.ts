/**
 * 11-auth: auth-pass towards password-protected masters and replicas (discovery, promotion and
 * reconfiguration all authenticate), and a password-protected Sentinel (requirepass) whose
 * peers authenticate with sentinel-pass.
 */

import { afterAll, beforeAll, expect, it } from "vitest";
import {
  DATA_NODES,
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

// Keyhaven has no ACL users yet (only the default user and requirepass): there Sentinel
// authenticates as `default` with the two-argument AUTH, which is the same code path.
const aclUser = DATA_NODES === "redis" ? "sentuser" : "default";

it(`uses auth-user with auth-pass (user ${aclUser} on the data nodes)`, async () => {
  const nodeArgs =
    DATA_NODES === "redis"
      ? ["--user", "sentuser", "on", ">spw", "~*", "&*", "+@all"]
      : ["--requirepass", "spw", "--masterauth", "spw"];
  const g2 = await startGroup({
    replicas: 1,
    sentinels: [TARGET],
    quorum: 1,
    nodeArgs,
    sentinelExtra: [`sentinel auth-user ${MASTER} ${aclUser}`, `sentinel auth-pass ${MASTER} spw`],
  });
  try {
    const c = await RespClient.connect(g2.master.port);
    if (DATA_NODES === "keyhaven") expect(await c.call("AUTH", "spw")).toBe("OK");
    const list = String(await c.call("CLIENT", "LIST"));
    c.close();
    const sentinelLinks = list.split("\n").filter((l) => / name=sentinel-[0-9a-f]{8}-(cmd|pubsub) /.test(l));
    expect(sentinelLinks).toHaveLength(2);
    for (const l of sentinelLinks) expect(l).toContain(` user=${aclUser} `);
  } finally {
    for (const s of g2.sentinels) await s.kill();
  }
}, 60_000);
