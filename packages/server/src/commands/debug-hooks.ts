/**
 * DEBUG's crash and test-hook subcommands (debug.c): ERROR, LEAK, STRINGMATCH-TEST,
 * SET-SKIP-CHECKSUM-VALIDATION, and the crashes SEGFAULT, PANIC, ASSERT and OOM that failover
 * experiments use. debug.ts registers them; subsystems register their own hooks (AOF-FLUSH-SLEEP
 * in persistence/aof.ts, REPLICATE in replication/replication.ts, CONFIG-REWRITE-FORCE-ALL in
 * commands/config.ts).
 *
 * A crash is a crash: the handler logs the key lines of Redis's bug report, then sends the
 * process the signal Redis dies by and blocks until it arrives. Nothing runs after the handler,
 * so no reply is sent, the AOF buffer is not written further and no RDB is saved (no shutdown
 * path runs). Measured against redis-server 7.0: SEGFAULT ends by SIGSEGV; PANIC, ASSERT and OOM
 * end in abort() (bugReportEnd), that is SIGABRT.
 */

import { shared } from "@keyhaven/protocol";
import type { Client } from "../network/client.js";
import { blockingSleep } from "../util/blocking-sleep.js";
import { globMatch } from "../util/glob.js";
import { REDIS_VERSION } from "../version.js";
import { atoi } from "./args.js";
import type { DebugHandler } from "./debug.js";

/** Strings kept by DEBUG LEAK: never released, on purpose. */
const leaked: string[] = [];

/**
 * Cycles of DEBUG STRINGMATCH-TEST. Redis runs 10 million (about 4 s of blocking in C); 200,000
 * random pairs block for a few tenths of a second here and still reach every branch of the
 * matcher many times.
 */
const STRINGMATCH_FUZZ_CYCLES = 200_000;
/** Longest random pattern and string, as Redis's char str[32], pat[32] buffers. */
const STRINGMATCH_FUZZ_MAX_LEN = 32;

/** How long to wait for our own signal before falling back to abort() (it arrives at once). */
const CRASH_SIGNAL_WAIT_MS = 5000;

/**
 * stringmatchlen_fuzz_test: random patterns against random strings (bytes 0..127, any length
 * below 32), so that malformed classes, dangling escapes and runs of `*` all come up; every other
 * pair is matched case-insensitively (Redis fuzzes the case-sensitive path only). The matcher
 * must neither throw nor hang; returns how many pairs matched.
 */
function stringmatchFuzzTest(cycles: number): number {
  const randomText = (): string => {
    const len = Math.floor(Math.random() * STRINGMATCH_FUZZ_MAX_LEN);
    let s = "";
    for (let j = 0; j < len; j++) s += String.fromCharCode(Math.floor(Math.random() * 128));
    return s;
  };
  let matches = 0;
  for (let i = 0; i < cycles; i++) {
    const str = randomText();
    const pat = randomText();
    if (globMatch(pat, str, (i & 1) === 1)) matches++;
  }
  return matches;
}

/** `file:line` of the function `depth` frames above the caller, for the bug report's `#file:line`. */
function callSite(depth: number): string {
  const frame = new Error().stack?.split("\n")[2 + depth] ?? "";
  const m = /([^/\\( ]+):(\d+):\d+\)?$/.exec(frame);
  return m === null ? "debug-hooks.js" : `${m[1]}:${m[2]}`;
}

function bugReportStart(c: Client): void {
  c.server.logger.warning("=== REDIS BUG REPORT START: Cut & paste starting from here ===");
}

/**
 * bugReportEnd: the last log line, then death by `signal`. Blocks the event loop until the signal
 * lands, so that nothing else (replies, AOF writes, saves) happens in between.
 */
function bugReportEnd(c: Client, signal: "SIGSEGV" | "SIGABRT"): never {
  const logger = c.server.logger;
  logger.warning({ stack: new Error("crash report").stack }, "------ STACK TRACE ------");
  logger.warning("=== REDIS BUG REPORT END. Make sure to include from START to END. ===");
  process.kill(process.pid, signal);
  blockingSleep(CRASH_SIGNAL_WAIT_MS);
  // Only if something caught the signal: die the way abort() does anyway.
  process.abort();
}

