/**
 * scripts/cluster.mjs (`./keyhaven cluster`), as a user runs it without a terminal: a master, two
 * replicas and three Sentinels come up and agree; killing the master fails over to a replica;
 * Ctrl-C (SIGINT) stops every process it started; started again on the same folder, the cluster
 * comes back with the promoted master and its data. Without --faults, `fault cut` is refused.
 */

import { describe, expect, it } from "vitest";
import { RespClient, waitFor } from "../helpers.js";
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

describe("./keyhaven cluster", () => {
  it("runs 1 master, 2 replicas and 3 Sentinels, fails over, stops on SIGINT and restarts", async () => {
    const first: RunningCluster = await startNewCluster([
      "--fresh",
      "--down-after",
      "1000",
      "--status-interval",
      "1",
    ]);
    const { servers, sentinels, dir } = first;
    expect(first.nodePids.length).toBe(6);
    expect(first.output()).toContain(`replica of 127.0.0.1:${servers[0]}`);
    expect(first.output()).toContain(`monitors mymaster at 127.0.0.1:${servers[0]} (quorum 2`);
    await waitFor(() => first.output().includes(" ready: "), "every node in sync and known", 30_000);

    const master = await RespClient.connect(servers[0]);
    expect(await master.call("SET", "k", "v")).toBe("OK");
    expect(await master.call("WAIT", "2", "5000")).toBe(2);
    master.close();
    for (const port of sentinels) expect(await sentinelMaster(port)).toBe(`127.0.0.1:${servers[0]}`);

    // No fault proxies in this mode: a node on loopback cannot be cut off.
    const cut = await fault(dir, "cut");
    expect(cut.code).toBe(1);
    expect(cut.stderr).toMatch(/^cut needs the fault proxies: start the cluster with --faults/);

    // kill -9 the master: the Sentinels promote a replica and say so in the status output.
    process.kill(first.nodePids[0], "SIGKILL");
    await waitFor(() => /\+switch-master mymaster /.test(first.output()), "+switch-master", 30_000);
    const newMasterPort = await waitNewMaster(first, `127.0.0.1:${servers[0]}`);
    const promoted = `127.0.0.1:${newMasterPort}`;
    expect(servers.slice(1)).toContain(newMasterPort);
    const newMaster = await RespClient.connect(newMasterPort);
    expect(await newMaster.call("GET", "k")).toBe("v");
    expect(await newMaster.call("SET", "after", "failover")).toBe("OK");
    newMaster.close();
    expect(first.output()).toMatch(/exited \(signal SIGKILL\)/);
    await stopCluster(first);
    expect(first.output()).toContain("stopped sentinel");
    const none = await fault(dir, "kill");
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`no cluster runs in ${dir}`);

    // Same folder again: the configs the Sentinels rewrote bring back the promoted master.
    const second = await startCluster(first.args, first);
    expect(second.output()).toContain("(existing data and config)");
    await waitFor(() => second.output().includes(" ready: "), "the restarted cluster in sync", 60_000).catch(
      (err) => {
        throw new Error(`${err.message}\n${first.output()}\n-----\n${second.output()}`);
      },
    );
    for (const port of sentinels)
      expect(await sentinelMaster(port), `${first.output()}\n-----\n${second.output()}`).toBe(promoted);
    const oldMaster = await RespClient.connect(servers[0]);
    await waitFor(
      async () => (await info(oldMaster, "replication")).get("master_port") === String(newMasterPort),
      "the old master to follow the promoted one",
      30_000,
    );
    expect(await oldMaster.call("GET", "after")).toBe("failover");
    oldMaster.close();
    await stopCluster(second);
  }, 180_000);
});
