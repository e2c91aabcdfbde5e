/**
 * Renders a typed reply tree (RespClient with `typed: true`) as a compact string that keeps the
 * RESP type apart, so tests can assert reply shapes exactly: `[a,b]` array, `~[a,b]` set,
 * `%{a:1}` map, `:3` integer, `+OK` simple string, `-ERR ...` error, `_` RESP3 null, `$-1` and
 * `*-1` RESP2 nulls, `,1.5` double; bulk strings are bare text.
 */

import type { RespValue } from "@keyhaven/protocol";
import { afterAll, beforeAll } from "vitest";
import { RespClient, type ServerProcess, type StartOptions, startTarget, stopTarget } from "../helpers.js";

export function render(v: RespValue): string {
  switch (v.type) {
    case "simple":
      return `+${v.value}`;
    case "error":
      return `-${v.value}`;
    case "integer":
      return `:${v.value}`;
    case "bulk":
      return v.value.toString("latin1");
    case "nullBulk":
      return "$-1";
    case "nullArray":
      return "*-1";
    case "null":
      return "_";
    case "array":
      return `[${v.value.map(render).join(",")}]`;
    case "set":
      return `~[${v.value.map(render).join(",")}]`;
    case "push":
      return `>[${v.value.map(render).join(",")}]`;
    case "map":
      return `%{${v.value.map(([k, val]) => `${render(k)}:${render(val)}`).join(",")}}`;
    case "double":
      return `,${v.value}`;
    case "boolean":
      return v.value ? "#t" : "#f";
    case "bignum":
      return `(${v.value}`;
    case "verbatim":
      return `=${v.value.toString("utf8")}`;
    case "attribute":
      return render(v.value);
  }
}

/**
 * The setup of the suites that assert rendered replies: registers hooks on the enclosing file or
 * describe block that start the target (startTarget) with two typed clients, `c2` speaking RESP2
 * and `c3` RESP3 (after HELLO 3), and stop them after its tests. `r`/`r3` send one command on
 * `c2`/`c3` and render the reply. The accessors throw when used before beforeAll has run.
 */
export function renderedTarget(options: StartOptions = {}) {
  let server: ServerProcess | undefined;
  let c2: RespClient | undefined;
  let c3: RespClient | undefined;
  beforeAll(async () => {
    server = await startTarget(options);
    c2 = await RespClient.connect(server.port, { typed: true });
    c3 = await RespClient.connect(server.port, { typed: true });
    await c3.call("HELLO", "3");
  });
  afterAll(() => stopTarget(server, c2, c3));
  const started = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error("renderedTarget: used before beforeAll started the server");
    return v;
  };
  return {
    server: () => started(server),
    c2: () => started(c2),
    c3: () => started(c3),
    /** RESP2 reply, rendered. */
    r: async (...args: (string | number)[]): Promise<string> =>
      render((await started(c2).call(...args)) as RespValue),
    /** RESP3 reply, rendered. */
    r3: async (...args: (string | number)[]): Promise<string> =>
      render((await started(c3).call(...args)) as RespValue),
  };
}
