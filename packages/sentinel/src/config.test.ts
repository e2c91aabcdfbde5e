import { describe, expect, it } from "vitest";
import {
  applySentinelDirectives,
  handleConfiguration,
  resolveConfigHosts,
  sentinelConfigLines,
  splitConfigText,
} from "./config.js";
import { instanceDescription } from "./events.js";
import { compareSlavesForPromotion } from "./failover.js";
import {
  addrEquals,
  createInstance,
  FAILOVER_RECONF_SLAVES,
  type Instance,
  SentinelState,
  SRI_FAILOVER_IN_PROGRESS,
  SRI_MASTER,
  SRI_SENTINEL,
  SRI_SLAVE,
} from "./instance.js";

const ID = "a".repeat(40);

function load(text: string): SentinelState {
  const state = new SentinelState();
  applySentinelDirectives(state, splitConfigText(text, "t.conf").directives);
  return state;
}

describe("sentinel.conf parsing", () => {
  it("queues sentinel lines (and the bare per-master forms), blanking them for the server parser", () => {
    const text = "port 26380\nsentinel monitor m 127.0.0.1 6379 2\ndown-after-milliseconds m 5000\n# c\n";
    const { serverText, directives } = splitConfigText(text, "t.conf");
    expect(serverText).toBe("port 26380\n\n\n# c\n");
    expect(directives.map((d) => [d.line, d.args])).toEqual([
      [2, ["monitor", "m", "127.0.0.1", "6379", "2"]],
      [3, ["down-after-milliseconds", "m", "5000"]],
    ]);
  });

  it("applies monitor before the directives that refer to it, whatever the file order", () => {
    const state = load(
      [
        "sentinel known-replica m 127.0.0.1 6380",
        "sentinel config-epoch m 7",
        `sentinel myid ${ID}`,
        "sentinel monitor m 127.0.0.1 6379 2",
        `sentinel known-sentinel m 127.0.0.1 26380 ${"b".repeat(40)}`,
        "sentinel current-epoch 3",
      ].join("\n"),
    );
    const m = state.masters.get("m")!;
    expect(state.myid).toBe(ID);
    expect(m.configEpoch).toBe(7);
    // A config epoch above the current epoch raises it.
    expect(state.currentEpoch).toBe(7);
    expect([...m.slaves.keys()]).toEqual(["127.0.0.1:6380"]);
    expect([...m.sentinels.keys()]).toEqual(["b".repeat(40)]);
  });

  it("reports Redis's reasons for bad directives", () => {
    const state = new SentinelState();
    expect(handleConfiguration(state, ["bogus"])).toBe("Unrecognized sentinel configuration statement.");
    expect(handleConfiguration(state, ["down-after-milliseconds", "nope", "1"])).toBe(
      "No such master with specified name.",
    );
    expect(handleConfiguration(state, ["monitor", "m", "127.0.0.1", "6379", "0"])).toBe(
      "Quorum must be 1 or greater.",
    );
    expect(handleConfiguration(state, ["myid", "short"])).toBe("Malformed Sentinel id in myid option.");
    expect(() => load("sentinel monitor m 127.0.0.1 6379 2\nsentinel parallel-syncs m x")).toThrow(
      /Invalid parallel-syncs value \(t\.conf:2\)/,
    );
  });

  it("writes a block that loads back to the same state", () => {
    const state = load(
      [
        `sentinel myid ${ID}`,
        "sentinel monitor m 127.0.0.1 6379 2",
        "sentinel down-after-milliseconds m 1000",
        'sentinel auth-pass m "p w"',
        "sentinel known-replica m 127.0.0.1 6380",
        `sentinel known-sentinel m 127.0.0.1 26380 ${"b".repeat(40)}`,
        "sentinel current-epoch 4",
      ].join("\n"),
    );
    const lines = sentinelConfigLines(state);
    expect(lines).toEqual([
      `sentinel myid ${ID}`,
      "sentinel monitor m 127.0.0.1 6379 2",
      "sentinel down-after-milliseconds m 1000",
      'sentinel auth-pass m "p w"',
      "sentinel config-epoch m 0",
      "sentinel leader-epoch m 0",
      "sentinel known-replica m 127.0.0.1 6380",
      `sentinel known-sentinel m 127.0.0.1 26380 ${"b".repeat(40)}`,
      "sentinel current-epoch 4",
    ]);
    const again = load(lines.join("\n"));
    expect(sentinelConfigLines(again)).toEqual(lines);
    expect(again.masters.get("m")!.authPass).toBe("p w");
  });

  it("saved while replicas are being reconfigured, names the promoted replica as the master", () => {
    const state = load(
      [
        `sentinel myid ${ID}`,
        "sentinel monitor m 127.0.0.1 6379 2",
        "sentinel known-replica m 127.0.0.1 6380",
        "sentinel known-replica m 127.0.0.1 6381",
      ].join("\n"),
    );
    const m = state.masters.get("m")!;
    m.flags |= SRI_FAILOVER_IN_PROGRESS;
    m.promotedSlave = m.slaves.get("127.0.0.1:6380")!;
    m.failoverState = FAILOVER_RECONF_SLAVES;
    const lines = sentinelConfigLines(state);
    expect(lines).toContain("sentinel monitor m 127.0.0.1 6380 2");
    expect(lines.filter((l) => l.startsWith("sentinel known-replica")).sort()).toEqual([
      "sentinel known-replica m 127.0.0.1 6379",
      "sentinel known-replica m 127.0.0.1 6381",
    ]);
  });
});

