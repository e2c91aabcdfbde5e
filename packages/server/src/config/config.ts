/**
 * The live configuration: typed values for every option of the table, loaded from redis.conf
 * text (with `include`) and the command line, changed by CONFIG SET, and watched by subsystems
 * through `onChange`. Mirrors Redis's loadServerConfigFromString and configSetCommand.
 *
 * Hot paths must not look options up by name per command: subsystems copy what they need into
 * fields when it changes (see `onChange`).
 */

import { readFileSync, statSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import { splitInlineArgs } from "@keyhaven/protocol";
import { ConfigError } from "../errors.js";
import { strerror } from "../util/strerror.js";
import { globFiles, hasWildcard } from "./include-files.js";
import {
  findOption,
  OPTIONS,
  type OptionSpec,
  type OutputBufferClass,
  type OutputBufferLimit,
  type SavePoint,
} from "./options.js";
import { formatOptionValue, parseOptionValue, ValueError } from "./values.js";

/** One line of a config source, kept for error messages and CONFIG REWRITE. */
export interface ConfigLine {
  file: string;
  line: number;
  text: string;
}

export type ChangeListener = (name: string, value: unknown, previous: unknown) => void;

/** Directives that are not options: they are handled by the caller or refused with a reason. */
const REFUSED_DIRECTIVES: Record<string, string> = {
  loadmodule: "Modules are not supported by Keyhaven",
  sentinel: "sentinel directive while not in sentinel mode",
};

export class Config {
  private readonly values = new Map<string, unknown>();
  private readonly listeners: ChangeListener[] = [];
  /** Options set explicitly in a file or on the command line (CONFIG REWRITE keeps those). */
  readonly explicitlySet = new Set<string>();
  /** The config file given at start, if any (CONFIG REWRITE target). */
  configFile: string | null = null;
  /** The directory relative paths are read against: the last `dir` read so far (readingDir). */
  private parseDir: string | null = null;
  /** Directives we accept but do not act upon (inert), reported once in the log. */
  readonly inertDirectives: string[] = [];
  /** `user` lines, applied by the ACL subsystem once the command table exists. */
  readonly userDirectives: { args: string[]; where: ConfigLine }[] = [];
  /** `rename-command` lines, applied to the command table once it exists. */
  readonly renameDirectives: { from: string; to: string; where: ConfigLine }[] = [];

  constructor() {
    for (const spec of OPTIONS) this.values.set(spec.name, cloneDefault(spec.default));
  }

  get(name: string): unknown {
    return this.values.get(name);
  }
  num(name: string): number {
    return this.values.get(name) as number;
  }
  bool(name: string): boolean {
    return this.values.get(name) as boolean;
  }
  str(name: string): string {
    return this.values.get(name) as string;
  }
  savePoints(): SavePoint[] {
    return this.values.get("save") as SavePoint[];
  }
  outputBufferLimit(cls: OutputBufferClass): OutputBufferLimit {
    return (this.values.get("client-output-buffer-limit") as Record<OutputBufferClass, OutputBufferLimit>)[
      cls
    ];
  }

  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  /** The text CONFIG GET shows for an option. */
  format(spec: OptionSpec): string {
    return formatOptionValue(spec, this.values.get(spec.name));
  }

  /**
   * Loads directives from config text. `file` names the source in errors ("-" for stdin,
   * "(command line)" for argv). Throws ConfigError with the line on the first bad directive.
   */
  loadText(text: string, file: string, depth = 0): void {
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const raw = lines[i].replace(/\r$/, "");
      const trimmed = raw.trim();
      if (trimmed === "" || trimmed.startsWith("#")) continue;
      const buf = Buffer.from(trimmed, "latin1");
      const args = splitInlineArgs(buf, 0, buf.length);
      const where: ConfigLine = { file, line: i + 1, text: trimmed };
      if (args === null) throw configError("Unbalanced quotes in configuration line", where);
      if (args.length === 0) continue;
      const name = args[0].toLowerCase();
      if (name === "include") {
        if (args.length !== 2) throw configError("Bad directive or wrong number of arguments", where);
        if (depth > 16) throw configError("Too many nested includes", where);
        for (const { path, shown } of this.includeFiles(args[1])) {
          this.loadText(readConfigFile(path, shown), path, depth + 1);
        }
        continue;
      }
      if (name === "dir" && args.length === 2) {
        // Redis chdir's as it reads `dir`: a later relative `dir` or `include` starts there.
        const path = resolve(this.readingDir(), args[1]);
        try {
          if (!statSync(path).isDirectory())
            throw Object.assign(new Error("not a directory"), { code: "ENOTDIR" });
        } catch (err) {
          throw configError(strerror(err), where);
        }
        this.parseDir = path;
        this.applyDirective(name, [path], where);
        continue;
      }
      this.applyDirective(name, args.slice(1), where);
    }
  }

  /** Reads and loads a config file. */
  loadFile(path: string): void {
    const text = readConfigFile(path);
    this.configFile = resolve(path);
    this.loadText(text, this.configFile);
  }

  /** The working directory while reading: the last `dir` read so far, else the process's. */
  private readingDir(): string {
    return this.parseDir ?? process.cwd();
  }

  /**
   * The files an `include` loads (include-files.ts), a glob's matches or the one path, each with
   * the name Redis would show for it (relative when the directive's path is).
   */
  private includeFiles(path: string): { path: string; shown: string }[] {
    const cwd = this.readingDir();
    if (!hasWildcard(path)) return [{ path: resolve(cwd, path), shown: path }];
    return globFiles(path, cwd).map((found) => ({
      path: found,
      shown: isAbsolute(path) ? found : relative(cwd, found),
    }));
  }

  private applyDirective(name: string, args: string[], where: ConfigLine): void {
    const refused = REFUSED_DIRECTIVES[name];
    if (name === "user") {
      if (args.length < 1) throw configError("Bad directive or wrong number of arguments", where);
      if (this.userDirectives.some((d) => d.args[0] === args[0])) {
        throw configError(
          `Error in user declaration '${args[0]}': Duplicate user found. A user can only be defined once in config files`,
          where,
        );
      }
      this.userDirectives.push({ args, where });
      return;
    }
    if (name === "rename-command") {
      if (args.length !== 2) throw configError("Bad directive or wrong number of arguments", where);
      this.renameDirectives.push({ from: args[0], to: args[1], where });
      return;
    }
    if (refused !== undefined) throw configError(refused, where);
    const spec = findOption(name);
    if (spec === undefined) throw configError("Bad directive or wrong number of arguments", where);
    if (spec.name === "cluster-enabled" && args[0]?.toLowerCase() === "yes") {
      throw configError("Cluster mode is not supported by Keyhaven", where);
    }
    let value: unknown;
    try {
      // The first `save` line of the sources replaces the defaults; later ones add to it.
      const append = spec.name === "save" && this.explicitlySet.has("save");
      value = parseOptionValue(spec, args, this.values.get(spec.name), append);
    } catch (err) {
      if (err instanceof ValueError) throw configError(err.message, where);
      throw err;
    }
    if (spec.inert) this.inertDirectives.push(spec.name);
    this.values.set(spec.name, value);
    this.explicitlySet.add(spec.name);
  }

  /**
   * CONFIG SET of several options at once, atomically: every value is validated first, then all
   * are applied; if a listener rejects one (throws ValueError), every option is restored.
   * Returns null on success or the error text Redis would reply.
   */
  setMany(pairs: [string, string][], allowProtected = true): string | null {
    const parsed: [OptionSpec, unknown, string][] = [];
    const seen = new Set<string>();
    for (const [name, text] of pairs) {
      const spec = findOption(name);
      if (spec === undefined) {
        return `ERR Unknown option or number of arguments for CONFIG SET - '${name}'`;
      }
      if (!spec.mutable) {
        return `ERR CONFIG SET failed (possibly related to argument '${name}') - can't set immutable config`;
      }
      if (spec.protected && !allowProtected) {
        return `ERR CONFIG SET failed (possibly related to argument '${name}') - can't set protected config`;
      }
      if (seen.has(spec.name)) {
        return `ERR CONFIG SET failed (possibly related to argument '${name}') - duplicate parameter`;
      }
      seen.add(spec.name);
      let value: unknown;
      try {
        value = parseOptionValue(spec, [text], this.values.get(spec.name), false);
      } catch (err) {
        if (err instanceof ValueError) {
          return `ERR CONFIG SET failed (possibly related to argument '${name}') - ${err.message}`;
        }
        throw err;
      }
      parsed.push([spec, value, name]);
    }
    const previous = parsed.map(([spec]) => this.values.get(spec.name));
    const applied: number[] = [];
    for (let i = 0; i < parsed.length; i++) {
      const [spec, value, name] = parsed[i];
      this.values.set(spec.name, value);
      try {
        for (const l of this.listeners) l(spec.name, value, previous[i]);
        applied.push(i);
      } catch (err) {
        // Roll back in reverse order, notifying listeners of the restored values.
        this.values.set(spec.name, previous[i]);
        for (let j = applied.length - 1; j >= 0; j--) {
          const k = applied[j];
          this.values.set(parsed[k][0].name, previous[k]);
          for (const l of this.listeners) {
            try {
              l(parsed[k][0].name, previous[k], parsed[k][1]);
            } catch {
              // Restoring a previous value must not fail; ignore a listener that complains.
            }
          }
        }
        const reason = err instanceof Error ? err.message : String(err);
        return `ERR CONFIG SET failed (possibly related to argument '${name}') - ${reason}`;
      }
    }
    for (const [spec] of parsed) this.explicitlySet.add(spec.name);
    return null;
  }

  /** Sets a value from inside the server (e.g. REPLICAOF changes `replicaof`), without listeners. */
  setInternal(name: string, value: unknown): void {
    this.values.set(name, value);
    this.explicitlySet.add(name);
  }

  /** Options whose name or alias matches a glob, for CONFIG GET. */
  entries(): readonly OptionSpec[] {
    return OPTIONS;
  }
}

function cloneDefault(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (typeof v === "object" ? { ...v } : v));
  if (value !== null && typeof value === "object") return structuredClone(value);
  return value;
}

/**
 * A config file's text; a file that cannot be read ends start-up as Redis's does, with its
 * message alone (a ConfigError at line 0).
 */
function readConfigFile(path: string, shown = path): string {
  try {
    return readFileSync(path, "latin1");
  } catch (err) {
    throw new ConfigError(`Fatal error, can't open config file '${shown}': ${strerror(err)}`, path, 0, "");
  }
}

function configError(reason: string, where: ConfigLine): ConfigError {
  return new ConfigError(reason, where.file, where.line, where.text);
}

/**
 * The message Redis prints for a bad config line (loadServerConfigFromString), plus the file; a
 * file that could not be read (line 0) has its message alone, as Redis logs it.
 */
export function formatConfigError(err: ConfigError, version: string): string {
  if (err.line === 0) return err.reason;
  return [
    "",
    `*** FATAL CONFIG FILE ERROR (Redis ${version}) ***`,
    `Reading the configuration file, at line ${err.line}`,
    `>>> '${err.text}'`,
    err.reason,
    `(in ${err.file})`,
  ].join("\n");
}
