/**
 * Parsing and formatting of configuration values, type by type, with Redis 7.0's error texts
 * (config.c). Shared by the config file parser, the command line and CONFIG SET/GET/REWRITE.
 * Parse functions return the typed value, or throw ValueError with the reason text.
 */

import { parseDouble } from "../commands/args.js";
import type { OptionSpec, OutputBufferClass, OutputBufferLimit, SavePoint } from "./options.js";

export class ValueError extends Error {}

/** memtoull: "1gb" = 1024^3, "1g" = 10^9, "100k" = 10^5... null when invalid, Infinity when too large. */
export function parseMemory(text: string): number | null {
  // memtoull: digits (possibly none: "" is 0) and an optional unit; no sign.
  const m = /^(\d*)(b|k|kb|m|mb|g|gb)?$/i.exec(text);
  if (!m) return null;
  const unit = (m[2] ?? "").toLowerCase();
  const mul: Record<string, number> = {
    "": 1,
    b: 1,
    k: 1000,
    kb: 1024,
    m: 1e6,
    mb: 1024 ** 2,
    g: 1e9,
    gb: 1024 ** 3,
  };
  const value = Number(m[1] || "0") * mul[unit];
  // Beyond what a JS number holds exactly: out of every memory option's range.
  return Number.isSafeInteger(value) ? value : Number.POSITIVE_INFINITY;
}

/** What the process title variables stand for when a template is checked (the title empty). */
const PROC_TITLE_SAMPLE: Record<string, string> = {
  title: "",
  "listen-addr": "*:6379",
  "server-mode": "",
  port: "6379",
  "tls-port": "0",
  unixsocket: "",
  "config-file": "redis.conf",
};

/**
 * validateProcTitleTemplate: the template must expand (`{{` and `}}` are braces, `{name}` a known
 * variable) to something other than blanks once the title is empty.
 */
function checkProcTitleTemplate(template: string): void {
  let expanded = "";
  for (let i = 0; i < template.length; i++) {
    const ch = template[i];
    if (ch === "{" && template[i + 1] === "{") {
      expanded += "{";
      i++;
    } else if (ch === "{") {
      const end = template.indexOf("}", i);
      const value = end < 0 ? undefined : PROC_TITLE_SAMPLE[template.slice(i + 1, end)];
      if (value === undefined)
        throw new ValueError("template format is invalid or contains unknown variables");
      expanded += value;
      i = end;
    } else if (ch === "}" && template[i + 1] === "}") {
      expanded += "}";
      i++;
    } else {
      expanded += ch;
    }
  }
  if (expanded.trim() === "")
    throw new ValueError("template format is invalid or contains unknown variables");
}

/** Checks of string options' values, as Redis's is_valid_fn callbacks. */
const STRING_CHECKS: Record<string, (value: string) => void> = {
  "proc-title-template": checkProcTitleTemplate,
  "cluster-announce-hostname": (value) => {
    if (!/^[A-Za-z0-9.-]*$/.test(value))
      throw new ValueError("Hostnames may only contain alphanumeric characters, hyphens or dots");
  },
};

/** A bound as Redis prints it: our 2^53 stand-ins for LLONG_MIN/LLONG_MAX print as those. */
function formatBound(n: number): string {
  if (n === Number.MAX_SAFE_INTEGER) return "9223372036854775807";
  if (n === Number.MIN_SAFE_INTEGER) return "-9223372036854775808";
  return String(n);
}

/** string2ll-strict integer, or null. */
export function parseInteger(text: string): number | null {
  if (!/^-?(0|[1-9]\d*)$/.test(text) || text === "-0") return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}

export function parseBool(text: string): boolean | null {
  const t = text.toLowerCase();
  if (t === "yes") return true;
  if (t === "no") return false;
  return null;
}

const NOTIFY_CLASSES = "Ag$lshzxeKEtmdn";

/**
 * notify-keyspace-events flags, as keyspaceEventsStringToFlags: 'A' is the alias of "g$lshzxetd".
 * Returns the normalized text CONFIG GET prints (keyspaceEventsFlagsToString).
 */
