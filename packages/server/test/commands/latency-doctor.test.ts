/**
 * LATENCY DOCTOR and LATENCY GRAPH. The report and the chart are checked to the byte on
 * hand-built monitors (the text rules: stats, advice, wording, sparkline levels and labels),
 * then on a server, where DEBUG SLEEP makes slow commands on demand: there the text is exact
 * where it does not depend on timing, and cross-checked against LATENCY HISTORY where it does.
 */

import { describe, expect, it } from "vitest";
import { type DoctorSettings, latencyGraph, latencyReport } from "../../src/info/latency-doctor.js";
import { LatencyMonitor } from "../../src/info/latency-monitor.js";
import { Sparkline } from "../../src/info/sparkline.js";
import { errorText, RespClient, type ServerProcess, sleep, withTarget } from "../helpers.js";

const DISABLED =
  "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n";
const NOTHING =
  "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n";
const OBSERVED =
  "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n";
const ADVICES = "\nI have a few advices for you:\n\n";
const INSPECT =
  "- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n";
const LARGE_OBJECTS =
  "- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n";
const tuning = (us: number) =>
  `- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than ${us}'.\n`;
const enable = (us: number) =>
  `- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than ${us}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n`;
const HZ =
  "- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n";
const SCHEDULER_FIRST_LINE =
  "- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n";

const defaults: DoctorSettings = { threshold: 5, slowlogSlowerThan: 10000, hz: 10, appendfsync: "everysec" };

function monitor(events: Record<string, [number, number][]>): LatencyMonitor {
  const m = new LatencyMonitor();
  for (const [event, samples] of Object.entries(events))
    for (const [time, latency] of samples) m.addSample(event, latency, time);
  return m;
}

describe("sparkline", () => {
  it("spreads values over rows of three levels, labels written downwards after a blank row", () => {
    const s = new Sparkline();
    s.add(1, "a");
    s.add(5, "bb");
    s.add(9);
    expect(s.render(80, 2, { fill: true })).toBe(" _#\n_||\n   \nab \n b \n");
    expect(s.render(80, 2, { fill: false })).toBe(" _`\n_  \n   \nab \n b \n");
    // Two columns per block: the blocks share one scale and are separated by an empty line.
    expect(s.render(2, 2, { fill: true })).toBe(" _\n_|\n  \nab\n b\n\n#\n|\n \n");
  });

  it("draws equal values on the bottom level; no labels, no label rows", () => {
    const s = new Sparkline();
    s.add(7);
    s.add(7, "");
    expect(s.render(80, 3, { fill: true })).toBe("  \n  \n__\n");
  });
});