/** _serverPanic's report: the "Guru Meditation" headline, then abort(). */
function serverPanic(c: Client, message: string): never {
  const logger = c.server.logger;
  bugReportStart(c);
  logger.warning("------------------------------------------------");
  logger.warning("!!! Software Failure. Press left mouse button to continue");
  logger.warning(`Guru Meditation: ${message} #${callSite(1)}`);
  return bugReportEnd(c, "SIGABRT");
}

/** DEBUG SEGFAULT: Redis writes to a read-only page; its SIGSEGV handler logs this report. */
function segfaultCommand(c: Client): void {
  bugReportStart(c);
  c.server.logger.warning(`Redis ${REDIS_VERSION} crashed by signal: 11, si_code: 2`);
  bugReportEnd(c, "SIGSEGV");
}

function panicCommand(c: Client): void {
  serverPanic(c, `DEBUG PANIC called at Unix time ${Math.floor(Date.now() / 1000)}`);
}

/** DEBUG ASSERT: serverAssertWithInfo(c, argv[0], 1 == 2), client context first. */
function assertCommand(c: Client): void {
  const logger = c.server.logger;
  bugReportStart(c);
  logger.warning("=== ASSERTION FAILED CLIENT CONTEXT ===");
  logger.warning(`client->conn = ${c.describe()}`);
  logger.warning(`client->argc = ${c.argv.length}`);
  for (let j = 0; j < c.argv.length; j++)
    logger.warning(`client->argv[${j}] = "${c.argv[j].slice(0, 128)}" (refcount: 1)`);
  logger.warning("=== ASSERTION FAILED ===");
  logger.warning(`==> ${callSite(0)} '1 == 2' is not true`);
  bugReportEnd(c, "SIGABRT");
}

/**
 * DEBUG OOM: Redis asks zmalloc for ULONG_MAX bytes; redisOutOfMemoryHandler logs the request
 * (capped to PTRDIFF_MAX by 7.0.15's zmalloc, hence the number) and panics.
 */
function oomCommand(c: Client): void {
  const size = "9223372036854775807";
  c.server.logger.warning(`Out Of Memory allocating ${size} bytes!`);
  serverPanic(c, `Redis aborting for OUT OF MEMORY. Allocating ${size} bytes!`);
}

/** DEBUG ERROR <string>: a raw `-<string>` reply (no newlines), not counted as an error reply. */
function errorCommand(c: Client): void {
  c.out.raw(Buffer.from(`-${c.argv[2].replace(/[\r\n]/g, " ")}\r\n`, "latin1"));
}

function leakCommand(c: Client): void {
  leaked.push(c.argv[2]);
  c.out.raw(shared.OK);
}

function stringmatchTestCommand(c: Client): void {
  const matches = stringmatchFuzzTest(STRINGMATCH_FUZZ_CYCLES);
  c.server.logger.debug(`DEBUG STRINGMATCH-TEST: ${matches} of ${STRINGMATCH_FUZZ_CYCLES} pairs matched`);
  c.out.simple("Apparently Redis did not crash: test passed");
}

function setSkipChecksumValidationCommand(c: Client): void {
  c.server.skipChecksumValidation = atoi(c.argv[2]) !== 0;
  c.out.raw(shared.OK);
}

/** Registered by debug.ts. The crashes take any arguments, as Redis does not count them. */
export const debugHookSubcommands: [string, DebugHandler][] = [
  ["segfault", segfaultCommand],
  ["panic", panicCommand],
  ["assert", assertCommand],
  ["oom", oomCommand],
  ["error", errorCommand],
  ["leak", leakCommand],
  ["stringmatch-test", stringmatchTestCommand],
  ["set-skip-checksum-validation", setSkipChecksumValidationCommand],
];
