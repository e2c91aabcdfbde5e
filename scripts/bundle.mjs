#!/usr/bin/env node
/**
 * Bundles each executable's compiled modules (tsc's dist/, the workspace packages included) into
 * a few files under dist/bundle/, which the bin scripts run when they are newer than the last
 * compile. Why: a process loading ~240 ES modules one by one spent ~170 ms of its start in Node's
 * module loader (resolving, reading, linking each file); keyhaven-server reached "Ready to accept
 * connections" in 310-400 ms from the modules, 170-220 ms from a bundle (5 starts each, this
 * 2-core machine). Integration test suites start servers by the hundred, ours included.
 *
 * npm dependencies stay outside (pino, yargs): they are loaded from node_modules as before.
 * The MIGRATE worker is an entry of its own, next to the chunk that starts it, since it is found
 * relative to the running file (migrate-connections.ts).
 *
 *   node scripts/bundle.mjs      (part of `pnpm run build`, after tsc -b)
 */

import { readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The package's npm dependencies (not the workspace's own packages): left to node_modules. */
function npmDependencies(pkgDir) {
  const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
  return Object.entries(pkg.dependencies ?? {})
    .filter(([, version]) => !String(version).startsWith("workspace:"))
    .map(([name]) => name);
}

const executables = [
  { pkg: "packages/server", entries: ["dist/cli.js", "dist/commands/migrate-worker.js"] },
  // Sentinel mode of keyhaven-server runs this one too; it holds the server's code as a library.
  { pkg: "packages/sentinel", entries: ["dist/cli.js"] },
];

for (const { pkg, entries } of executables) {
  const pkgDir = join(root, pkg);
  const outdir = join(pkgDir, "dist/bundle");
  rmSync(outdir, { recursive: true, force: true });
  await build({
    entryPoints: entries.map((e) => join(pkgDir, e)),
    outdir,
    entryNames: "[name]",
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node22",
    external: [...new Set([...npmDependencies(pkgDir), ...npmDependencies(join(root, "packages/server"))])],
    // The workspace packages' "keyhaven-source" export points at TypeScript sources for vitest;
    // the bundle takes their compiled dist/ as Node would.
    conditions: ["node", "import", "default"],
    logLevel: "warning",
  });
}
