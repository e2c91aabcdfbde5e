import { describe, expect, it } from "vitest";
import type { Sentinel } from "./events.js";
import { SentinelState } from "./instance.js";
import { sentinelTimer } from "./monitor.js";

/** A Sentinel context with no server behind it: events are collected, scripts never run. */
function fakeSentinel(): { s: Sentinel; published: [string, string][] } {
  const published: [string, string][] = [];
  const logger = { isLevelEnabled: () => false, warning() {}, notice() {}, verbose() {}, debug() {} };
  const s = {
    state: new SentinelState(),
    server: { logger, pubsub: { publish: (ch: string, msg: string) => published.push([ch, msg]) } },
    scripts: { run() {}, schedule() {} },
    flushConfig() {},
  } as unknown as Sentinel;
  return { s, published };
}

describe("TILT (sentinelCheckTiltCondition)", () => {
  it("is entered when the clock went backwards since the previous tick", () => {
    const { s, published } = fakeSentinel();
    s.state.previousTime = Date.now() - 50;
    sentinelTimer(s);
    expect(s.state.tilt).toBe(false);
    // The previous tick appears to be in the future: the system clock was set back.
    s.state.previousTime = Date.now() + 60_000;
    sentinelTimer(s);
    expect(s.state.tilt).toBe(true);
    expect(published).toEqual([["+tilt", "#tilt mode entered"]]);
    expect(Date.now() - s.state.tiltStartTime).toBeLessThan(1000);
  });

  it("is entered when the tick came later than tilt-trigger (a pause or a forward jump)", () => {
    const { s, published } = fakeSentinel();
    s.state.previousTime = Date.now() - s.state.timings.tiltTrigger - 500;
    sentinelTimer(s);
    expect(s.state.tilt).toBe(true);
    expect(published).toEqual([["+tilt", "#tilt mode entered"]]);
  });
});
