/**
 * The executable's own command line, as redis-server's main() reads it: --version/-v and
 * --help/-h (looked for in the first argument only), and `-` (configuration from stdin, read
 * after the file and before the command-line directives). Runs against the target binary.
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { basename } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { freePort, RespClient, SERVER_BIN, tempDir, waitFor } from "../helpers.js";

const isRedis = process.env.KEYHAVEN_TEST_TARGET === "redis";
const BIN = isRedis ? "redis-server" : SERVER_BIN;
const NAME = basename(BIN);

function run(args: string[]) {
  return spawnSync(BIN, args, { encoding: "latin1", timeout: 10_000, stdio: ["ignore", "pipe", "pipe"] });
}

let proc: ChildProcess | null = null;
afterEach(async () => {
  if (proc !== null && proc.exitCode === null && proc.signalCode === null) {
    const exited = new Promise((r) => proc!.once("exit", r));
    process.kill(proc.pid!, "SIGKILL");
    await exited;
  }
  proc = null;
});

describe("keyhaven-server command line", () => {
  it("--version and -v print the version line and exit 0, whatever follows", () => {
    for (const args of [["--version"], ["-v"], ["--version", "--port", "1"]]) {
      const r = run(args);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(
        /^Redis server v=7\.0\.\d+ sha=[0-9a-f]{8}:\d malloc=\S+ bits=64 build=\S+\n$/,
      );
      expect(r.stderr).toBe("");
    }
  });

  it("--help and -h print the usage on stderr and exit 1", () => {
    for (const args of [["--help"], ["-h"]]) {
      const r = run(args);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe("");
      const lines = r.stderr.split("\n");
      expect(lines[0]).toBe(`Usage: ./${NAME} [/path/to/redis.conf] [options] [-]`);
      expect(lines).toContain(`       ./${NAME} - (read config from stdin)`);
      expect(lines).toContain(`       echo 'maxmemory 128mb' | ./${NAME} -`);
      expect(lines).toContain(`       ./${NAME} /etc/sentinel.conf --sentinel`);
    }
  });

  it("- reads the configuration from stdin; command-line directives come after it", async () => {
    const port = await freePort();
    const dir = tempDir();
    // `-` last: stdin is read before the directives, so --maxmemory overrides stdin's.
    proc = spawn(BIN, ["--maxmemory", "2mb", "-"], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    proc.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
    });
    proc.stderr!.on("data", (d: Buffer) => {
      out += d.toString();
    });
    proc.stdin!.end(
      `port ${port}\nbind 127.0.0.1\nsave ""\ndir ${dir}\nmaxmemory 1mb\nmaxmemory-policy allkeys-lru\nlogfile ""\n`,
    );
    await waitFor(() => out.includes("Ready to accept connections"), "server ready", 15_000);
    const c = await RespClient.connect(port);
    expect(await c.call("CONFIG", "GET", "maxmemory-policy")).toEqual(["maxmemory-policy", "allkeys-lru"]);
    expect(await c.call("CONFIG", "GET", "maxmemory")).toEqual(["maxmemory", String(2 * 1024 * 1024)]);
    expect(await c.call("CONFIG", "GET", "dir")).toEqual(["dir", dir]);
    c.close();
  });

  it("- as the first argument also reads stdin; a bad line there stops start-up", () => {
    const r = spawnSync(BIN, ["-", "--port", "0"], {
      encoding: "latin1",
      timeout: 10_000,
      input: "maxmemory-policy sometimes\n",
    });
    expect(r.status).toBe(1);
    const output = r.stdout + r.stderr;
    expect(output).toContain("*** FATAL CONFIG FILE ERROR (Redis 7.0.");
    expect(output).toContain("Reading the configuration file, at line 1");
    expect(output).toContain(">>> 'maxmemory-policy sometimes'");
    expect(output).toContain("argument(s) must be one of the following");
  });
});
