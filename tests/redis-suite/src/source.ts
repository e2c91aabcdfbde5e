/**
 * Redis 7.0.15's own test suite, the reference keyhaven-server is held to: the upstream source
 * tarball from Debian's archive (the one Debian's redis-server 7.0.15 is built from, checked
 * against its SHA-256), unpacked once under .tools/. Its `src/` gets the executables the suite
 * starts: keyhaven-server and keyhaven-sentinel as redis-server and redis-sentinel, Debian's
 * redis-cli, redis-benchmark and redis-check-* as themselves.
 */

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const VERSION = "7.0.15";
const TARBALL_URL = `http://deb.debian.org/debian/pool/main/r/redis/redis_${VERSION}.orig.tar.gz`;
/** From Debian's redis_7.0.15-1~deb12u7.dsc (Checksums-Sha256). */
const TARBALL_SHA256 = "4b1dc4ee6d622a09fff9c6777191209750fb5e5a725ef78ea012d6eef4c22982";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const toolsDir = join(root, ".tools");

/** The unpacked tree (runtest, tests/, src/ with the executables), fetched on first use. */
export async function redisTestSuite(): Promise<string> {
  const tree = join(toolsDir, `redis-${VERSION}-tests`);
  if (existsSync(join(tree, "runtest")) && existsSync(join(tree, "src", "redis-server"))) return tree;
  const response = await fetch(TARBALL_URL);
  if (!response.ok) throw new Error(`${TARBALL_URL}: HTTP ${response.status}`);
  const tarball = Buffer.from(await response.arrayBuffer());
  const digest = createHash("sha256").update(tarball).digest("hex");
  if (digest !== TARBALL_SHA256)
    throw new Error(`${TARBALL_URL}: SHA-256 ${digest}, expected ${TARBALL_SHA256}`);
  // Unpacked beside, then renamed: an interrupted first run leaves no half tree behind.
  const staging = `${tree}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const archive = join(staging, "source.tar.gz");
  writeFileSync(archive, tarball);
  const prefix = `redis-${VERSION}`;
  const tar = spawnSync(
    "tar",
    ["-xzf", archive, "-C", staging, "--strip-components=1", `${prefix}/runtest`, `${prefix}/tests`],
    { encoding: "utf8" },
  );
  if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr}`);
  rmSync(archive);
  mkdirSync(join(staging, "src"));
  const links: Record<string, string> = {
    "redis-server": join(root, "packages/server/bin/keyhaven-server"),
    "redis-sentinel": join(root, "packages/sentinel/bin/keyhaven-sentinel"),
    "redis-cli": "/usr/bin/redis-cli",
    "redis-benchmark": "/usr/bin/redis-benchmark",
    "redis-check-aof": "/usr/bin/redis-check-aof",
    "redis-check-rdb": "/usr/bin/redis-check-rdb",
  };
  for (const [name, target] of Object.entries(links)) symlinkSync(target, join(staging, "src", name));
  rmSync(tree, { recursive: true, force: true });
  renameSync(staging, tree);
  return tree;
}
