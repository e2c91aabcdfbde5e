/**
 * The latency monitor: LATENCY LATEST/HISTORY/RESET/HELP over the events call() records while
 * latency-monitor-threshold is above 0. DEBUG SLEEP makes a command slow on demand, as Redis's own
 * latency-monitor tests do. The ring buffer's rules are checked directly on LatencyMonitor.
 * DOCTOR and GRAPH have their own file (latency-doctor.test.ts).
 */

import { describe, expect, it } from "vitest";
import type { Command } from "../../src/commands/spec.js";
import { commandLatencyEvent } from "../../src/exec/dispatch.js";
import { latencyCdf, newLatencyHistogram, recordLatency } from "../../src/info/latency.js";
import { LATENCY_TS_LEN, LatencyMonitor } from "../../src/info/latency-monitor.js";
import { errorText, type RespClient, withTarget } from "../helpers.js";

describe("latency monitor store", () => {
  it("keeps one sample per second (the worst), the all-time max and 160 seconds", () => {
    const m = new LatencyMonitor();
    m.addSampleIfNeeded("command", 50, 1000);
    expect(m.events.size).toBe(0);
    m.threshold = 10;
    m.addSampleIfNeeded("command", 9, 1000);
    expect(m.events.size).toBe(0);
    m.addSampleIfNeeded("command", 10, 1000);
    m.addSampleIfNeeded("command", 30, 1000);
    m.addSampleIfNeeded("command", 20, 1000);
    m.addSampleIfNeeded("command", 15, 1001);
    const ts = m.events.get("command")!;
    expect(LatencyMonitor.samples(ts)).toEqual([
      [1000, 30],
      [1001, 15],
    ]);
    expect(ts.max).toBe(30);
    for (let s = 0; s < LATENCY_TS_LEN + 5; s++) m.addSample("command", 11, 2000 + s);
    const kept = LatencyMonitor.samples(ts);
    expect(kept.length).toBe(LATENCY_TS_LEN);
    expect(kept[0][0]).toBe(2005);
    expect(kept.at(-1)![0]).toBe(2000 + LATENCY_TS_LEN + 4);
    expect(ts.max).toBe(30);
    m.addSample("expire-cycle", 12, 1);
    expect(m.reset("nosuch")).toBe(0);
    expect(m.reset(null)).toBe(2);
    expect(m.events.size).toBe(0);
  });

  it("HISTOGRAM steps: Redis's labels, cumulative counts, 1 s cap", () => {
    const h = newLatencyHistogram();
    for (const micros of [0.5, 0.9, 1.5, 3, 3.5, 40, 5_000_000]) recordLatency(h, micros);
    // 0.5 and 0.9 µs are below 1024 ns; 1.5 below 2048; 3 and 3.5 below 4096; 40 below 65536;
    // 5 s counts as Redis's maximum, 1 s (2^30 ns step).
    expect(latencyCdf(h)).toEqual({
      calls: 7,
      steps: [
        [1, 2],
        [2, 3],
        [4, 5],
        [66, 6],
        [1082130, 7],
      ],
    });
    expect(latencyCdf(newLatencyHistogram())).toEqual({ calls: 0, steps: [] });
  });

  it("names the event after the command's fast flag", () => {
    expect(commandLatencyEvent({ flags: ["readonly", "fast"] } as unknown as Command)).toBe("fast-command");
    expect(commandLatencyEvent({ flags: ["write", "denyoom"] } as unknown as Command)).toBe("command");
  });
});

