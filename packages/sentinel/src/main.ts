/**
 * keyhaven-sentinel's entry point: `keyhaven-sentinel sentinel.conf [--directive value ...]`
 * (also reached as `keyhaven-server sentinel.conf --sentinel`). Mirrors redis-server's start-up
 * in sentinel mode: the config file is mandatory and must be writable (Sentinel rewrites it),
 * the default port is 26379 and protected-mode is off, `sentinel` directives are applied after
 * the whole file, a myid is generated and saved if missing, then +monitor events, and the
 * Sentinel timer starts once the port is bound.
 *
 * Exit codes: 0 after SHUTDOWN/SIGTERM, 1 for a bad or unwritable config.
 */

import { accessSync, constants, readFileSync } from "node:fs";
import {
  applyStartupDirectives,
  Config,
  ConfigError,
  createLogger,
  enterConfiguredDir,
  formatConfigError,
  type LogLevel,
  REDIS_VERSION,
  strerror,
} from "@keyhaven/server";
import {
  applySentinelDirectives,
  resolveConfigHosts,
  splitConfigText,
  writeSentinelConfig,
} from "./config.js";
import { type Sentinel, sentinelEvent } from "./events.js";
import { SentinelState } from "./instance.js";
import { attachSentinel, createSentinelServer } from "./mode.js";
import { SentinelTimer } from "./monitor.js";
import { ScriptQueue } from "./scripts.js";

/** sdscatrepr for one command-line value appended to the config text. */
function quoteArg(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\r/g, "\\r")}"`;
}

/** redis-server's main(): `--name v1 v2` becomes the config line `name "v1" "v2"`. */
export function argsToConfigText(args: string[]): string {
  const lines: string[] = [];
  for (const a of args) {
    if (a.startsWith("--")) lines.push(a.slice(2));
    else if (lines.length > 0) lines[lines.length - 1] += ` ${quoteArg(a)}`;
  }
  return lines.join("\n");
}

/**
 * Reads `file` then the command-line `args` (`--directive value ...`, applied after the file as
 * redis-server does) over Sentinel's defaults. Throws ConfigError.
 */
export async function loadSentinelConfig(
  file: string,
  args: string[],
): Promise<{ config: Config; state: SentinelState }> {
  const config = new Config();
  const state = new SentinelState();
  // initSentinelConfig: Sentinel listens on 26379 and must be reachable from other hosts.
  config.loadText("port 26379\nprotected-mode no", "(sentinel defaults)");
  let text: string;
  try {
    text = readFileSync(file, "latin1");
  } catch (err) {
    throw new ConfigError(
      `Fatal error, can't open config file '${file}': ${(err as Error).message}`,
      file,
      0,
      "",
    );
  }
  const fromFile = splitConfigText(text, file);
  config.loadText(fromFile.serverText, file);
  const fromArgs = splitConfigText(argsToConfigText(args), "(command line)");
  config.loadText(fromArgs.serverText, "(command line)");
  const directives = [...fromFile.directives, ...fromArgs.directives];
  await resolveConfigHosts(state, directives);
  applySentinelDirectives(state, directives);
  return { config, state };
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0].startsWith("--")) {
    process.stderr.write("Sentinel needs config file on disk to save state.  Exiting...\n");
    return 1;
  }
  const file = argv[0];
  let config: Config;
  let state: SentinelState;
  try {
    ({ config, state } = await loadSentinelConfig(file, argv.slice(1)));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${formatConfigError(err, REDIS_VERSION)}\n`);
      return 1;
    }
    throw err;
  }
  try {
    accessSync(file, constants.W_OK);
  } catch (err) {
    process.stderr.write(`Sentinel config file ${file} is not writable: ${strerror(err)}. Exiting...\n`);
    return 1;
  }
  const configPath = (await import("node:path")).resolve(file);
  const notInDir = enterConfiguredDir(config);
  if (notInDir !== null) {
    process.stderr.write(`${notInDir}\n`);
    return 1;
  }
  const server = createSentinelServer(config);
  const directivesFailed = applyStartupDirectives(server);
  if (directivesFailed !== null) {
    process.stderr.write(`${directivesFailed}\n`);
    return 1;
  }
  server.logger = createLogger(config.str("loglevel") as LogLevel, config.str("logfile"), "X");
  const logger = server.logger;
  const scripts = new ScriptQueue(logger, state.timings, (type, msg) =>
    sentinelEvent(s, "warning", type, null, msg),
  );
  const s: Sentinel = {
    state,
    server,
    scripts,
    flushConfig(now = false) {
      // Coalesced: every change made in this event-loop turn is written by one rewrite (two
      // fsyncs) instead of one per change, Redis rewriting once per change: on a busy disk that
      // many synchronous fsyncs can stall the loop past the TILT trigger. Votes use `now`, so
      // a vote is on disk before the reply that carries it leaves.
      if (now) {
        flushNow();
        return;
      }
      if (flushPending) return;
      flushPending = true;
      setImmediate(flushNow);
    },
  };
  let flushPending = false;
  const flushNow = () => {
    flushPending = false;
    try {
      writeSentinelConfig(configPath, state, config, server.boundPort, server.acl.configLines());
      logger.notice("Sentinel new configuration saved on disk");
    } catch (err) {
      logger.warning(
        { error: (err as Error).message },
        "WARNING: Sentinel was not able to save the new configuration on disk!!!",
      );
    }
  };
  attachSentinel(s);
  const timer = new SentinelTimer(s);
  server.addSubsystem({
    shutdown() {
      timer.stop();
      scripts.killAll();
      for (const m of state.masters.values()) {
        m.link.closeAll();
        for (const r of m.slaves.values()) r.link.closeAll();
        for (const r of m.sentinels.values()) r.link.closeAll();
      }
      return true;
    },
  });
  try {
    await server.start("sentinel");
  } catch (err) {
    logger.warning(
      { error: (err as Error).message },
      `Fatal error during start-up: ${(err as Error).message}`,
    );
    server.stop();
    return 1;
  }
  // sentinelIsRunning: save the (possibly new) myid, then announce what we monitor.
  s.flushConfig();
  logger.warning(`Sentinel ID is ${state.myid}`);
  for (const m of state.masters.values()) sentinelEvent(s, "warning", "+monitor", m, ` quorum ${m.quorum}`);
  timer.start();

  const onSignal = (signal: NodeJS.Signals) => {
    logger.warning(`Received ${signal} scheduling shutdown...`);
    void server.shutdown({ save: false, now: false, force: true });
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  return server.exited;
}
