/**
 * `./keyhaven cluster --faults` and `./keyhaven cluster fault ...`, as a user runs a failover
 * experiment from another terminal: the master is cut off (through the fault proxies on the
 * public ports), the Sentinels fail over, the old master cannot be reached on its port; healed,
 * it rejoins as a replica of the new master. Then the new master is killed, fails over, and heal
 * restarts it as a replica. A paused replica stops answering until healed. A restart asking for
 * the other mode is refused. Everything is checked through the public ports, as an application
 * would see it.
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RespClient, sleep, waitFor } from "../helpers.js";
import {
  fault,
  type RunningCluster,
  sentinelMaster,
  startCluster,
  startNewCluster,
  stopCluster,
  waitNewMaster,
} from "./cluster-script-helpers.js";
import { info } from "./replication-helpers.js";

let cluster: RunningCluster;

beforeAll(async () => {
  cluster = await startNewCluster(["--faults", "--down-after", "1000", "--status-interval", "1"]);
  await waitFor(
    () => cluster.output().includes(" ready: "),
    () => `ready\n${cluster.output()}`,
    30_000,
  );
}, 90_000);

afterAll(async () => {
  if (cluster !== undefined) await stopCluster(cluster);
}, 60_000);

/** The master the Sentinels name now, by its public port. */
async function currentMaster(): Promise<number> {
  return Number((await sentinelMaster(cluster.sentinels[0])).split(":")[1]);
}

/** PING on a public port: "PONG", "refused" (nothing listens) or "no answer" within `ms`. */
async function ping(port: number, ms = 1500): Promise<string> {
  let c: RespClient;
  try {
    c = await RespClient.connect(port);
  } catch {
    return "refused";
  }
  try {
    return String(await Promise.race([c.call("PING"), sleep(ms).then(() => "no answer")]));
  } finally {
    c.close();
  }
}

/** Waits until the node at public port `port` is a replica of `master`, its link up (via public ports). */
async function waitReplicaOf(port: number, master: number, what: string): Promise<void> {
  let seen = new Map<string, string>();
  await waitFor(
    async () => {
      const c = await RespClient.connect(port).catch(() => null);
      if (c === null) return false;
      try {
        seen = await Promise.race([
          info(c, "replication"),
          sleep(2000).then(() => new Map<string, string>()),
        ]);
      } finally {
        c.close();
      }
      return (
        seen.get("role") === "slave" &&
        seen.get("master_port") === String(master) &&
        seen.get("master_link_status") === "up"
      );
    },
    () => `${what} (INFO replication: ${JSON.stringify([...seen])})\n${cluster.output()}`,
    45_000,
  );
}

describe("./keyhaven cluster --faults", () => {
  it("cut: the Sentinels fail over, the old master is out of reach; heal: it rejoins as a replica", async () => {
    const old = await currentMaster();
    expect(cluster.servers).toContain(old);
    const c = await RespClient.connect(old);
    expect(await c.call("SET", "before", "cut")).toBe("OK");
    expect(await c.call("WAIT", "2", "5000")).toBe(2);
    c.close();

    const cut = await fault(cluster.dir, "cut");
    expect(cut.stderr).toBe("");
    expect(cut.code).toBe(0);
    expect(cut.stdout).toContain(`cut server 127.0.0.1:${old} (the master) off`);
    expect(cluster.output()).toMatch(/\d\d:\d\d:\d\d fault cut: cut server/);

    const promoted = await waitNewMaster(cluster, `127.0.0.1:${old}`);
    expect(cluster.servers).toContain(promoted);
    // Through its public port the cut master neither answers nor refuses: the link hangs.
    expect(await ping(old)).toBe("no answer");
    const m = await RespClient.connect(promoted);
    expect(await m.call("GET", "before")).toBe("cut");
    m.close();

    const heal = await fault(cluster.dir, "heal");
    expect(heal.code).toBe(0);
    expect(heal.stdout).toContain(`restored the links of server 127.0.0.1:${old}`);
    await waitReplicaOf(old, promoted, "the old master to rejoin as a replica of the new one");
  }, 90_000);

  it("kill: the Sentinels fail over, the port refuses; heal restarts it as a replica", async () => {
    const old = await currentMaster();
    const killed = await fault(cluster.dir, "kill");
    expect(killed.code).toBe(0);
    expect(killed.stdout).toMatch(
      new RegExp(`^killed server 127\\.0\\.0\\.1:${old} \\(the master\\), pid \\d+`),
    );
    // A killed process's port refuses connections, the proxy's too.
    expect(await ping(old)).toBe("refused");

    const promoted = await waitNewMaster(cluster, `127.0.0.1:${old}`);
    const heal = await fault(cluster.dir, "heal");
    expect(heal.code).toBe(0);
    expect(heal.stdout).toMatch(new RegExp(`restarted server 127\\.0\\.0\\.1:${old} \\(pid \\d+\\)`));
    await waitReplicaOf(old, promoted, "the restarted master to rejoin as a replica of the new one");
    expect((await fault(cluster.dir, "heal")).stdout).toBe("nothing to heal\n");
  }, 90_000);

  it("pause --port: the node stops answering; heal resumes it", async () => {
    const master = await currentMaster();
    const replica = cluster.servers.find((p) => p !== master)!;
    const paused = await fault(cluster.dir, "pause", "--port", String(replica));
    expect(paused.code).toBe(0);
    expect(paused.stdout).toMatch(
      new RegExp(`^paused server 127\\.0\\.0\\.1:${replica}, pid \\d+, with SIGSTOP`),
    );
    expect(await ping(replica)).toBe("no answer");
    const again = await fault(cluster.dir, "pause", "--port", String(replica));
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`server 127.0.0.1:${replica} is already paused\n`);
    const heal = await fault(cluster.dir, "heal");
    expect(heal.stdout).toBe(`healed: resumed server 127.0.0.1:${replica}\n`);
    expect(await ping(replica)).toBe("PONG");
  });

  it("refuses a start on the same folder that asks for the other mode", async () => {
    const other = await startCluster([...cluster.args, "--no-faults"], cluster).then(
      () => "started",
      (err: Error) => err.message,
    );
    expect(other).toContain("exited (code 2) before it started");
    expect(other).toContain(`${cluster.dir} was created with --faults (fault proxies)`);
  });
});
