/**
 * COMMAND DOCS: Redis 7.0's documentation of each command (summary, since, group, complexity,
 * doc flags, history, arguments), from command-docs.json, which scripts/gen-command-metadata.mjs
 * writes from redis-server's own reply. redis-cli builds its HELP pages and its argument hints as
 * you type from this reply. A command Redis 7.0 does not document (Sentinel's own, CLIENT
 * SETINFO) shows its spec's summary, since and group.
 */

import type { Client } from "../network/client.js";
import COMMAND_DOCS from "./command-docs.json" with { type: "json" };
import type { Command } from "./spec.js";

type DocFields = Record<string, unknown>;

const DOCS = COMMAND_DOCS as Record<string, DocFields>;

/** Flags are sets of status replies; history a set of [since, changes] pairs. */
function writeDocValue(c: Client, key: string, value: unknown): void {
  const out = c.out;
  if (typeof value === "number") {
    out.integer(value);
  } else if (typeof value === "string") {
    out.bulk(value);
  } else if (key === "flags" || key === "doc_flags") {
    const flags = value as string[];
    out.setHeader(flags.length);
    for (const f of flags) out.simple(f);
  } else if (key === "history") {
    const history = value as [string, string][];
    out.setHeader(history.length);
    for (const [since, changes] of history) {
      out.arrayHeader(2);
      out.bulk(since);
      out.bulk(changes);
    }
  } else if (key === "arguments") {
    const args = value as DocFields[];
    out.arrayHeader(args.length);
    for (const arg of args) writeDocMap(c, arg);
  }
}

function writeDocMap(c: Client, fields: DocFields, subcommands: readonly Command[] = []): void {
  const entries = Object.entries(fields);
  c.out.mapHeader(entries.length + (subcommands.length > 0 ? 1 : 0));
  for (const [key, value] of entries) {
    c.out.bulk(key);
    writeDocValue(c, key, value);
  }
  if (subcommands.length > 0) {
    c.out.bulk("subcommands");
    c.out.mapHeader(subcommands.length);
    for (const sub of subcommands) writeCommandDocs(c, sub);
  }
}

/** One command's name and docs (addReplyCommandDocs). */
export function writeCommandDocs(c: Client, cmd: Command): void {
  c.out.bulk(cmd.fullName);
  const subs = cmd.subcommandMap === null ? [] : [...cmd.subcommandMap.values()];
  const docs = DOCS[cmd.fullName] ?? { summary: cmd.summary, since: cmd.since, group: cmd.group };
  writeDocMap(c, docs, subs);
}
