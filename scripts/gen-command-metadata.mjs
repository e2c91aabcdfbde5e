#!/usr/bin/env node
/**
 * Writes packages/server/src/commands/key-spec-table.ts, command-tips.ts and command-docs.json:
 * the key specs, the tips and the documentation (summary, complexity, history, arguments...)
 * Redis 7.0 declares for each command (its src/commands/*.json), read from a real redis-server's
 * COMMAND and COMMAND DOCS replies, for every command (and subcommand) keyhaven-server implements;
 * the docs of Sentinel's own commands too, read from a redis-sentinel.
 * Run it again when a command is added; the differential test
 * packages/server/test/differential/command-info.test.ts fails until the tables agree.
 *
 *   pnpm -s run build && node scripts/gen-command-metadata.mjs && pnpm -s run format
 */

import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { cleanup, freePort, sleep, start, stop } from "../bench/lib.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const OUT_DIR = join(root, "packages/server/src/commands");

function cliJson(port, ...argv) {
  const json = execFileSync("redis-cli", ["-p", String(port), "--json", ...argv], {
    maxBuffer: 64 * 1024 * 1024,
    // A redis-sentinel just started refuses connections for a moment: no noise while it does.
    stdio: ["ignore", "pipe", "ignore"],
  });
  return JSON.parse(json);
}

/** COMMAND DOCS by full name, subcommands taken out of their parent's entry. */
function docsReply(port) {
  const byName = new Map();
  const walk = (name, doc) => {
    const { subcommands, ...own } = doc;
    byName.set(name, own);
    for (const [subName, sub] of Object.entries(subcommands ?? {})) walk(subName, sub);
  };
  for (const [name, doc] of Object.entries(cliJson(port, "COMMAND", "DOCS"))) walk(name, doc);
  return byName;
}

function commandReply(port) {
  const byName = new Map();
  const walk = (entry) => {
    byName.set(entry[0], entry);
    for (const sub of entry[9] ?? []) walk(sub);
  };
  for (const entry of cliJson(port, "COMMAND")) walk(entry);
  return byName;
}

const js = (v) => JSON.stringify(v);

/** The docs of the SENTINEL command and its subcommands, from a redis-sentinel run for this. */
async function sentinelDocs() {
  const dir = mkdtempSync(join(tmpdir(), "kh-gen-sentinel-"));
  const port = await freePort();
  writeFileSync(join(dir, "sentinel.conf"), `port ${port}\nbind 127.0.0.1\n`);
  const proc = spawn("redis-sentinel", [join(dir, "sentinel.conf")], { stdio: "ignore" });
  try {
    for (let i = 0; i < 50; i++) {
      try {
        const docs = new Map();
        for (const [name, doc] of Object.entries(cliJson(port, "COMMAND", "DOCS", "sentinel"))) {
          const { subcommands, ...own } = doc;
          docs.set(name, own);
          for (const [subName, sub] of Object.entries(subcommands ?? {})) docs.set(subName, sub);
        }
        return docs;
      } catch {
        await sleep(100);
      }
    }
    throw new Error("redis-sentinel did not answer");
  } finally {
    proc.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}

function beginSearch(b) {
  if (b.type === "index") return `index(${b.spec.index})`;
  if (b.type === "keyword") return `keyword(${js(b.spec.keyword)}, ${b.spec.startfrom})`;
  if (b.type === "unknown") return "UNKNOWN_BEGIN";
  throw new Error(`begin_search type ${b.type}`);
}

function findKeys(f) {
  if (f.type === "range") return `range(${f.spec.lastkey}, ${f.spec.keystep}, ${f.spec.limit})`;
  if (f.type === "keynum") return `keynum(${f.spec.keynumidx}, ${f.spec.firstkey}, ${f.spec.keystep})`;
  if (f.type === "unknown") return "UNKNOWN_FIND";
  throw new Error(`find_keys type ${f.type}`);
}

function keySpec(ks) {
  const args = [js(ks.flags.join(" ")), beginSearch(ks.begin_search), findKeys(ks.find_keys)];
  if (ks.notes !== undefined) args.push(js(ks.notes));
  return `ks(${args.join(", ")})`;
}

const redis = await start("redis");
const keyhaven = await start("keyhaven");
try {
  const theirs = commandReply(redis.port);
  const ours = commandReply(keyhaven.port);
  const names = [...ours.keys()].filter((n) => theirs.has(n)).sort();
  const specLines = [];
  const tipLines = [];
  for (const name of names) {
    const entry = theirs.get(name);
    if (entry[8].length > 0) specLines.push(`  ${js(name)}: [${entry[8].map(keySpec).join(", ")}],`);
    if (entry[7].length > 0) tipLines.push(`  ${js(name)}: ${js(entry[7])},`);
  }
  const banner = (what) =>
    `/**\n * ${what}, as Redis 7.0 declares them in src/commands/*.json: written by\n * scripts/gen-command-metadata.mjs from redis-server's COMMAND reply; do not edit by hand.\n */\n`;
  writeFileSync(
    join(OUT_DIR, "key-spec-table.ts"),
    `${banner("The key specs of every command that has keys (COMMAND INFO, COMMAND GETKEYS, ACL key checks)")}
import { index, type KeySpec, keynum, keyword, ks, range, UNKNOWN_BEGIN, UNKNOWN_FIND } from "./key-specs.js";

export const KEY_SPECS: Readonly<Record<string, readonly KeySpec[]>> = {
${specLines.join("\n")}
};
`,
  );
  writeFileSync(
    join(OUT_DIR, "command-tips.ts"),
    `${banner("The tips COMMAND INFO shows for a command (how a cluster client routes it, what its reply looks like)")}
export const COMMAND_TIPS: Readonly<Record<string, readonly string[]>> = {
${tipLines.join("\n")}
};
`,
  );
  const docs = docsReply(redis.port);
  // One command per line: a change to one command is a change to one line.
  const docLines = names.filter((n) => docs.has(n)).map((n) => `${js(n)}: ${js(docs.get(n))}`);
  for (const [name, doc] of await sentinelDocs()) docLines.push(`${js(name)}: ${js(doc)}`);
  writeFileSync(join(OUT_DIR, "command-docs.json"), `{\n${docLines.join(",\n")}\n}\n`);
  console.log(`${names.length} commands: ${specLines.length} with key specs, ${tipLines.length} with tips`);
} finally {
  await stop(redis);
  await stop(keyhaven);
  cleanup();
}