export function parseNotifyFlags(text: string): string | null {
  const flags = new Set<string>();
  for (const ch of text) {
    if (!NOTIFY_CLASSES.includes(ch)) return null;
    if (ch === "A") for (const c of "g$lshzxetd") flags.add(c);
    else flags.add(ch);
  }
  let out = "";
  const all = "g$lshzxetd";
  if ([...all].every((c) => flags.has(c))) out += "A";
  else for (const c of all) if (flags.has(c)) out += c;
  if (flags.has("K")) out += "K";
  if (flags.has("E")) out += "E";
  if (flags.has("m")) out += "m";
  if (flags.has("n")) out += "n";
  return out;
}

/**
 * Parses the arguments of one directive into the option's typed value. `previous` lets
 * accumulating directives (save, client-output-buffer-limit) merge with earlier lines.
 */
export function parseOptionValue(
  spec: OptionSpec,
  args: string[],
  previous: unknown,
  fromFile: boolean,
): unknown {
  switch (spec.type) {
    case "bool": {
      if (args.length !== 1) throw new ValueError("wrong number of arguments");
      const b = parseBool(args[0]);
      if (b === null) throw new ValueError("argument must be 'yes' or 'no'");
      return b;
    }
    case "int":
    case "memory": {
      if (args.length !== 1) throw new ValueError("wrong number of arguments");
      // numericParseString: a memory option takes units, one with `percent` also "N%" (kept
      // negative, as Redis keeps it); any other takes a plain integer only.
      const text = args[0];
      let n: number | null;
      if (spec.type === "memory") {
        n = parseMemory(text);
        const percent = spec.percent ? /^(\d+)%$/.exec(text) : null;
        if (n === null && percent !== null) {
          const pct = Number(percent[1]);
          if (pct > -spec.min!)
            throw new ValueError(`percentage argument must be less or equal to ${-spec.min!}`);
          return -pct;
        }
        if (n === null) {
          throw new ValueError(
            spec.percent ? "argument must be a memory or percent value" : "argument must be a memory value",
          );
        }
      } else {
        n = parseInteger(text);
        if (n === null) throw new ValueError("argument couldn't be parsed into an integer");
      }
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        throw new ValueError(
          `argument must be between ${formatBound(spec.min!)} and ${formatBound(spec.max!)} inclusive`,
        );
      }
      // hz: Redis accepts any int and keeps it within CONFIG_MIN_HZ..CONFIG_MAX_HZ.
      if (spec.name === "hz") return Math.min(Math.max(n, 1), 500);
      return n;
    }
    case "octal": {
      if (args.length !== 1 || !/^[0-7]+$/.test(args[0]))
        throw new ValueError("Invalid socket file permissions");
      const n = Number.parseInt(args[0], 8);
      if (n > (spec.max ?? 0o777)) throw new ValueError("Invalid socket file permissions");
      return n;
    }
    case "enum": {
      if (args.length !== 1) throw new ValueError("wrong number of arguments");
      const v = args[0].toLowerCase();
      if (!spec.values!.includes(v)) {
        throw new ValueError(`argument(s) must be one of the following: ${spec.values!.join(", ")}`);
      }
      return v;
    }
    case "flags": {
      const out: string[] = [];
      for (const a of args.flatMap((x) => x.split(/\s+/)).filter((x) => x.length > 0)) {
        const v = a.toLowerCase();
        if (!spec.values!.includes(v)) {
          throw new ValueError(`argument(s) must be one of the following: ${spec.values!.join(", ")}`);
        }
        out.push(v);
      }
      if (out.length === 0) {
        throw new ValueError(
          args.length === 0
            ? "wrong number of arguments"
            : `argument(s) must be one of the following: ${spec.values!.join(", ")}`,
        );
      }
      return out.join(" ");
    }
    case "string":
      if (args.length !== 1) throw new ValueError("wrong number of arguments");
      STRING_CHECKS[spec.name]?.(args[0]);
      return args[0];
    case "special":
      return parseSpecial(spec, args, previous, fromFile);
  }
}

