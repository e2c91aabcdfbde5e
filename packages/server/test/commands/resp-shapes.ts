/**
 * Renders a typed reply tree (RespClient with `typed: true`) as a compact string that keeps the
 * RESP type apart, so tests can assert reply shapes exactly: `[a,b]` array, `~[a,b]` set,
 * `%{a:1}` map, `:3` integer, `+OK` simple string, `-ERR ...` error, `_` RESP3 null, `$-1` and
 * `*-1` RESP2 nulls, `,1.5` double; bulk strings are bare text.
 */

import type { RespValue } from "@keyhaven/protocol";

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
