/**
 * keyhaven-server's entry point: the command line and config file handling of redis-server
 * (`keyhaven-server [/path/to/redis.conf] [--directive value ...] [-]`), then start-up, signals
 * and exit codes. yargs recognizes our own flags (--version, --help); everything else is turned
 * into config text exactly as Redis's main() does, so `--save 900 1 --save 300 10` and
 * `--save ""` mean what they mean to redis-server.
 */

import { readFileSync } from "node:fs";
import { Config, formatConfigError } from "./config/config.js";
import { ConfigError } from "./errors.js";
import { applyStartupDirectives, createServer, enterConfiguredDir } from "./index.js";
import { AlreadyLoggedError } from "./util/already-logged-error.js";
import { KEYHAVEN_VERSION, REDIS_VERSION } from "./version.js";

/** sdscatrepr for a command-line argument appended to the config text. */
function quoteArg(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\r/g, "\\r")}"`;
}

/**
 * Turns argv (after the config file) into config text, as redis-server's main() does: each
 * `--name` starts a directive, following arguments are its values; `--save` with no value (last,
 * or followed by another `--option`) means `save ""`.
 */
export function argsToConfigText(args: string[]): { text: string; fromStdin: boolean } {
  let text = "";
  let fromStdin = false;
  let handledLastArg = true;
  for (let j = 0; j < args.length; j++) {
    const a = args[j];
    if (a === "-" && (j === 0 || j === args.length - 1)) {
      fromStdin = true;
    } else if (handledLastArg && a.startsWith("--")) {
      if (text.length > 0) text += "\n";
      text += `${a.slice(2)} `;
      const nameOnly = !/\s/.test(a.trim()) && a.trim() === a;
      if (nameOnly) {
        handledLastArg = false;
        const nextIsOption = j !== args.length - 1 && args[j + 1].startsWith("--");
        if (a.toLowerCase() === "--save" && (nextIsOption || j === args.length - 1)) {
          text += '""';
          handledLastArg = true;
        } else if (a.toLowerCase() === "--sentinel" && nextIsOption) {
          handledLastArg = true;
        }
      } else {
        handledLastArg = true;
      }
    } else {
      text += `${quoteArg(a)} `;
      handledLastArg = true;
    }
  }
  return { text, fromStdin };
}

const USAGE = `Usage: ./keyhaven-server [/path/to/redis.conf] [options] [-]
       ./keyhaven-server - (read config from stdin)
       ./keyhaven-server -v or --version
       ./keyhaven-server -h or --help

Examples:
       ./keyhaven-server (run the server with default conf)
       echo 'maxmemory 128mb' | ./keyhaven-server -
       ./keyhaven-server /etc/redis/6379.conf
       ./keyhaven-server --port 7777
       ./keyhaven-server --port 7777 --replicaof 127.0.0.1 8888
       ./keyhaven-server /etc/myredis.conf --loglevel verbose -
       ./keyhaven-server /etc/myredis.conf --loglevel verbose

Sentinel mode:
       ./keyhaven-server /etc/sentinel.conf --sentinel`;

export async function main(argv: string[]): Promise<number> {
  // redis-server's main() looks at the first argument only, whatever follows it: version() on
  // stdout and exit 0, usage() on stderr and exit 1. yargs is imported just then: loading it (and
  // its dependencies) took ~65 ms of CPU, a third of an empty start-up.
  if (argv[0] === "--version" || argv[0] === "-v" || argv[0] === "--help" || argv[0] === "-h") {
    const { default: yargs } = await import("yargs");
    const parsed = await yargs(argv)
      .help(false)
      .version(false)
      .strict(false)
      .parserConfiguration({ "unknown-options-as-args": true })
      .option("version", { alias: "v", type: "boolean" })
      .option("help", { alias: "h", type: "boolean" })
      .parse();
    if (parsed.version === true && (argv[0] === "--version" || argv[0] === "-v")) {
      process.stdout.write(
        `Redis server v=${REDIS_VERSION} sha=00000000:0 malloc=v8 bits=64 build=keyhaven-${KEYHAVEN_VERSION}\n`,
      );
      return 0;
    }
    if (parsed.help === true) {
      process.stderr.write(`${USAGE}\n`);
      return 1;
    }
  }

  const config = new Config();
  let rest = argv;
  let configFile: string | null = null;
  if (rest.length > 0 && !rest[0].startsWith("--") && rest[0] !== "-") {
    configFile = rest[0];
    rest = rest.slice(1);
  }
  try {
    if (configFile !== null) config.loadFile(configFile);
    const { text, fromStdin } = argsToConfigText(rest);
    if (fromStdin) config.loadText(readFileSync(0, "latin1"), "(stdin)");
    if (text.length > 0) config.loadText(text, "(command line)");
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${formatConfigError(err, REDIS_VERSION)}\n`);
      return 1;
    }
    throw err;
  }

  // Checked once every source is read: a later `--daemonize no` overrides a file's
  // `daemonize yes`, as Redis reads file and command line as one text.
  if (config.bool("daemonize")) {
    process.stderr.write(
      "daemonize yes is not supported: run keyhaven-server in the foreground under a supervisor (or pass --daemonize no)\n",
    );
    return 1;
  }

  const notInDir = enterConfiguredDir(config);
  if (notInDir !== null) {
    process.stderr.write(`${notInDir}\n`);
    return 1;
  }
  const server = createServer(config);
  const directivesFailed = applyStartupDirectives(server);
  if (directivesFailed !== null) {
    process.stderr.write(`${directivesFailed}\n`);
    return 1;
  }
  const onSignal = (signal: NodeJS.Signals) => {
    server.logger.warning(`Received ${signal} scheduling shutdown...`);
    // shutdown-on-sigterm / shutdown-on-sigint: "default", or save|nosave, now, force.
    const flags = config.str(signal === "SIGINT" ? "shutdown-on-sigint" : "shutdown-on-sigterm").split(" ");
    const save = flags.includes("save") ? true : flags.includes("nosave") ? false : null;
    const now = flags.includes("now");
    const force = flags.includes("force");
    void server.shutdown({ save, now, force }).then((ok) => {
      if (!ok)
        server.logger.warning(
          "SIGTERM received but errors trying to shut down the server, check the logs for more information",
        );
    });
  };
  // Handlers go in before start-up logs "Ready to accept connections": a supervisor (or a test)
  // that signals as soon as it reads that line must get a graceful shutdown, not Node's default.
  // Installed before start-up: a signal during a long dataset load exits at once, without saving.
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  const starting = server.start().then(() => null);
  // A shutdown during start-up wins the race below; a later start-up error is then moot.
  starting.catch(() => {});
  try {
    const stopped = await Promise.race([starting, server.exited]);
    if (stopped !== null) return stopped;
  } catch (err) {
    if (!(err instanceof AlreadyLoggedError)) {
      server.logger.warning(
        { error: (err as Error).message },
        `Fatal error during start-up: ${(err as Error).message}`,
      );
    }
    server.stop();
    return 1;
  }
  return server.exited;
}