function parseSpecial(spec: OptionSpec, args: string[], previous: unknown, fromFile: boolean): unknown {
  switch (spec.name) {
    case "save":
      return parseSave(args, previous as SavePoint[] | undefined, fromFile);
    case "client-output-buffer-limit":
      return parseOutputBufferLimits(args, previous as Record<OutputBufferClass, OutputBufferLimit>);
    case "bind": {
      const addrs = args.flatMap((a) => a.split(" ")).filter((a) => a.length > 0);
      if (addrs.length === 0) throw new ValueError("wrong number of arguments");
      if (addrs.length > 16) throw new ValueError("Too many bind addresses specified.");
      return addrs;
    }
    case "replicaof": {
      if (args.length !== 2) throw new ValueError("wrong number of arguments");
      if (args[0].toLowerCase() === "no" && args[1].toLowerCase() === "one") return null;
      const port = parseInteger(args[1]);
      if (port === null || port < 0 || port > 65535) throw new ValueError("Invalid master port");
      return { host: args[0], port };
    }
    case "requirepass":
      if (args.length !== 1) throw new ValueError("wrong number of arguments");
      if (args[0].length > 512) throw new ValueError("Password is longer than CONFIG_AUTHPASS_MAX_LEN");
      return args[0];
    case "notify-keyspace-events": {
      if (args.length !== 1) throw new ValueError("wrong number of arguments");
      const flags = parseNotifyFlags(args[0]);
      if (flags === null) throw new ValueError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
      return flags;
    }
    case "latency-tracking-info-percentiles": {
      // One argument per percentile in a config file, one space-separated string in CONFIG SET.
      const parts = args.flatMap((a) => a.split(" ")).filter((a) => a.length > 0);
      const values = parts.map((p) => parseDouble(p));
      if (values.some((v) => v === null))
        throw new ValueError("Invalid latency-tracking-info-percentiles parameters");
      if (values.some((v) => v! < 0 || v! > 100))
        throw new ValueError("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]");
      return values.map(String).join(" ");
    }
    case "oom-score-adj-values": {
      const parts = args.flatMap((a) => a.split(" ")).filter((a) => a.length > 0);
      if (parts.length !== 3) throw new ValueError("wrong number of arguments");
      for (const p of parts) {
        const n = parseInteger(p);
        if (n === null || n < -2000 || n > 2000) throw new ValueError("Invalid oom-score-adj-values");
      }
      return parts.join(" ");
    }
  }
  throw new ValueError("Bad directive or wrong number of arguments");
}

/**
 * save: `save <seconds> <changes> [<seconds> <changes> ...]` or `save ""`. In a config file the
 * first `save` line replaces the defaults and later lines add points (Redis's reset-once rule);
 * CONFIG SET replaces the whole list.
 */
function parseSave(args: string[], previous: SavePoint[] | undefined, append: boolean): SavePoint[] {
  const parts = args.flatMap((a) => (a === "" ? [] : a.split(" "))).filter((a) => a.length > 0);
  if (parts.length === 0) return [];
  if (parts.length % 2 !== 0) throw new ValueError("Invalid save parameters");
  const points: SavePoint[] = append && previous ? [...previous] : [];
  for (let i = 0; i < parts.length; i += 2) {
    const seconds = parseInteger(parts[i]);
    const changes = parseInteger(parts[i + 1]);
    if (seconds === null || changes === null || seconds < 1 || changes < 0) {
      throw new ValueError("Invalid save parameters");
    }
    points.push({ seconds, changes });
  }
  return points;
}

function parseOutputBufferLimits(
  args: string[],
  previous: Record<OutputBufferClass, OutputBufferLimit>,
): Record<OutputBufferClass, OutputBufferLimit> {
  const parts = args.flatMap((a) => a.split(" ")).filter((a) => a.length > 0);
  // CONFIG SET with an empty value changes nothing, as in Redis.
  if (parts.length === 0 && args.length === 1) return previous;
  if (parts.length === 0 || parts.length % 4 !== 0) {
    throw new ValueError("Wrong number of arguments in buffer limit configuration.");
  }
  const out = { ...previous };
  for (let i = 0; i < parts.length; i += 4) {
    const cls = clientClassName(parts[i]);
    if (cls === null || cls === "master")
      throw new ValueError("Invalid client class specified in buffer limit configuration.");
    const hard = parseMemory(parts[i + 1]);
    const soft = parseMemory(parts[i + 2]);
    const softSeconds = parseInteger(parts[i + 3]);
    if (hard === null || soft === null || softSeconds === null || hard < 0 || soft < 0 || softSeconds < 0) {
      throw new ValueError("Error in hard, soft or soft_seconds setting in buffer limit configuration.");
    }
    out[cls] = { hard, soft, softSeconds };
  }
  return out;
}

