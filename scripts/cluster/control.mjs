/**
 * The cluster script's control socket, and `./keyhaven cluster fault ...`, its client: from
 * another terminal or a script, a fault request reaches the cluster process that runs on a data
 * folder, which alone knows the PIDs, the proxies and the current cut (faults.mjs).
 *
 * A unix socket, `<dir>/control.sock`: found from --dir alone, and reachable only by local users
 * the folder lets in (a localhost TCP port would take commands from any local user). One request
 * per connection: the JSON line {"fault": "cut", "port": 7000} (port optional), answered by
 * {"ok": true, "message": "..."} or {"ok": false, "error": "..."}.
 */

import { existsSync, unlinkSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { FAULTS } from "./faults.mjs";

const SOCKET = "control.sock";
/** sun_path holds 108 bytes with its NUL on Linux; a longer path is used relative to the folder. */
const SUN_PATH_MAX = 107;
/** A heal may restart nodes, each given up to 60 s to answer PING by the cluster script. */
const REPLY_TIMEOUT_MS = 300_000;

export const FAULT_USAGE = `Usage: ./keyhaven cluster fault <${FAULTS.join("|")}> [--port P] [--dir PATH]

Asks the ./keyhaven cluster running on --dir (default ./data/cluster) to inject a fault into the
current master (as the Sentinels name it) or into the node at public port --port, and prints what
it did (also logged in the cluster's status):
  kill    SIGKILL the process
  pause   SIGSTOP it (its sockets stay open, nothing answers)
  cut     cut it off: every link to and from the other servers, the Sentinels and clients hangs
          (needs a cluster started with --faults)
  heal    undo every fault (only --port's if given): SIGCONT, links restored, killed nodes
          restarted with their config and data so that they rejoin
`;

/** Runs `fn` with a path to the control socket that fits sun_path (bind and connect are synchronous). */
function atSocket(dataDir, fn) {
  const path = join(dataDir, SOCKET);
  if (Buffer.byteLength(path) <= SUN_PATH_MAX) return fn(path);
  const cwd = process.cwd();
  process.chdir(dataDir);
  try {
    return fn(SOCKET);
  } finally {
    process.chdir(cwd);
  }
}

/** Connects to the control socket; resolves with the socket, or with null when nothing listens. */
function connect(dataDir) {
  return new Promise((res) => {
    const s = new Socket();
    s.once("connect", () => res(s));
    s.once("error", () => res(null));
    atSocket(dataDir, (path) => s.connect(path));
  });
}

/**
 * Listens on the folder's control socket; each request goes to `handle(fault, port)`, which
 * resolves with a message or rejects (a FaultError's message goes back as the error). Rejects when
 * another cluster process answers on it; a socket file left by a killed one is replaced.
 */
export async function serveControl(dataDir, handle) {
  const other = await connect(dataDir);
  if (other !== null) {
    other.destroy();
    throw new Error(`a cluster already runs in ${dataDir} (it answers on ${join(dataDir, SOCKET)})`);
  }
  if (existsSync(join(dataDir, SOCKET))) unlinkSync(join(dataDir, SOCKET));
  const server = createServer((s) => {
    let text = "";
    s.on("error", () => {});
    s.on("data", (d) => {
      text += d.toString();
      if (!text.includes("\n")) return;
      s.pause();
      let req;
      try {
        req = JSON.parse(text);
      } catch {
        s.end(`${JSON.stringify({ ok: false, error: "bad request" })}\n`);
        return;
      }
      handle(String(req.fault), typeof req.port === "number" ? req.port : undefined).then(
        (message) => s.end(`${JSON.stringify({ ok: true, message })}\n`),
        (err) => s.end(`${JSON.stringify({ ok: false, error: err.message })}\n`),
      );
    });
  });
  await new Promise((res, rej) => {
    server.once("error", rej);
    atSocket(dataDir, (path) => server.listen(path, res));
  });
  return {
    close() {
      server.close();
      try {
        unlinkSync(join(dataDir, SOCKET));
      } catch {
        // Already gone.
      }
    },
  };
}

/** `./keyhaven cluster fault ...` (argv after "fault"): prints the answer; exits 0, 1 (refused or no cluster) or 2 (usage). */
export async function faultCommand(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        port: { type: "string" },
        dir: { type: "string", default: "./data/cluster" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (err) {
    process.stderr.write(`${err.message}\n\n${FAULT_USAGE}`);
    process.exit(2);
  }
  const { values: o, positionals } = parsed;
  if (o.help) {
    process.stdout.write(FAULT_USAGE);
    process.exit(0);
  }
  if (positionals.length !== 1 || !FAULTS.includes(positionals[0])) {
    process.stderr.write(`expected one fault: ${FAULTS.join(", ")}\n\n${FAULT_USAGE}`);
    process.exit(2);
  }
  if (o.port !== undefined && !/^\d+$/.test(o.port)) {
    process.stderr.write(`--port: expected a port number, got '${o.port}'\n`);
    process.exit(2);
  }
  const dataDir = resolve(o.dir);
  const s = existsSync(dataDir) ? await connect(dataDir) : null;
  if (s === null) {
    process.stderr.write(
      `no cluster runs in ${dataDir} (nothing answers on ${join(dataDir, SOCKET)}); start one with ./keyhaven cluster --dir ${o.dir}\n`,
    );
    process.exit(1);
  }
  let text = "";
  s.on("data", (d) => {
    text += d.toString();
  });
  s.write(
    `${JSON.stringify({ fault: positionals[0], port: o.port === undefined ? undefined : Number(o.port) })}\n`,
  );
  const timer = setTimeout(() => s.destroy(), REPLY_TIMEOUT_MS);
  await new Promise((r) => s.on("close", r));
  clearTimeout(timer);
  let reply;
  try {
    reply = JSON.parse(text);
  } catch {
    process.stderr.write(`the cluster in ${dataDir} gave no answer\n`);
    process.exit(1);
  }
  if (reply.ok) process.stdout.write(`${reply.message}\n`);
  else process.stderr.write(`${reply.error}\n`);
  process.exit(reply.ok ? 0 : 1);
}