describe("LATENCY", () => {
  let c: RespClient;

  withTarget({ args: ["--enable-debug-command", "yes"] }, (t) => ({ c } = t));

  it("records nothing while latency-monitor-threshold is 0 (the default)", async () => {
    expect(await c.call("CONFIG", "GET", "latency-monitor-threshold")).toEqual([
      "latency-monitor-threshold",
      "0",
    ]);
    expect(await c.call("DEBUG", "SLEEP", "0.03")).toBe("OK");
    expect(await c.call("LATENCY", "LATEST")).toEqual([]);
    expect(await c.call("LATENCY", "HISTORY", "command")).toEqual([]);
  });

  it("records slow commands at or above the threshold, per second", async () => {
    expect(await c.call("CONFIG", "SET", "latency-monitor-threshold", "20")).toBe("OK");
    const before = Math.floor(Date.now() / 1000);
    expect(await c.call("DEBUG", "SLEEP", "0.05")).toBe("OK");
    expect(await c.call("DEBUG", "SLEEP", "0.025")).toBe("OK");
    const after = Math.floor(Date.now() / 1000);
    const latest = (await c.call("LATENCY", "LATEST")) as [string, number, number, number][];
    // Only "command" is certain: on a loaded machine another event may cross 20 ms as well.
    const entry = latest.find((e) => e[0] === "command")!;
    expect(entry).toBeDefined();
    const [, time, last, max] = entry;
    expect(time).toBeGreaterThanOrEqual(before);
    expect(time).toBeLessThanOrEqual(after);
    expect(last).toBeGreaterThanOrEqual(20);
    expect(max).toBeGreaterThanOrEqual(50);
    const history = (await c.call("LATENCY", "HISTORY", "command")) as [number, number][];
    // One or two seconds were touched; each sample is that second's worst, the max their max.
    expect(history.length).toBeGreaterThanOrEqual(1);
    expect(history.length).toBeLessThanOrEqual(2);
    expect(Math.max(...history.map((s) => s[1]))).toBe(max);
    expect(history.at(-1)).toEqual([time, last]);
    expect(await c.call("LATENCY", "HISTORY", "nosuch")).toEqual([]);
  });

  it("RESET counts the events it removed", async () => {
    expect(await c.call("LATENCY", "RESET", "nosuch")).toBe(0);
    expect(await c.call("LATENCY", "RESET", "command", "command", "nosuch")).toBe(1);
    expect(await c.call("LATENCY", "LATEST")).toEqual([]);
    // RESET finds an event whatever the case of its name; HISTORY does not.
    await c.call("DEBUG", "SLEEP", "0.03");
    expect(await c.call("LATENCY", "HISTORY", "COMMAND")).toEqual([]);
    expect(await c.call("LATENCY", "RESET", "COMMAND")).toBe(1);
    await c.call("DEBUG", "SLEEP", "0.03");
    const events = ((await c.call("LATENCY", "LATEST")) as unknown[][]).length;
    expect(events).toBeGreaterThanOrEqual(1);
    expect(await c.call("LATENCY", "RESET")).toBe(events);
    expect(await c.call("LATENCY", "RESET")).toBe(0);
    expect(await c.call("CONFIG", "SET", "latency-monitor-threshold", "0")).toBe("OK");
  });

  it("HISTOGRAM: per command (or container), calls and cumulative µs steps", async () => {
    for (let i = 0; i < 20; i++) await c.call("SET", `h${i}`, "v");
    await c.call("CONFIG", "GET", "maxmemory");
    type Cdf = [string, number, string, (number | string)[]];
    const reply = (await c.call("LATENCY", "HISTOGRAM", "set", "nosuch", "CONFIG|GET", "config|get|x")) as (
      | string
      | Cdf
    )[];
    // RESP2 flattens the maps: name, {calls, histogram_usec: {usec: count...}} per command.
    expect(reply.filter((_, i) => i % 2 === 0)).toEqual(["set", "config|get"]);
    const set = reply[1] as Cdf;
    expect(set.slice(0, 3)).toEqual(["calls", 20, "histogram_usec"]);
    const flat = set[3] as number[];
    const labels = flat.filter((_, i) => i % 2 === 0);
    const counts = flat.filter((_, i) => i % 2 === 1);
    const redisLabels = new Set(
      Array.from({ length: 21 }, (_, j) => Math.floor((2 ** (j + 10) + 2 ** (j + 3) - 1) / 1000)),
    );
    for (const l of labels) expect(redisLabels.has(l)).toBe(true);
    for (let i = 1; i < labels.length; i++) {
      expect(labels[i]).toBeGreaterThan(labels[i - 1]);
      expect(counts[i]).toBeGreaterThan(counts[i - 1]);
    }
    expect(counts.at(-1)).toBe(20);
    // A container name brings its subcommands with data; an unknown name nothing.
    const config = (await c.call("LATENCY", "HISTOGRAM", "config")) as unknown[];
    expect(config.filter((_, i) => i % 2 === 0)).toContain("config|get");
    expect(await c.call("LATENCY", "HISTOGRAM", "nosuch")).toEqual([]);
    const all = (await c.call("LATENCY", "HISTOGRAM")) as unknown[];
    expect(all.filter((_, i) => i % 2 === 0)).toEqual(expect.arrayContaining(["set", "config|get"]));
  });

  it("errors, HELP and the command table", async () => {
    expect(errorText(await c.call("LATENCY"))).toBe("ERR wrong number of arguments for 'latency' command");
    expect(errorText(await c.call("LATENCY", "HISTORY"))).toBe(
      "ERR wrong number of arguments for 'latency|history' command",
    );
    expect(errorText(await c.call("LATENCY", "LATEST", "x"))).toBe(
      "ERR wrong number of arguments for 'latency|latest' command",
    );
    expect(errorText(await c.call("LATENCY", "FOO"))).toBe("ERR unknown subcommand 'FOO'. Try LATENCY HELP.");
    expect(errorText(await c.call("CONFIG", "SET", "latency-monitor-threshold", "-1"))).toBe(
      "ERR CONFIG SET failed (possibly related to argument 'latency-monitor-threshold') - argument must be between 0 and 9223372036854775807 inclusive",
    );
    expect(await c.call("LATENCY", "HELP")).toEqual([
      "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DOCTOR",
      "    Return a human readable latency analysis report.",
      "GRAPH <event>",
      "    Return an ASCII latency graph for the <event> class.",
      "HISTORY <event>",
      "    Return time-latency samples for the <event> class.",
      "LATEST",
      "    Return the latest latency samples for all events.",
      "RESET [<event> ...]",
      "    Reset latency data of one or more <event> classes.",
      "    (default: reset all data for all event classes)",
      "HISTOGRAM [COMMAND ...]",
      "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
      "    If no commands are specified then all histograms are replied.",
      "HELP",
      "    Prints this help.",
    ]);
    const [info] = (await c.call("COMMAND", "INFO", "latency")) as unknown[][];
    expect(info.slice(0, 2)).toEqual(["latency", -2]);
    const subs = (info[9] as unknown[][]).map((s) => [s[0], s[1]]);
    for (const sub of [
      ["latency|latest", 2],
      ["latency|history", 3],
      ["latency|reset", -2],
      ["latency|help", 2],
      ["latency|histogram", -2],
      ["latency|doctor", 2],
      ["latency|graph", 3],
    ])
      expect(subs).toContainEqual(sub);
    expect((await c.call("COMMAND", "LIST")) as string[]).toContain("latency");
  });
});
