/**
 * The cluster script's output: on a terminal a status block redrawn in place, with event lines
 * written above it; without one (CI, a pipe) every status and every line simply appended. On a
 * terminal, single keys too (`onKeys`).
 */

import { readFileSync } from "node:fs";

const out = process.stdout;
export const tty = out.isTTY === true;
// A closed pipe must not take the cluster down with an EPIPE.
out.on("error", () => {});

/** hh:mm:ss of a time (now by default). */
export const clock = (ms = Date.now()) => new Date(ms).toTimeString().slice(0, 8);

/** Lines of the status block on screen now (0 when none is drawn or without a terminal). */
let drawnLines = 0;

/** Writes a line above the live status (or just a line without a terminal). */
export function say(text) {
  if (tty && drawnLines > 0) {
    out.write(`\x1b[${drawnLines}A\r\x1b[J`);
    drawnLines = 0;
  }
  out.write(`${text}\n`);
}

/** Shows the status block: replaces the one drawn before on a terminal, appends otherwise. */
export function draw(lines) {
  if (!tty) {
    out.write(`${lines.join("\n")}\n`);
    return;
  }
  const width = Math.max(40, (out.columns ?? 120) - 1);
  const clipped = lines.map((l) => (l.length > width ? `${l.slice(0, width - 1)}…` : l));
  const up = drawnLines > 0 ? `\x1b[${drawnLines}A\r` : "";
  out.write(`${up}\x1b[J${clipped.join("\n")}\n`);
  drawnLines = clipped.length;
}

/**
 * Whether this process is in its terminal's foreground process group (Linux's /proc/self/stat:
 * pgrp and tpgid). A background job that sets raw mode or reads its terminal gets SIGTTOU or
 * SIGTTIN, which stop it: `./keyhaven cluster &` must keep running. True where /proc is missing.
 */
function inForeground() {
  try {
    const stat = readFileSync("/proc/self/stat", "latin1");
    // After the command name in parentheses: state ppid pgrp session tty_nr tpgid ...
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return f[2] === f[5];
  } catch {
    return true;
  }
}

/**
 * Single-key commands on a terminal: raw mode, so each key arrives alone and Ctrl-C as a byte
 * (no SIGINT then: `onKey` gets "\x03"). Returns false, and reads nothing, without a terminal on
 * stdin or in the background.
 */
export function onKeys(onKey) {
  const input = process.stdin;
  if (input.isTTY !== true || !inForeground()) return false;
  input.setRawMode(true);
  input.setEncoding("utf8");
  input.on("data", (text) => {
    for (const key of text) onKey(key);
  });
  process.on("exit", () => input.setRawMode(false));
  return true;
}
