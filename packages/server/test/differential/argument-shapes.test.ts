/**
 * Every data command and subcommand both servers have, called with assorted argument shapes (too few, too
 * many, numbers where words belong, words where numbers belong, one key or two) against keys of
 * every type, must answer what redis-server answers: which check comes first (the key's type,
 * the arity, the options) decides the error a client sees, and differential tests built around
 * valid calls do not exercise that. Set members and hash fields come in hash-table order in
 * Redis, so those replies are compared as sets. Both protocols: in RESP3 the reply types (map,
 * set, double, null) are compared too.
 */

import { describe, expect, it } from "vitest";
import { hasRealRedis, RespClient } from "../helpers.js";
import {
  commandNames,
  LEFT_OUT,
  SETUPS,
  SHAPES,
  SUBCOMMAND_SETUPS,
  SUBCOMMAND_SHAPES,
  SUBCOMMANDS_LEFT_OUT,
  sorted,
  text,
  UNORDERED,
} from "./command-sweep.js";
import { redisPair } from "./redis-pair.js";

/** Runs argv on both servers after the same setup; the replies, Redis's first. */
async function bothAfter(clients: unknown[], setup: string[][], argv: string[]): Promise<[unknown, unknown]> {
  const replies = await Promise.all(
    (clients as { call(...a: string[]): Promise<unknown> }[]).map(async (c) => {
      await c.call("FLUSHALL");
      for (const cmd of setup) await c.call(...cmd);
      return c.call(...argv);
    }),
  );
  return [replies[0], replies[1]];
}

describe.skipIf(!hasRealRedis())("argument shapes of every data command, against redis-server", () => {
  const pair = redisPair();

  /** Clients to [redis, keyhaven] speaking RESP `protocol` (RESP3 ones decode typed replies). */
  async function clients(protocol: 2 | 3): Promise<[RespClient, RespClient]> {
    if (protocol === 2) return pair.clients();
    const [rp, kp] = pair.ports();
    const both = await Promise.all([rp, kp].map((port) => RespClient.connect(port, { typed: true })));
    for (const c of both) await c.call("HELLO", "3");
    return [both[0], both[1]];
  }

  for (const protocol of [2, 3] as const) {
    it(`answers every shape with Redis's reply or error (RESP${protocol})`, async () => {
      const [rc, kc] = await clients(protocol);
      try {
        const names = async (c: RespClient) => new Set(commandNames(await c.call("COMMAND"), false));
        const [theirs, ours] = await Promise.all([names(rc), names(kc)]);
        const commands = [...ours].filter((n) => theirs.has(n) && !LEFT_OUT.has(n)).sort();
        expect(commands.length).toBeGreaterThan(120);
        const differing: unknown[] = [];
        for (const name of commands) {
          for (const [setupName, setup] of Object.entries(SETUPS)) {
            for (const shape of SHAPES) {
              const replies = (await bothAfter([rc, kc], setup, [name, ...shape])).map((reply) =>
                UNORDERED.has(name) ? sorted(reply) : reply,
              );
              if (text(replies[0]) !== text(replies[1])) {
                differing.push({
                  call: [name, ...shape],
                  keys: setupName,
                  redis: text(replies[0]),
                  keyhaven: text(replies[1]),
                });
              }
            }
          }
        }
        expect(differing).toEqual([]);
      } finally {
        if (protocol === 3) for (const c of [rc, kc]) c.close();
      }
    });

    it(`answers every shape of every subcommand with Redis's reply or error (RESP${protocol})`, async () => {
      const [rc, kc] = await clients(protocol);
      try {
        const subcommands = async (c: RespClient) => new Set(commandNames(await c.call("COMMAND"), true));
        const [theirs, ours] = await Promise.all([subcommands(rc), subcommands(kc)]);
        const names = [...ours]
          .filter((n) => theirs.has(n) && !SUBCOMMANDS_LEFT_OUT.has(n) && !n.endsWith("|help"))
          .sort();
        expect(names.length).toBeGreaterThan(10);
        const differing: unknown[] = [];
        for (const name of names) {
          for (const [setupName, setup] of Object.entries(SUBCOMMAND_SETUPS)) {
            for (const shape of SUBCOMMAND_SHAPES) {
              const [redis, keyhaven] = await bothAfter([rc, kc], setup, [...name.split("|"), ...shape]);
              if (text(redis) !== text(keyhaven)) {
                differing.push({
                  call: [name, ...shape],
                  keys: setupName,
                  redis: text(redis),
                  keyhaven: text(keyhaven),
                });
              }
            }
          }
        }
        expect(differing).toEqual([]);
      } finally {
        if (protocol === 3) for (const c of [rc, kc]) c.close();
      }
    });
  }
});
