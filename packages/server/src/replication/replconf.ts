/**
 * REPLCONF (replconfCommand), the command a replica configures its link with: where it listens,
 * its capabilities, RDB-only transfers, and, once streaming, its acknowledged offset (ACK) or our
 * master's request for ours (GETACK). The state it sets lives in the client's ReplicaLink.
 */

import { splitInlineArgs } from "@keyhaven/protocol";
import type { Client } from "../network/client.js";
import type { MasterSide } from "./master-side.js";
import { replicaLinkOf } from "./replica-link.js";

const OK = Buffer.from("+OK\r\n");

/** A strict integer argument (string2ll), or null. */
export function parseOffset(s: string): number | null {
  if (!/^-?(0|[1-9][0-9]{0,18})$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
}

/** REPLCONF <option> <value> ... ACK and GETACK never reply. */
export function replconfCommand(master: MasterSide, c: Client): void {
  const argv = c.argv;
  if (argv.length % 2 === 0) {
    c.error("ERR syntax error");
    return;
  }
  for (let j = 1; j < argv.length; j += 2) {
    const opt = argv[j].toLowerCase();
    const value = argv[j + 1];
    switch (opt) {
      case "listening-port": {
        const port = parseOffset(value);
        if (port === null) {
          c.error("ERR value is not an integer or out of range");
          return;
        }
        replicaLinkOf(c).listeningPort = port;
        break;
      }
      case "ip-address":
        if (value.length >= 256) {
          c.error(`ERR REPLCONF ip-address provided by replica instance is too long: ${value.length} bytes`);
          return;
        }
        replicaLinkOf(c).announcedIp = value;
        break;
      case "capa": {
        const capa = value.toLowerCase();
        if (capa === "eof") replicaLinkOf(c).capaEof = true;
        else if (capa === "psync2") replicaLinkOf(c).capaPsync2 = true;
        break;
      }
      case "ack": {
        const offset = parseOffset(value);
        if (offset !== null) master.onAck(c, offset);
        return;
      }
      case "getack":
        master.repl.replica.onGetAck(c);
        return;
      case "rdb-only": {
        const n = parseOffset(value);
        if (n === null || n < 0 || n > 1) {
          c.error(n === null ? "ERR value is not an integer or out of range" : "ERR value is out of range");
          return;
        }
        replicaLinkOf(c).rdbOnly = n === 1;
        break;
      }
      case "rdb-filter-only": {
        // What the RDB includes; "" asks for an empty one (the AUX fields alone).
        const filters = splitInlineArgs(Buffer.from(value, "latin1"), 0, value.length);
        if (filters === null) {
          c.error("ERR Missing rdb-filter-only values");
          return;
        }
        const link = replicaLinkOf(c);
        link.excludeData = true;
        link.excludeFunctions = true;
        for (const filter of filters) {
          if (filter.toLowerCase() !== "functions") {
            c.error(`ERR Unsupported rdb-filter-only option: ${filter}`);
            return;
          }
          link.excludeFunctions = false;
        }
        break;
      }
      default:
        c.error(`ERR Unrecognized REPLCONF option: ${argv[j]}`);
        return;
    }
  }
  c.out.raw(OK);
}
