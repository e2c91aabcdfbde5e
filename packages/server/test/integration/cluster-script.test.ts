/**
 * scripts/cluster.mjs (`./keyhaven cluster`): it starts a master and two replicas that replicate,
 * and Ctrl-C (SIGINT) stops every process it started.
 */

import { spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, RespClient, tempDir, waitFor } from "../helpers.js";
import { info } from "./replication-helpers.js";

const script = resolve(dirname(fileURLToPath(import.meta.url)), "../../../../scripts/cluster.mjs");
const pids: number[] = [];

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

describe("./keyhaven cluster", () => {
  it("runs a master and two replicas, and stops them all on SIGINT", async () => {
    const ports = [await freePort(), await freePort(), await freePort()];
    const dir = tempDir("kh-cluster-");
    const proc = spawn(process.execPath, [script, "--ports", ports.join(","), "--dir", dir, "--fresh"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    pids.push(proc.pid!);
    let out = "";
    proc.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
    });
    proc.stderr!.on("data", (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((r) => proc.on("exit", (code) => r(code)));
    await waitFor(() => out.includes("Ctrl-C stops every node."), "the cluster to start", 30_000);
    const nodePids = [...out.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
    pids.push(...nodePids);
    expect(nodePids.length).toBe(3);
    expect(out).toContain(`master      127.0.0.1:${ports[0]}`);
    expect(out).toContain(`replica of 127.0.0.1:${ports[0]}`);
    const master = await RespClient.connect(ports[0]);
    expect(await master.call("SET", "k", "v")).toBe("OK");
    for (const port of ports.slice(1)) {
      const replica = await RespClient.connect(port);
      await waitFor(
        async () => (await replica.call("GET", "k")) === "v",
        `replica ${port} has the write`,
        20_000,
      );
      expect((await info(replica, "replication")).get("master_port")).toBe(String(ports[0]));
      replica.close();
    }
    master.close();
    proc.kill("SIGINT");
    expect(await exited).toBe(0);
    for (const pid of nodePids) expect(alive(pid)).toBe(false);
    expect(out).toContain("stopped master");
  });
});
