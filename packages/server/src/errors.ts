/**
 * Errors thrown for bugs and I/O (never for client mistakes: those are replies). Each carries a
 * stable `code` to branch on, in the manner of undici's lib/core/errors.js.
 */

export class KeyhavenError extends Error {
  readonly code: string;
  constructor(message: string, code = "KH_ERR") {
    super(message);
    this.name = "KeyhavenError";
    this.code = code;
  }
}

/** A bad configuration line: `file` and `line` locate it (line 0 for the command line). */
export class ConfigError extends KeyhavenError {
  readonly file: string;
  readonly line: number;
  readonly text: string;
  readonly reason: string;
  constructor(reason: string, file: string, line: number, text: string) {
    super(`${reason} (${file}:${line})`, "KH_CONFIG");
    this.name = "ConfigError";
    this.file = file;
    this.line = line;
    this.text = text;
    this.reason = reason;
  }
}
