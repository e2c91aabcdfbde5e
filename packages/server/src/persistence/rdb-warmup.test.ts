/**
 * The start-up warm-up of the RDB paths runs its rounds to the end on databases of its own, and
 * leaves the server as it found it: keys, dirty counter, memory accounting, stats, no snapshot of
 * the server's own databases. It stops at once when the server gets real work of that kind.
 */

import { describe, expect, it } from "vitest";
import { Config } from "../config/config.js";
import { Server } from "../server.js";
import { RdbWarmup } from "./rdb-warmup.js";

function serverWithKeys(): Server {
  const config = new Config();
  // A save's test hook: 20k keys at 1 ms each would take 20 s; the warm-up is not a save.
  config.setInternal("rdb-key-save-delay", 1000);
  const server = new Server(config);
  server.dbs[0].add("kept", "value");
  server.dbs[3].add("other", "12345");
  return server;
}

function observable(server: Server) {
  return {
    keys: server.dbs.map((db) => [...db.entries()].map((e) => `${e.key}=${String(e.value)}`)),
    dirty: server.dirty,
    used: server.memory.used(),
    stats: JSON.stringify(server.stats),
    snapshotRunning: server.snapshots.busy,
  };
}

describe("RdbWarmup", () => {
  it("runs every round and changes nothing the server shows", async () => {
    const server = serverWithKeys();
    const before = observable(server);
    // Asked before each step: the server's own databases are never being walked meanwhile.
    let steps = 0;
    let stepsObserved = 0;
    const warmup = new RdbWarmup(server, () => {
      steps++;
      if (server.dbs.some((db) => db.observer !== null)) stepsObserved++;
      return false;
    });
    warmup.start();
    expect(await warmup.done).toBe(true);
    expect(steps).toBeGreaterThan(3);
    expect(stepsObserved).toBe(0);
    expect(observable(server)).toEqual(before);
  }, 15_000);

  it("stops at its next step once the server is busy, and changes nothing either", async () => {
    const server = serverWithKeys();
    const before = observable(server);
    // The warm-up asks before each piece it loads (~70-80 per round): the 100th question comes in
    // the second round, while a snapshot of the warm-up's own databases runs.
    let asked = 0;
    const warmup = new RdbWarmup(server, () => ++asked >= 100);
    warmup.start();
    expect(await warmup.done).toBe(false);
    expect(asked).toBe(100);
    expect(observable(server)).toEqual(before);
  }, 15_000);
});