describe("latency report (rules)", () => {
  it("says monitoring is off only when it is off and nothing was recorded", () => {
    expect(latencyReport(new LatencyMonitor(), { ...defaults, threshold: 0 }, 1000)).toBe(DISABLED);
    expect(latencyReport(new LatencyMonitor(), defaults, 1000)).toBe(NOTHING);
    // Events recorded before monitoring was turned off are still reported.
    const m = monitor({ command: [[1000, 20]] });
    expect(latencyReport(m, { ...defaults, threshold: 0 }, 1000)).toBe(
      `${OBSERVED}1. command: 1 latency spikes (average 20ms, mean deviation 0ms, period 1.00 sec). Worst all time event 20ms.\n${ADVICES}${tuning(0)}${INSPECT}${LARGE_OBJECTS}`,
    );
  });

  it("gives integer average and mean deviation, and the seconds per spike since the oldest", () => {
    const m = monitor({
      command: [
        [1000, 20],
        [1001, 40],
        [1002, 31],
      ],
    });
    // avg 91/3 = 30, deviation (10 + 10 + 1)/3 = 7, period (1006 - 1000)/3 = 2.00.
    expect(latencyReport(m, { ...defaults, threshold: 50 }, 1006)).toBe(
      `${OBSERVED}1. command: 3 latency spikes (average 30ms, mean deviation 7ms, period 2.00 sec). Worst all time event 40ms.\n${ADVICES}${INSPECT}${LARGE_OBJECTS}`,
    );
    // 9 s over 8 spikes is 1.125: printf rounds the tie to even.
    const eight = monitor({
      command: Array.from({ length: 8 }, (_, i) => [1000 + i, 10] as [number, number]),
    });
    expect(latencyReport(eight, { ...defaults, threshold: 50 }, 1009)).toContain("period 1.12 sec");
  });

  it("asks for the slow log to be enabled, or lowered to the threshold", () => {
    const m = monitor({ command: [[1000, 20]] });
    expect(latencyReport(m, { ...defaults, slowlogSlowerThan: -1 }, 1000)).toContain(
      `${ADVICES}${enable(5000)}${INSPECT}`,
    );
    // 10000 µs is 10 ms, above a 5 ms threshold; 5999 µs truncates to 5 ms, which is not.
    expect(latencyReport(m, defaults, 1000)).toContain(`${ADVICES}${tuning(5000)}${INSPECT}`);
    expect(latencyReport(m, { ...defaults, slowlogSlowerThan: 5999 }, 1000)).toContain(
      `${ADVICES}${INSPECT}`,
    );
  });

  it("lists each advice once, in Redis's order, whichever event asked first", () => {
    const m = monitor({ "expire-cycle": [[1000, 8]], "fast-command": [[1001, 6]], command: [[1001, 9]] });
    const report = latencyReport(m, { ...defaults, threshold: 50 }, 1001);
    expect(report.startsWith(`${OBSERVED}1. expire-cycle: 1 latency spikes`)).toBe(true);
    expect(report).toContain("Worst all time event 8ms.\n2. fast-command: 1 latency spikes (average 6ms,");
    expect(report).toContain("Worst all time event 6ms.\n3. command: 1 latency spikes (average 9ms,");
    const advice = report.slice(report.indexOf(ADVICES) + ADVICES.length);
    expect(advice.startsWith(`${INSPECT}${SCHEDULER_FIRST_LINE}  1) Lower the system load.\n`)).toBe(true);
    expect(
      advice.endsWith(
        `with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n${HZ}${LARGE_OBJECTS}`,
      ),
    ).toBe(true);
    expect(advice.split(LARGE_OBJECTS).length).toBe(2);
    // hz 100 or more: that advice is dropped.
    expect(latencyReport(m, { ...defaults, threshold: 50, hz: 100 }, 1001)).not.toContain(HZ);
  });

  it("keeps Redis's wording when advice is due but none applies, or none exists", () => {
    // The fsync advice counts but is only printed under appendfsync always.
    const fsync = monitor({ "aof-fsync-always": [[1000, 30]] });
    expect(
      latencyReport(fsync, defaults, 1000).endsWith(`sec). Worst all time event 30ms.\n${ADVICES}`),
    ).toBe(true);
    expect(latencyReport(fsync, { ...defaults, appendfsync: "always" }, 1000)).toContain(
      `${ADVICES}- Your fsync policy is set to 'always'. It is very hard to get good performances with such a setup, if possible try to relax the fsync policy to 'onesec'.\n`,
    );
    const unknown = monitor({ "some-event": [[1000, 30]] });
    expect(latencyReport(unknown, defaults, 1000)).toBe(
      `${OBSERVED}1. some-event: 1 latency spikes (average 30ms, mean deviation 0ms, period 1.00 sec). Worst all time event 30ms.\n\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n`,
    );
  });

  it("GRAPH: header, rule, filled sparkline over four rows, ages as labels", () => {
    const m = new LatencyMonitor();
    m.addSample("command", 10, 1000);
    // Same second: the sample is raised, not added.
    m.addSample("command", 90, 1000);
    m.addSample("command", 70, 1003);
    m.addSample("command", 40, 1070);
    const ts = m.events.get("command")!;
    // Heights 11, 7 and 0 of 12 levels; ages 75 s and 72 s show as minutes.
    expect(latencyGraph("command", ts, 1075)).toBe(
      "command - high 90 ms, low 40 ms (all time high 90 ms)\n" +
        `${"-".repeat(80)}\n` +
        "#  \n|o \n|| \n||_\n   \n115\nmms\n",
    );
  });
});

