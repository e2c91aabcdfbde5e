/**
 * scripts/cluster.mjs (`./keyhaven cluster`), as a user runs it without a terminal: a master, two
 * replicas and three Sentinels come up and agree; killing the master fails over to a replica;
 * Ctrl-C (SIGINT) stops every process it started; started again on the same folder, the cluster
 * comes back with the promoted master and its data.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, RespClient, tempDir, waitFor } from "../helpers.js";
import { info } from "./replication-helpers.js";

const script = resolve(dirname(fileURLToPath(import.meta.url)), "../../../../scripts/cluster.mjs");
const pids = new Set<number>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterAll(() => {
  for (const pid of pids) if (alive(pid)) process.kill(pid, "SIGKILL");
});

interface RunningCluster {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  nodePids: number[];
}

async function startCluster(args: string[]): Promise<RunningCluster> {
  const proc = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  pids.add(proc.pid!);
  let out = "";
  proc.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr!.on("data", (d: Buffer) => {
    out += d.toString();
  });
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((r) =>
    proc.on("exit", (code) => {
      exitCode = code;
      r(code);
    }),
  );
  await waitFor(
    () => out.includes("Ctrl-C stops every node.") || exitCode !== undefined,
    () => `the cluster to start; its output so far:\n${out}`,
    60_000,
  );
  if (!out.includes("Ctrl-C stops every node.")) {
    throw new Error(`./keyhaven cluster exited (code ${exitCode}) before it started:\n${out}`);
  }
  // The start-up lines name every node's pid before the status loop begins.
  const head = out.slice(0, out.indexOf("Ctrl-C stops every node."));
  const nodePids = [...head.matchAll(/ pid (\d+) /g)].map((m) => Number(m[1]));
  for (const pid of nodePids) pids.add(pid);
  return { proc, output: () => out, exited, nodePids };
}

async function sentinelMaster(port: number): Promise<string> {
  const c = await RespClient.connect(port);
  try {
    const addr = (await c.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")) as string[];
    return addr.join(":");
  } finally {
    c.close();
  }
}

async function stop(cluster: RunningCluster): Promise<void> {
  cluster.proc.kill("SIGINT");
  expect(await cluster.exited).toBe(0);
  for (const pid of cluster.nodePids) expect(alive(pid)).toBe(false);
}

describe("./keyhaven cluster", () => {
  it("runs 1 master, 2 replicas and 3 Sentinels, fails over, stops on SIGINT and restarts", async () => {
    // Other test files start servers meanwhile: a port found free may be taken before the
    // cluster binds it, and the script then stops, saying so. New ports are tried then.
    let servers: number[] = [];
    let sentinels: number[] = [];
    let args: string[] = [];
    let first: RunningCluster | null = null;
    for (let attempt = 1; first === null; attempt++) {
      const ports: number[] = [];
      for (let i = 0; i < 6; i++) ports.push(await freePort());
      servers = ports.slice(0, 3);
      sentinels = ports.slice(3);
      const dir = tempDir("kh-cluster-");
      args = ["--ports", servers.join(","), "--sentinel-ports", sentinels.join(","), "--dir", dir];
      try {
        first = await startCluster([...args, "--fresh", "--down-after", "1000", "--status-interval", "1"]);
      } catch (err) {
        if (attempt === 3 || !/in use/i.test(String(err))) throw err;
      }
    }
    expect(first.nodePids.length).toBe(6);
    expect(first.output()).toContain(`replica of 127.0.0.1:${servers[0]}`);
    expect(first.output()).toContain(`monitors mymaster at 127.0.0.1:${servers[0]} (quorum 2`);
    await waitFor(() => first.output().includes(" ready: "), "every node in sync and known", 30_000);

    const master = await RespClient.connect(servers[0]);
    expect(await master.call("SET", "k", "v")).toBe("OK");
    expect(await master.call("WAIT", "2", "5000")).toBe(2);
    master.close();
    for (const port of sentinels) expect(await sentinelMaster(port)).toBe(`127.0.0.1:${servers[0]}`);

    // kill -9 the master: the Sentinels promote a replica and say so in the status output.
    process.kill(first.nodePids[0], "SIGKILL");
    await waitFor(() => /\+switch-master mymaster /.test(first.output()), "+switch-master", 30_000);
    let promoted = "";
    await waitFor(
      async () => {
        const views = await Promise.all(sentinels.map(sentinelMaster));
        promoted = views[0];
        return views.every((v) => v === promoted) && promoted !== `127.0.0.1:${servers[0]}`;
      },
      "the Sentinels to agree on a new master",
      30_000,
    );
    const newMasterPort = Number(promoted.split(":")[1]);
    expect(servers.slice(1)).toContain(newMasterPort);
    const newMaster = await RespClient.connect(newMasterPort);
    expect(await newMaster.call("GET", "k")).toBe("v");
    expect(await newMaster.call("SET", "after", "failover")).toBe("OK");
    newMaster.close();
    expect(first.output()).toMatch(/exited \(signal SIGKILL\)/);
    await stop(first);
    expect(first.output()).toContain("stopped sentinel");

    // Same folder again: the configs the Sentinels rewrote bring back the promoted master.
    const second = await startCluster(args);
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
    await stop(second);
  }, 180_000);
});
