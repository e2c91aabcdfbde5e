/**
 * `./keyhaven cluster`'s command line: its usage text, and the options checked and turned into
 * the settings the script runs with (ports, Sentinel settings, data folder). A bad option exits
 * with status 2 and a message naming it.
 */

import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { FAULT_USAGE } from "./control.mjs";

export const HOST = "127.0.0.1";
export const MASTER_NAME = "mymaster";

const USAGE = `Usage: ./keyhaven cluster [options] [-- <extra keyhaven-server arguments>]
       ./keyhaven cluster fault <kill|pause|cut|heal> [--port P] [--dir PATH]

Starts a local high-availability cluster on ${HOST}: a keyhaven-server master, its replicas and
keyhaven-sentinel processes monitoring it as "${MASTER_NAME}", with config files, data and logs under
--dir. Shows a live status until Ctrl-C, which stops every process it started. Started again on
the same --dir, it reuses the data and the configs the servers and Sentinels rewrote.

  --replicas N            replicas (default 2)
  --sentinels N           Sentinels (default 3; 0 for none)
  --quorum N              Sentinel quorum (default 2)
  --port P                first server port (default 7000); the replicas take the next ones
  --ports P,P,...         every server port, master first (instead of --port and --replicas)
  --sentinel-port P       first Sentinel port (default 26379); the others take the next ones
  --sentinel-ports P,...  every Sentinel port (instead of --sentinel-port and --sentinels)
  --down-after MS         sentinel down-after-milliseconds (default 5000)
  --failover-timeout MS   sentinel failover-timeout (default 30000)
  --dir PATH              data folder (default ./data/cluster)
  --fresh                 delete the data folder first
  --faults                put a fault proxy on every public port (the processes listen on
                          internal ports), so that a node can be cut off; chosen when the data
                          folder is created and kept by it (--no-faults: insist on the plain mode)
  --sentinel-impl K       keyhaven (default), or redis for Debian's redis-server --sentinel
  --status-interval S     without a terminal, print the status every S seconds (default 5)
  --stop-timeout S        seconds between SIGTERM and SIGKILL when stopping (default 10)
  -h, --help              this text

On a terminal, keys inject faults into the current master: k kill (SIGKILL), p pause (SIGSTOP),
c cut off (--faults only), h heal everything (resume, restore links, restart killed nodes),
q or Ctrl-C stop. From another terminal or a script:

${FAULT_USAGE}`;

/** Exits with status 2 and `message` on stderr. */
export function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

/** A whole number within [min, max], or exit with the option's name. */
function int(name, text, min, max = Number.MAX_SAFE_INTEGER) {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max)
    fail(`--${name}: expected a whole number in [${min}, ${max}], got '${text}'`);
  return n;
}

/** The settings from `argv` (the arguments after the script's path), or exit (--help, errors). */
export function parseOptions(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      allowNegative: true,
      options: {
        port: { type: "string", default: "7000" },
        ports: { type: "string", default: "" },
        replicas: { type: "string", default: "2" },
        sentinels: { type: "string", default: "3" },
        "sentinel-port": { type: "string", default: "26379" },
        "sentinel-ports": { type: "string", default: "" },
        // No defaults for these three: given explicitly, they also apply to existing configs.
        quorum: { type: "string" },
        "down-after": { type: "string" },
        "failover-timeout": { type: "string" },
        dir: { type: "string", default: "./data/cluster" },
        fresh: { type: "boolean", default: false },
        // No default: neither --faults nor --no-faults means the mode the data folder remembers.
        faults: { type: "boolean" },
        "sentinel-impl": { type: "string", default: "keyhaven" },
        "status-interval": { type: "string", default: "5" },
        "stop-timeout": { type: "string", default: "10" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (err) {
    process.stderr.write(`${err.message}\n\n${USAGE}`);
    process.exit(2);
  }
  const { values: opts, positionals: extraArgs } = parsed;
  if (opts.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }

  const serverPorts =
    opts.ports !== ""
      ? opts.ports.split(",").map((p) => int("ports", p.trim(), 1, 65535))
      : Array.from(
          { length: int("replicas", opts.replicas, 0, 100) + 1 },
          (_, i) => int("port", opts.port, 1, 65535) + i,
        );
  const sentinelPorts =
    opts["sentinel-ports"] !== ""
      ? opts["sentinel-ports"].split(",").map((p) => int("sentinel-ports", p.trim(), 1, 65535))
      : Array.from(
          { length: int("sentinels", opts.sentinels, 0, 100) },
          (_, i) => int("sentinel-port", opts["sentinel-port"], 1, 65535) + i,
        );
  const sentinelCount = sentinelPorts.length;
  const quorum = int("quorum", opts.quorum ?? "2", 1);
  const downAfter = int("down-after", opts["down-after"] ?? "5000", 1);
  const failoverTimeout = int("failover-timeout", opts["failover-timeout"] ?? "30000", 1);
  const statusIntervalMs = int("status-interval", opts["status-interval"], 1) * 1000;
  const stopTimeoutMs = int("stop-timeout", opts["stop-timeout"], 0) * 1000;
  const sentinelImpl = opts["sentinel-impl"];
  if (sentinelImpl !== "keyhaven" && sentinelImpl !== "redis") fail("--sentinel-impl: keyhaven or redis");
  if (sentinelCount > 0 && quorum > sentinelCount)
    fail(`--quorum ${quorum} is more than the ${sentinelCount} Sentinels`);
  const allPorts = [...serverPorts, ...sentinelPorts];
  if (new Set(allPorts).size !== allPorts.length) fail(`ports overlap: ${allPorts.join(",")}`);
  const dataDir = resolve(opts.dir);
  return {
    opts,
    extraArgs,
    serverPorts,
    sentinelPorts,
    sentinelCount,
    quorum,
    downAfter,
    failoverTimeout,
    statusIntervalMs,
    stopTimeoutMs,
    sentinelImpl,
    dataDir,
  };
}