describe("LATENCY DOCTOR and GRAPH", () => {
  let c: RespClient;
  let server: ServerProcess;

  withTarget({ args: ["--enable-debug-command", "yes"] }, (t) => ({ c, server } = t));

  it("reports monitoring disabled, then nothing observed", async () => {
    expect(await c.call("LATENCY", "DOCTOR")).toBe(DISABLED);
    expect(await c.call("CONFIG", "SET", "latency-monitor-threshold", "1000")).toBe("OK");
    expect(await c.call("LATENCY", "DOCTOR")).toBe(NOTHING);
    expect(errorText(await c.call("LATENCY", "GRAPH", "command"))).toBe(
      "ERR No samples available for event 'command'",
    );
  });

  it("reports a slow command with its stats and advice", async () => {
    expect(await c.call("CONFIG", "SET", "latency-monitor-threshold", "50")).toBe("OK");
    expect(await c.call("DEBUG", "SLEEP", "0.06")).toBe("OK");
    // Samples land in distinct seconds.
    await sleep(1100);
    expect(await c.call("DEBUG", "SLEEP", "0.2")).toBe("OK");
    const history = (await c.call("LATENCY", "HISTORY", "command")) as [number, number][];
    expect(history.length).toBe(2);
    const latencies = history.map((s) => s[1]);
    const avg = Math.floor((latencies[0] + latencies[1]) / 2);
    const mad = Math.floor((Math.abs(avg - latencies[0]) + Math.abs(avg - latencies[1])) / 2);
    const report = (await c.call("LATENCY", "DOCTOR")) as string;
    const now = Math.floor(Date.now() / 1000);
    const m = report.match(
      /^1\. command: 2 latency spikes \(average (\d+)ms, mean deviation (\d+)ms, period (\d+\.\d\d) sec\)\. Worst all time event (\d+)ms\.$/m,
    );
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBe(avg);
    expect(Number(m![2])).toBe(mad);
    expect(Number(m![4])).toBe(latencies[1]);
    const period = Number(m![3]);
    expect(period).toBeGreaterThanOrEqual((now - 1 - history[0][0]) / 2);
    expect(period).toBeLessThanOrEqual((now - history[0][0]) / 2);
    // The default slow log threshold (10 ms) is below 50 ms: no slow log configuration advice.
    expect(report).toBe(`${OBSERVED}${m![0]}\n${ADVICES}${INSPECT}${LARGE_OBJECTS}`);
    expect(await c.call("CONFIG", "SET", "slowlog-log-slower-than", "-1")).toBe("OK");
    expect(await c.call("LATENCY", "DOCTOR")).toBe(
      `${OBSERVED}${m![0]}\n${ADVICES}${enable(50000)}${INSPECT}${LARGE_OBJECTS}`,
    );
    expect(await c.call("CONFIG", "SET", "slowlog-log-slower-than", "100000")).toBe("OK");
    expect(await c.call("LATENCY", "DOCTOR")).toBe(
      `${OBSERVED}${m![0]}\n${ADVICES}${tuning(50000)}${INSPECT}${LARGE_OBJECTS}`,
    );
    expect(await c.call("CONFIG", "SET", "slowlog-log-slower-than", "10000")).toBe("OK");
  });

  it("GRAPH draws the samples oldest first, labelled with their age", async () => {
    const history = (await c.call("LATENCY", "HISTORY", "command")) as [number, number][];
    const [[t1, low], [t2, high]] = history;
    const graph = (await c.call("LATENCY", "GRAPH", "command")) as string;
    const lines = graph.split("\n");
    expect(lines[0]).toBe(`command - high ${high} ms, low ${low} ms (all time high ${high} ms)`);
    expect(lines[1]).toBe("-".repeat(80));
    // The low sample sits on the bottom level, the high one fills every row.
    expect(lines.slice(2, 7)).toEqual([" #", " |", " |", "_|", "  "]);
    // Ages in seconds, written downwards: the older sample is older by t2 - t1.
    const labels = lines.slice(7, -1);
    expect(lines.at(-1)).toBe("");
    const column = (j: number) =>
      labels
        .map((l) => l[j])
        .join("")
        .trim();
    const age1 = Number(column(0).slice(0, -1));
    const age2 = Number(column(1).slice(0, -1));
    expect(column(0).endsWith("s") && column(1).endsWith("s")).toBe(true);
    expect(age1 - age2).toBe(t2 - t1);
    expect(age2).toBeLessThan(10);
    // Event names are matched exactly.
    expect(errorText(await c.call("LATENCY", "GRAPH", "COMMAND"))).toBe(
      "ERR No samples available for event 'COMMAND'",
    );
  });

  it("keeps reporting recorded events after monitoring is turned off", async () => {
    expect(await c.call("CONFIG", "SET", "latency-monitor-threshold", "0")).toBe("OK");
    const report = (await c.call("LATENCY", "DOCTOR")) as string;
    expect(report.startsWith(`${OBSERVED}1. command: 2 latency spikes`)).toBe(true);
    // The slow log (10 ms) now logs less than the threshold (0 ms) would.
    expect(report.endsWith(`${ADVICES}${tuning(0)}${INSPECT}${LARGE_OBJECTS}`)).toBe(true);
    expect(await c.call("LATENCY", "RESET")).toBe(1);
    expect(await c.call("LATENCY", "DOCTOR")).toBe(DISABLED);
  });

  it("replies verbatim text in RESP3", async () => {
    const t = await RespClient.connect(server.port, { typed: true });
    await t.call("HELLO", "3");
    const reply = (await t.call("LATENCY", "DOCTOR")) as { type: string; format: string; value: Buffer };
    t.close();
    expect(reply.type).toBe("verbatim");
    expect(reply.format).toBe("txt");
    expect(reply.value.toString("latin1")).toBe(DISABLED);
  });

  it("arity and the command table", async () => {
    expect(errorText(await c.call("LATENCY", "DOCTOR", "x"))).toBe(
      "ERR wrong number of arguments for 'latency|doctor' command",
    );
    expect(errorText(await c.call("LATENCY", "GRAPH"))).toBe(
      "ERR wrong number of arguments for 'latency|graph' command",
    );
    expect(errorText(await c.call("LATENCY", "GRAPH", "a", "b"))).toBe(
      "ERR wrong number of arguments for 'latency|graph' command",
    );
    const info = (await c.call("COMMAND", "INFO", "latency|doctor", "latency|graph")) as unknown[][];
    const admin = ["admin", "noscript", "loading", "stale"];
    const cats = ["@admin", "@slow", "@dangerous"];
    expect(info[0].slice(0, 7)).toEqual(["latency|doctor", 2, admin, 0, 0, 0, cats]);
    expect(info[1].slice(0, 7)).toEqual(["latency|graph", 3, admin, 0, 0, 0, cats]);
    const docs = (await c.call("COMMAND", "DOCS", "latency|doctor", "latency|graph")) as unknown[];
    const field = (d: unknown, name: string) => {
      const f = d as unknown[];
      return f[f.indexOf(name) + 1];
    };
    expect(docs[0]).toBe("latency|doctor");
    expect(field(docs[1], "summary")).toBe("Return a human readable latency analysis report.");
    expect(field(docs[1], "since")).toBe("2.8.13");
    expect(field(docs[1], "group")).toBe("server");
    expect(docs[2]).toBe("latency|graph");
    expect(field(docs[3], "summary")).toBe("Return a latency graph for the event.");
    expect(field(docs[3], "since")).toBe("2.8.13");
  });
});
