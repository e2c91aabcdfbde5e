/**
 * 10-scripts: notification-script gets `<event> <description>` for warning events,
 * client-reconfig-script gets `<master> <leader|observer> start <from-ip> <from-port> <to-ip>
 * <to-port>` once per Sentinel at the switch; a script exiting 1 is retried; scripts inherit
 * no sockets from the Sentinel.
 */

import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  type Group,
  MASTER,
  portOf,
  startGroup,
  TARGET,
  tempDir,
  waitFor,
  waitMasterAddr,
  waitNewMaster,
} from "./helpers.js";

let g: Group;
const dir = tempDir("kh-scripts-");
const notifyOut = join(dir, "notify.out");
const reconfOut = join(dir, "reconf.out");
const fdsOut = join(dir, "fds.out");

function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

beforeAll(async () => {
  const notify = script(
    "notify.sh",
    `ls -l /proc/$$/fd >> ${fdsOut} 2>&1
if [ ! -e ${dir}/failed-once ]; then touch ${dir}/failed-once; echo "FAIL $*" >> ${notifyOut}; exit 1; fi
echo "$*" >> ${notifyOut}`,
  );
  const reconf = script("reconf.sh", `echo "$*" >> ${reconfOut}`);
  g = await startGroup({
    replicas: 1,
    sentinelExtra: [
      `sentinel notification-script ${MASTER} ${notify}`,
      `sentinel client-reconfig-script ${MASTER} ${reconf}`,
    ],
  });
  for (const s of g.sentinels)
    expect(await s.call("SENTINEL", "DEBUG", "script-retry-delay", "200")).toBe("OK");
});
afterAll(async () => {
  for (const s of g?.sentinels ?? []) await s.kill();
});

it("runs notification and client-reconfig scripts with Redis's arguments", async () => {
  const m = await g.sentinels[0].master();
  expect(m["notification-script"]).toBe(join(dir, "notify.sh"));
  expect(m["client-reconfig-script"]).toBe(join(dir, "reconf.sh"));
  const oldPort = g.master.port;
  await g.master.kill();
  const newAddr = await waitNewMaster(g.sentinels, `127.0.0.1:${oldPort}`);
  await waitMasterAddr(g.sentinels, newAddr);
  const newPort = portOf(newAddr);
  const read = (p: string) =>
    existsSync(p)
      ? readFileSync(p, "latin1")
          .split("\n")
          .filter((l) => l !== "")
      : [];
  await waitFor(() => read(reconfOut).length === 3, "one client-reconfig-script call per Sentinel", 20_000);
  const calls = read(reconfOut).sort();
  const tail = `start 127.0.0.1 ${oldPort} 127.0.0.1 ${newPort}`;
  expect(calls).toEqual([
    `${MASTER} leader ${tail}`,
    `${MASTER} observer ${tail}`,
    `${MASTER} observer ${tail}`,
  ]);
  await waitFor(
    () =>
      read(notifyOut).filter(
        (l) => l === `+switch-master ${MASTER} 127.0.0.1 ${oldPort} 127.0.0.1 ${newPort}`,
      ).length === 3,
    "+switch-master notifications",
    20_000,
  );
  expect(read(notifyOut)).toContain(`+sdown master ${MASTER} 127.0.0.1 ${oldPort}`);
  // The failed first call was retried with the same arguments.
  const failed = read(notifyOut).find((l) => l.startsWith("FAIL "))!;
  await waitFor(() => read(notifyOut).includes(failed.slice(5)), "the failed script retried", 10_000);
  // No socket of the Sentinel leaked into the children. (Real redis-sentinel 7.0 does leak its
  // sockets into scripts, so this holds for Keyhaven only.)
  if (TARGET === "keyhaven") expect(readFileSync(fdsOut, "latin1")).not.toMatch(/socket:/);
  const pending = (await g.sentinels[0].call("SENTINEL", "PENDING-SCRIPTS")) as unknown[];
  expect(Array.isArray(pending)).toBe(true);
}, 60_000);

it("kills a script that runs longer than script-max-runtime (-script-timeout)", async () => {
  const { startSentinel, startDataNode } = await import("./helpers.js");
  const master = await startDataNode();
  const slow = script("slow.sh", "exec sleep 30");
  const s = await startSentinel(TARGET, {
    masterPort: master.port,
    quorum: 1,
    extra: [`sentinel notification-script ${MASTER} ${slow}`],
  });
  try {
    expect(await s.call("SENTINEL", "DEBUG", "script-max-runtime", "300")).toBe("OK");
    // +set is a warning-level event: it runs the notification script.
    expect(await s.call("SENTINEL", "SET", MASTER, "quorum", "1")).toBe("OK");
    const e = await s.waitEvent("-script-timeout", /.*/, 10_000);
    expect(e.message).toMatch(new RegExp(`^${slow} \\d+$`));
    const pending = (await s.call("SENTINEL", "PENDING-SCRIPTS")) as unknown[];
    expect(pending.length).toBeGreaterThanOrEqual(1);
  } finally {
    await s.kill();
  }
}, 30_000);
