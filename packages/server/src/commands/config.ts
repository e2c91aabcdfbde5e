/**
 * CONFIG GET/SET/RESETSTAT/REWRITE/HELP (config.c). GET takes several glob patterns and answers
 * a map; SET takes several pairs and applies them atomically; REWRITE updates the config file in
 * place, keeping comments and lines it does not manage.
 */

import { shared } from "@keyhaven/protocol";
import { findOption, OPTIONS } from "../config/options.js";
import { readConfigText, rewriteConfigText, writeFileAtomically } from "../config/rewrite.js";
import { formatOptionLines } from "../config/values.js";
import { allowedByEnableOption } from "../exec/dispatch.js";
import { type Client, ClientFlag } from "../network/client.js";
import { globMatch } from "../util/glob.js";
import { strerror } from "../util/strerror.js";
import { helpReply, REDACTED } from "./common.js";
import { debugSubcommands } from "./debug.js";
import { type CommandSpec, container, helpSpec, spec } from "./spec.js";

function configGetCommand(c: Client): void {
  const config = c.server.config;
  const matches = new Map<string, string>();
  const argv = c.argv;
  for (let i = 2; i < argv.length; i++) {
    const pattern = argv[i];
    if (!/[[*?]/.test(pattern)) {
      const spec = findOption(pattern);
      if (spec !== undefined && !matches.has(pattern)) matches.set(pattern, config.format(spec));
      continue;
    }
    for (const spec of OPTIONS) {
      if (spec.hidden) continue;
      for (const name of spec.alias ? [spec.name, spec.alias] : [spec.name]) {
        if (!matches.has(name) && globMatch(pattern, name, true)) matches.set(name, config.format(spec));
      }
    }
  }
  c.out.mapHeader(matches.size);
  for (const [name, value] of matches) {
    c.out.bulk(name);
    c.out.bulk(value);
  }
}

function configSetCommand(c: Client): void {
  const argv = c.argv;
  if ((argv.length - 2) % 2 !== 0) {
    c.error("ERR wrong number of arguments for 'config|set' command");
    return;
  }
  const pairs: [string, string][] = [];
  for (let i = 2; i < argv.length; i += 2) pairs.push([argv[i], argv[i + 1]]);
  const config = c.server.config;
  const allowProtected = allowedByEnableOption(config.str("enable-protected-configs"), c);
  const before = { port: config.get("port"), bind: config.get("bind") };
  const err = config.setMany(pairs, allowProtected);
  if (err !== null) {
    c.error(err);
    return;
  }
  const listenChanged =
    config.get("port") !== before.port || JSON.stringify(config.get("bind")) !== JSON.stringify(before.bind);
  if (!listenChanged) {
    c.out.raw(shared.OK);
    return;
  }
  rebindThenReply(c, pairs, before);
}

/**
 * CONFIG SET port/bind must listen before it can answer, which takes an event-loop turn: the
 * client waits (as a blocked client) for the outcome. If the new address cannot be used, the
 * previous port and bind are restored and listened on again, and the error names the argument
 * as Redis does ("Unable to listen on this port. Check server logs." / "Failed to bind to specified addresses.").
 */
function rebindThenReply(
  c: Client,
  pairs: [string, string][],
  before: { port: unknown; bind: unknown },
): void {
  const server = c.server;
  c.flags |= ClientFlag.Blocked;
  const done = (error: string | null) => {
    c.flags &= ~ClientFlag.Blocked;
    if (error === null) c.out.raw(shared.OK);
    else c.error(error);
    server.queueUnblocked(c);
  };
  server.rebind().then(
    () => done(null),
    (err: Error) => {
      server.logger.warning({ error: err.message }, "CONFIG SET could not listen on the new address");
      const portArg = pairs.find(([name]) => name.toLowerCase() === "port");
      const reason =
        portArg !== undefined
          ? "Unable to listen on this port. Check server logs."
          : "Failed to bind to specified addresses.";
      const arg = portArg?.[0] ?? pairs.find(([name]) => name.toLowerCase() === "bind")?.[0] ?? "bind";
      server.config.setInternal("port", before.port);
      server.config.setInternal("bind", before.bind);
      server.rebind().then(
        () => done(`ERR CONFIG SET failed (possibly related to argument '${arg}') - ${reason}`),
        (again: Error) => {
          server.logger.warning({ error: again.message }, "Could not listen again on the previous address");
          done(`ERR CONFIG SET failed (possibly related to argument '${arg}') - ${reason}`);
        },
      );
    },
  );
}

function configResetstatCommand(c: Client): void {
  const server = c.server;
  server.stats.reset();
  for (const cmd of server.commands.all()) {
    cmd.calls = cmd.usec = cmd.rejectedCalls = cmd.failedCalls = 0;
    cmd.latency = null;
    if (cmd.subcommandMap !== null) {
      for (const sub of cmd.subcommandMap.values()) {
        sub.calls = sub.usec = sub.rejectedCalls = sub.failedCalls = 0;
        sub.latency = null;
      }
    }
  }
  c.out.raw(shared.OK);
}

/**
 * The desired lines for every option worth writing: set explicitly, different from its default,
 * or written whatever its value (its spec's rewriteDefault). `force` (DEBUG
 * CONFIG-REWRITE-FORCE-ALL, rewriteConfig's force_write) writes default values too.
 */
export function desiredConfigLines(c: Client, force = false): Map<string, string[]> {
  const config = c.server.config;
  const desired = new Map<string, string[]>();
  for (const spec of OPTIONS) {
    const value = config.get(spec.name);
    const isDefault = JSON.stringify(value) === JSON.stringify(spec.default);
    const written = spec.rewriteDefault === "always" || (force && spec.rewriteDefault !== "never");
    if (!written && !config.explicitlySet.has(spec.name) && isDefault) continue;
    desired.set(spec.name, formatOptionLines(spec, value));
  }
  // rewriteConfigUserOption: users go to the config file unless an ACL file keeps them.
  const users = c.server.acl.configLines();
  if (users !== null) desired.set("user", users);
  return desired;
}

/** rewriteConfig: updates the config file at `path` from the running configuration. Throws on I/O errors. */
function rewriteConfig(c: Client, path: string, force: boolean): void {
  const text = rewriteConfigText(readConfigText(path), desiredConfigLines(c, force), (args) => {
    if (args[0].toLowerCase() === "user") return "user";
    const spec = findOption(args[0]);
    return spec === undefined ? null : spec.name;
  });
  writeFileAtomically(path, text);
}

function configRewriteCommand(c: Client): void {
  const path = c.server.config.configFile;
  if (path === null) {
    c.error("ERR The server is running without a config file");
    return;
  }
  try {
    rewriteConfig(c, path, false);
  } catch (err) {
    c.server.logger.warning({ error: (err as Error).message }, "CONFIG REWRITE failed");
    c.error(`ERR Rewriting config file: ${(err as Error).message}`);
    return;
  }
  c.server.logger.notice("CONFIG REWRITE executed with success.");
  c.out.raw(shared.OK);
}

/**
 * DEBUG CONFIG-REWRITE-FORCE-ALL: CONFIG REWRITE writing every option. Without a config file
 * Redis's fopen(NULL) fails with EFAULT, hence its "Bad address"; neither outcome is logged.
 */
debugSubcommands.set("config-rewrite-force-all", (c) => {
  const path = c.server.config.configFile;
  // strerror(EFAULT), as Redis answers without a config file.
  if (path === null) return void c.error("ERR CONFIG-REWRITE-FORCE-ALL failed: Bad address");
  try {
    rewriteConfig(c, path, true);
  } catch (err) {
    c.error(`ERR CONFIG-REWRITE-FORCE-ALL failed: ${strerror(err)}`);
    return;
  }
  c.out.raw(shared.OK);
});

/**
 * MONITOR and SLOWLOG show the values of sensitive options (requirepass, masterauth, masteruser)
 * as "(redacted)", in every pair, as redis-server 7.0 does; with an odd count (a syntax error
 * before any pair is read) nothing is redacted.
 */
function configSetRedacted(argv: readonly string[]): string[] {
  const out = [...argv];
  if (argv.length % 2 !== 0) return out;
  for (let i = 2; i + 1 < argv.length; i += 2) {
    if (findOption(argv[i])?.sensitive === true) out[i + 1] = REDACTED;
  }
  return out;
}

function configHelpCommand(c: Client): void {
  const lines = [
    "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "RESETSTAT",
    "    Reset statistics reported by the INFO command.",
    "REWRITE",
    "    Rewrite the configuration file.",
    "HELP",
    "    Prints this help.",
  ];
  helpReply(c, lines);
}

export const configCommands = [
  container("config", -2, "server", "A container for server configuration commands.", "2.0.0", [
    spec(
      "get",
      -3,
      "admin noscript loading stale",
      [0, 0, 0],
      "server",
      "Returns the effective values of configuration parameters.",
      "2.0.0",
      configGetCommand,
    ),
    spec(
      "set",
      -4,
      "admin noscript loading stale",
      [0, 0, 0],
      "server",
      "Sets configuration parameters in-flight.",
      "2.0.0",
      configSetCommand,
      { redactedArgv: configSetRedacted },
    ),
    spec(
      "resetstat",
      2,
      "admin noscript loading stale",
      [0, 0, 0],
      "server",
      "Resets the server's statistics.",
      "2.0.0",
      configResetstatCommand,
    ),
    spec(
      "rewrite",
      2,
      "admin noscript loading stale",
      [0, 0, 0],
      "server",
      "Persists the effective configuration to file.",
      "2.8.0",
      configRewriteCommand,
    ),
    helpSpec("server", "5.0.0", configHelpCommand),
  ]),
] satisfies CommandSpec[];
