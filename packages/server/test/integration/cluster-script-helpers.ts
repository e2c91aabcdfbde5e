/**
 * Running scripts/cluster.mjs (`./keyhaven cluster`) as a user does, for cluster-script.test.ts
 * and cluster-faults.test.ts: the script as a child process on free ports and a temp folder, its
 * `fault` subcommand, and what a user checks (where the Sentinels say the master is). Every
 * process whose pid the script prints (the script's own, its nodes', the ones heal restarts) is
 * killed by PID when the test file ends, also when it fails; every wait is bounded.
 */

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll } from "vitest";
import { freePort, RespClient, tempDir, waitFor } from "../helpers.js";

const script = resolve(dirname(fileURLToPath(import.meta.url)), "../../../../scripts/cluster.mjs");
/** pid -> the data folder its command line names (the pids the script printed for that folder). */
const pids = new Map<number, string>();

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterAll(() => {
  for (const [pid, dir] of pids) {
    // A pid recycled since belongs to somebody else: only a process of this test's folder dies.
    let mine = false;
    try {
      mine = readFileSync(`/proc/${pid}/cmdline`, "latin1").includes(dir);
    } catch {
      // Gone.
    }
    if (!mine) continue;
    try {
      process.kill(pid, "SIGCONT");
      process.kill(pid, "SIGKILL");
    } catch {
      // Exited meanwhile.
    }
  }
});

export interface RunningCluster {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  nodePids: number[];
  dir: string;
  servers: number[];
  sentinels: number[];
  /** The arguments that start this cluster again on the same folder and ports. */
  args: string[];
}

/** Starts the script with `args`; resolves once its start-up lines are out (every node answers). */
export async function startCluster(
  args: string[],
  where: Pick<RunningCluster, "dir" | "servers" | "sentinels">,
): Promise<RunningCluster> {
  const proc = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  pids.set(proc.pid!, where.dir);
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
  for (const pid of nodePids) pids.set(pid, where.dir);
  const { dir, servers, sentinels } = where;
  return { proc, output: () => out, exited, nodePids, args, dir, servers, sentinels };
}

/**
 * A new cluster (1 master, 2 replicas, 3 Sentinels) on free ports and a new temp folder, with
 * `extra` arguments (only for this first start, not in `args`). Other test files start servers
 * meanwhile: a port found free may be taken before the cluster binds it, and the script then
 * stops, saying so; new ports are tried then.
 */
export async function startNewCluster(extra: string[]): Promise<RunningCluster> {
  for (let attempt = 1; ; attempt++) {
    const ports: number[] = [];
    for (let i = 0; i < 6; i++) ports.push(await freePort());
    const where = { dir: tempDir("kh-cluster-"), servers: ports.slice(0, 3), sentinels: ports.slice(3) };
    const args = [
      "--ports",
      where.servers.join(","),
      "--sentinel-ports",
      where.sentinels.join(","),
      "--dir",
      where.dir,
    ];
    try {
      const c = await startCluster([...args, ...extra], where);
      c.args = args;
      return c;
    } catch (err) {
      if (attempt === 3 || !/in use/i.test(String(err))) throw err;
    }
  }
}

/** SIGINT, as Ctrl-C: the script must exit 0 and leave none of its nodes running. */
export async function stopCluster(cluster: RunningCluster): Promise<void> {
  cluster.proc.kill("SIGINT");
  const code = await Promise.race([
    cluster.exited,
    new Promise((r) => setTimeout(() => r("timeout"), 60_000)),
  ]);
  if (code !== 0) throw new Error(`the cluster exited with ${String(code)}:\n${cluster.output()}`);
  for (const pid of cluster.nodePids) if (alive(pid)) throw new Error(`node pid ${pid} still runs`);
}

export interface FaultResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `./keyhaven cluster fault <args> --dir <dir>`; the pids it names are killed at the end too. */
export function fault(dir: string, ...args: string[]): Promise<FaultResult> {
  return new Promise((res) => {
    execFile(
      process.execPath,
      [script, "fault", ...args, "--dir", dir],
      { timeout: 120_000 },
      (err, stdout, stderr) => {
        for (const m of stdout.matchAll(/pid (\d+)/g)) pids.set(Number(m[1]), dir);
        const code = err === null ? 0 : typeof err.code === "number" ? err.code : null;
        res({ code, stdout, stderr });
      },
    );
  });
}

/** SENTINEL GET-MASTER-ADDR-BY-NAME mymaster on a Sentinel's public port, as "ip:port". */
export async function sentinelMaster(port: number): Promise<string> {
  const c = await RespClient.connect(port);
  try {
    const addr = (await c.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")) as string[];
    return addr.join(":");
  } finally {
    c.close();
  }
}

/** Waits until every Sentinel names the same master, other than `old`; returns its port. */
export async function waitNewMaster(
  cluster: RunningCluster,
  old: string,
  timeoutMs = 30_000,
): Promise<number> {
  let views: string[] = [];
  await waitFor(
    async () => {
      views = await Promise.all(cluster.sentinels.map((p) => sentinelMaster(p).catch(() => "")));
      return views.every((v) => v === views[0]) && views[0] !== "" && views[0] !== old;
    },
    () =>
      `the Sentinels to agree on a master other than ${old} (they say ${views.join(", ")})\n${cluster.output()}`,
    timeoutMs,
  );
  return Number(views[0].split(":")[1]);
}
