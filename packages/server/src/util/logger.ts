/**
 * Structured logs (pino) with Redis's `loglevel` names: debug < verbose < notice < warning.
 * Written synchronously to `logfile` or stdout, so the last lines before an exit are never lost
 * and nothing is buffered in memory. Each line carries `pid` and `role` (Redis prints them as
 * `pid:M`; the role is the one at the time of the line: a data node switches between "M" and
 * "S" as REPLICAOF changes it, as serverLogRaw picks the character per line), and the message
 * texts are Redis's where tools look for them ("Ready to accept connections", "PID: ...",
 * "Failed listening on port").
 */

import { pino } from "pino";

export type LogLevel = "debug" | "verbose" | "notice" | "warning";

const LEVELS: Record<LogLevel, number> = { debug: 20, verbose: 25, notice: 30, warning: 40 };

export interface Logger {
  debug(obj: object | string, msg?: string): void;
  verbose(obj: object | string, msg?: string): void;
  notice(obj: object | string, msg?: string): void;
  warning(obj: object | string, msg?: string): void;
  isLevelEnabled(level: LogLevel): boolean;
  setLevel(level: LogLevel): void;
  /** The role character of the lines logged from now on ("M", "S", "X"). */
  setRole?(role: string): void;
}

/** `logfile` "" means stdout, as in Redis. */
export function createLogger(level: LogLevel, logfile: string, role: string): Logger {
  const destination = pino.destination({ dest: logfile === "" ? 1 : logfile, sync: true, mkdir: true });
  let currentRole = role;
  const base = pino(
    {
      customLevels: LEVELS,
      useOnlyCustomLevels: true,
      level,
      base: { pid: process.pid },
      // A new object per line: pino merges the line's own fields INTO the mixin's result, so a
      // shared object would carry them over to every later line.
      mixin: () => ({ role: currentRole }),
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label: string) => ({ level: label }) },
    },
    destination,
  );
  const call = (lvl: LogLevel) => (obj: object | string, msg?: string) => {
    if (!base.isLevelEnabled(lvl)) return;
    const fn = (base as unknown as Record<LogLevel, (o: object | string, m?: string) => void>)[lvl];
    if (typeof obj === "string") fn.call(base, obj);
    else fn.call(base, obj, msg);
  };
  return {
    debug: call("debug"),
    verbose: call("verbose"),
    notice: call("notice"),
    warning: call("warning"),
    isLevelEnabled: (lvl) => base.isLevelEnabled(lvl),
    setLevel: (lvl) => {
      base.level = lvl;
    },
    setRole: (r) => {
      currentRole = r;
    },
  };
}