/** getClientTypeByName: "slave" is the legacy name of "replica". */
export function clientClassName(name: string): OutputBufferClass | "master" | null {
  const n = name.toLowerCase();
  if (n === "normal" || n === "replica" || n === "pubsub" || n === "master") return n;
  if (n === "slave") return "replica";
  return null;
}

/** The text CONFIG GET prints for an option's value. */
export function formatOptionValue(spec: OptionSpec, value: unknown): string {
  // Redis reads `dir` back from the process: the absolute working directory it chdir'ed to.
  if (spec.name === "dir") return process.cwd();
  switch (spec.type) {
    case "bool":
      return value ? "yes" : "no";
    case "int":
      return String(value);
    case "memory":
      return spec.percent && (value as number) < 0 ? `${-(value as number)}%` : String(value);
    case "octal":
      return (value as number).toString(8);
    case "enum":
    case "flags":
    case "string":
      return String(value);
    case "special":
      switch (spec.name) {
        case "save":
          return (value as SavePoint[]).map((p) => `${p.seconds} ${p.changes}`).join(" ");
        case "client-output-buffer-limit": {
          const v = value as Record<OutputBufferClass, OutputBufferLimit>;
          return (["normal", "replica", "pubsub"] as const)
            .map((c) => `${c === "replica" ? "slave" : c} ${v[c].hard} ${v[c].soft} ${v[c].softSeconds}`)
            .join(" ");
        }
        case "bind":
          return (value as string[]).join(" ");
        case "replicaof": {
          const r = value as { host: string; port: number } | null;
          return r === null ? "" : `${r.host} ${r.port}`;
        }
        default:
          return String(value);
      }
  }
}

/**
 * sdscatrepr: a string in double quotes with C escapes, as CONFIG REWRITE writes string options
 * (the config parser reads the escapes back).
 */
export function quotedRepr(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    const code = s.charCodeAt(i);
    if (ch === "\\" || ch === '"') out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code === 7) out += "\\a";
    else if (code === 8) out += "\\b";
    else if (code >= 0x20 && code < 0x7f) out += ch;
    else out += `\\x${(code & 0xff).toString(16).padStart(2, "0")}`;
  }
  return `${out}"`;
}

/** The lines CONFIG REWRITE writes for an option (several for save and output limits). */
export function formatOptionLines(spec: OptionSpec, value: unknown): string[] {
  switch (spec.name) {
    case "save": {
      const points = value as SavePoint[];
      if (points.length === 0) return ['save ""'];
      return points.map((p) => `save ${p.seconds} ${p.changes}`);
    }
    case "client-output-buffer-limit": {
      const v = value as Record<OutputBufferClass, OutputBufferLimit>;
      return (["normal", "replica", "pubsub"] as const).map(
        (c) =>
          `client-output-buffer-limit ${c} ${formatMemory(v[c].hard)} ${formatMemory(v[c].soft)} ${v[c].softSeconds}`,
      );
    }
    case "replicaof": {
      const r = value as { host: string; port: number } | null;
      return r === null ? [] : [`replicaof ${r.host} ${r.port}`];
    }
    case "bind":
      return [`bind ${(value as string[]).join(" ")}`];
    case "latency-tracking-info-percentiles":
      return [`${spec.name} ${value === "" ? '""' : value}`];
    case "notify-keyspace-events":
      return [`${spec.name} ${quotedRepr(formatOptionValue(spec, value))}`];
    default:
      if (spec.type === "memory") {
        const v = value as number;
        return [`${spec.name} ${spec.percent && v < 0 ? `${-v}%` : formatMemory(v)}`];
      }
      if (spec.type === "string") return [`${spec.name} ${quotedRepr(formatOptionValue(spec, value))}`];
      return [`${spec.name} ${formatOptionValue(spec, value)}`];
  }
}

/** rewriteConfigFormatMemory: the largest unit that divides the value exactly ("3mb"). */
export function formatMemory(bytes: number): string {
  const gb = 1024 * 1024 * 1024;
  const mb = 1024 * 1024;
  if (bytes !== 0 && bytes % gb === 0) return `${bytes / gb}gb`;
  if (bytes !== 0 && bytes % mb === 0) return `${bytes / mb}mb`;
  if (bytes !== 0 && bytes % 1024 === 0) return `${bytes / 1024}kb`;
  return String(bytes);
}
