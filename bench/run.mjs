// Runs the benchmarks one after another (each starts its own redis-server and keyhaven-server
// side by side on free ports and prints ratios measured in the same run). Not a test.
//   ./keyhaven bench                 every benchmark
//   ./keyhaven bench core aof        only the named ones (file names without .mjs)
// Benchmarks need a quiet machine: other load on the cores moves the ratios.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
/** Helper modules and calibration tools that are not benchmarks of their own. */
const NOT_BENCHMARKS = new Set(["run", "lib", "zset-lib", "memory-calibrate", "node-floor-server"]);
const all = readdirSync(here)
  .filter((f) => f.endsWith(".mjs"))
  .map((f) => f.slice(0, -4))
  .filter((n) => !NOT_BENCHMARKS.has(n))
  .sort();
const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !all.includes(w));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(", ")}\navailable: ${all.join(", ")}\n`);
  process.exit(2);
}
let failed = 0;
for (const name of wanted.length > 0 ? wanted : all) {
  process.stdout.write(`\n=== ${name} ===\n`);
  const r = spawnSync(process.execPath, [join(here, `${name}.mjs`)], { stdio: "inherit" });
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`(${name} exited with ${r.status ?? r.signal})\n`);
  }
}
process.exit(failed === 0 ? 0 : 1);