describe("hostnames (resolve-hostnames / announce-hostnames)", () => {
  const conf = (extra: string[]) =>
    splitConfigText(
      [
        ...extra,
        `sentinel myid ${ID}`,
        "sentinel monitor m localhost 6379 2",
        "sentinel known-replica m 127.0.0.1 6380",
      ].join("\n"),
      "t.conf",
    ).directives;

  it("refuses a hostname without resolve-hostnames", async () => {
    const state = new SentinelState();
    const directives = conf([]);
    await resolveConfigHosts(state, directives);
    expect(() => applySentinelDirectives(state, directives)).toThrow(/Can't resolve instance hostname\./);
  });

  it("resolves it with resolve-hostnames; announces the hostname only with announce-hostnames", async () => {
    const state = new SentinelState();
    const directives = conf(["sentinel resolve-hostnames yes"]);
    await resolveConfigHosts(state, directives);
    applySentinelDirectives(state, directives);
    const m = state.masters.get("m")!;
    expect(m.addr).toEqual({ ip: "127.0.0.1", hostname: "localhost", port: 6379 });
    expect(sentinelConfigLines(state)).toContain("sentinel monitor m 127.0.0.1 6379 2");
    expect(instanceDescription(m.slaves.get("127.0.0.1:6380")!)).toBe(
      "slave 127.0.0.1:6380 127.0.0.1 6380 @ m 127.0.0.1 6379",
    );
    state.announceHostnames = true;
    expect(instanceDescription(m.slaves.get("127.0.0.1:6380")!, true)).toBe(
      "slave 127.0.0.1:6380 127.0.0.1 6380 @ m localhost 6379",
    );
    // Mid-failover the old master (known by its hostname) is saved as a replica under that name.
    m.flags |= SRI_FAILOVER_IN_PROGRESS;
    m.promotedSlave = m.slaves.get("127.0.0.1:6380")!;
    m.failoverState = FAILOVER_RECONF_SLAVES;
    const lines = sentinelConfigLines(state);
    expect(lines).toContain("sentinel monitor m 127.0.0.1 6380 2");
    expect(lines).toContain("sentinel known-replica m localhost 6379");
    expect(lines).toContain("sentinel announce-hostnames yes");
  });

  it("a hostname names an address it resolves to only with resolve-hostnames", async () => {
    const state = new SentinelState();
    const byIp = { ip: "127.0.0.1", hostname: "127.0.0.1", port: 6379 };
    await state.resolver.resolve("localhost");
    expect(addrEquals(byIp, "localhost", 6379, state)).toBe(false);
    state.resolveHostnames = true;
    expect(addrEquals(byIp, "LOCALHOST", 6379, state)).toBe(true);
    expect(addrEquals(byIp, "localhost", 6380, state)).toBe(false);
    expect(addrEquals({ ...byIp, hostname: "localhost" }, "localhost", 6379)).toBe(true);
    expect(addrEquals(byIp, "127.0.0.2", 6379, state)).toBe(false);
  });
});

describe("instances", () => {
  const state = new SentinelState();
  const master = createInstance(state, "m", SRI_MASTER, "127.0.0.1", 6379, 2, null) as Instance;
  const slave = createInstance(state, null, SRI_SLAVE, "127.0.0.1", 6380, 2, master) as Instance;
  const sentinel = createInstance(state, ID, SRI_SENTINEL, "127.0.0.1", 26379, 2, master) as Instance;

  it("describes instances as Redis's events do", () => {
    expect(instanceDescription(master)).toBe("master m 127.0.0.1 6379");
    expect(instanceDescription(slave)).toBe("slave 127.0.0.1:6380 127.0.0.1 6380 @ m 127.0.0.1 6379");
    expect(instanceDescription(sentinel)).toBe(`sentinel ${ID} 127.0.0.1 26379 @ m 127.0.0.1 6379`);
    expect(createInstance(state, "m", SRI_MASTER, "127.0.0.1", 6390, 2, null)).toBe("Duplicate master name.");
  });

  it("orders replicas for promotion: priority, then offset, then run id", () => {
    const mk = (port: number, priority: number, offset: number, runid: string | null) => {
      const r = createInstance(state, null, SRI_SLAVE, "127.0.0.1", port, 2, master) as Instance;
      r.slavePriority = priority;
      r.slaveReplOffset = offset;
      r.runid = runid;
      return r;
    };
    const a = mk(7001, 10, 5, "b");
    const b = mk(7002, 10, 9, "c");
    const c = mk(7003, 5, 1, "z");
    const d = mk(7004, 10, 9, "a");
    const e = mk(7005, 10, 9, null);
    expect([a, b, c, d, e].sort(compareSlavesForPromotion).map((r) => r.addr.port)).toEqual([
      7003, 7004, 7002, 7005, 7001,
    ]);
  });
});
