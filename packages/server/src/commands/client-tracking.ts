/**
 * The client-side caching subcommands of CLIENT (networking.c clientCommand): TRACKING,
 * CACHING, GETREDIR, TRACKINGINFO, with Redis 7.0's option checks and error texts. The tracking
 * itself is exec/tracking.ts.
 */

import { shared } from "@keyhaven/protocol";
import { Tracking } from "../exec/tracking.js";
import type { Client } from "../network/client.js";
import { is, parseInteger } from "./args.js";
import { type CommandSpec, spec } from "./spec.js";
import { ERR_SYNTAX } from "./zset-common.js";

/** CLIENT TRACKING (ON|OFF) [REDIRECT id] [BCAST] [PREFIX p ...] [OPTIN] [OPTOUT] [NOLOOP]. */
function clientTrackingCommand(c: Client): void {
  const argv = c.argv;
  let redirect = 0;
  let options = 0;
  const prefixes: string[] = [];
  for (let j = 3; j < argv.length; j++) {
    const moreArgs = argv.length - 1 - j;
    if (is(argv[j], "redirect") && moreArgs > 0) {
      j++;
      if (redirect !== 0) return void c.error("ERR A client can only redirect to a single other client");
      const id = parseInteger(argv[j]);
      if (id === null) return void c.error("ERR value is not an integer or out of range");
      // The target must exist now, even though it may leave later.
      if (!c.server.clients.has(id))
        return void c.error("ERR The client ID you want redirect to does not exist");
      redirect = id;
    } else if (is(argv[j], "bcast")) options |= Tracking.Bcast;
    else if (is(argv[j], "optin")) options |= Tracking.OptIn;
    else if (is(argv[j], "optout")) options |= Tracking.OptOut;
    else if (is(argv[j], "noloop")) options |= Tracking.NoLoop;
    else if (is(argv[j], "prefix") && moreArgs > 0) prefixes.push(argv[++j]);
    else return void c.error(ERR_SYNTAX);
  }
  const tracking = c.server.tracking;
  if (is(argv[2], "on")) {
    const error = trackingOnError(c, options, prefixes);
    if (error !== null) return void c.error(error);
    tracking.enable(c, redirect, options, prefixes);
  } else if (is(argv[2], "off")) {
    tracking.disable(c);
  } else {
    return void c.error(ERR_SYNTAX);
  }
  c.out.raw(shared.OK);
}

/** What CLIENT TRACKING ON refuses, in Redis's order of checks, or null. */
function trackingOnError(c: Client, options: number, prefixes: readonly string[]): string | null {
  const bcast = (options & Tracking.Bcast) !== 0;
  if (!bcast && prefixes.length > 0) return "ERR PREFIX option requires BCAST mode to be enabled";
  if ((c.tracking & Tracking.On) !== 0 && ((c.tracking & Tracking.Bcast) !== 0) !== bcast) {
    return "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.";
  }
  const optIn = (options & Tracking.OptIn) !== 0;
  const optOut = (options & Tracking.OptOut) !== 0;
  if (bcast && (optIn || optOut)) return "ERR OPTIN and OPTOUT are not compatible with BCAST";
  if (optIn && optOut) return "ERR You can't specify both OPTIN mode and OPTOUT mode";
  if ((optIn && (c.tracking & Tracking.OptOut) !== 0) || (optOut && (c.tracking & Tracking.OptIn) !== 0)) {
    return "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.";
  }
  return bcast ? c.server.tracking.prefixCollision(c, prefixes) : null;
}

/** CLIENT CACHING YES|NO: the next command (or transaction) is tracked (OPTIN) or not (OPTOUT). */
function clientCachingCommand(c: Client): void {
  if ((c.tracking & Tracking.On) === 0) {
    return void c.error(
      "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled",
    );
  }
  const opt = c.argv[2];
  if (is(opt, "yes")) {
    if ((c.tracking & Tracking.OptIn) === 0)
      return void c.error("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
  } else if (is(opt, "no")) {
    if ((c.tracking & Tracking.OptOut) === 0)
      return void c.error("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
  } else {
    return void c.error(ERR_SYNTAX);
  }
  c.tracking |= Tracking.Caching;
  c.out.raw(shared.OK);
}

/** The redirect of a tracking client (0 for none), -1 when tracking is off. */
export function redirectOf(c: Client): number {
  return (c.tracking & Tracking.On) !== 0 ? c.trackingRedirect : -1;
}

/** CLIENT TRACKINGINFO: flags (a set), redirect, prefixes. */
function clientTrackingInfoCommand(c: Client): void {
  const t = c.tracking;
  const flags = [(t & Tracking.On) !== 0 ? "on" : "off"];
  if ((t & Tracking.Bcast) !== 0) flags.push("bcast");
  if ((t & Tracking.OptIn) !== 0) {
    flags.push("optin");
    if ((t & Tracking.Caching) !== 0) flags.push("caching-yes");
  }
  if ((t & Tracking.OptOut) !== 0) {
    flags.push("optout");
    if ((t & Tracking.Caching) !== 0) flags.push("caching-no");
  }
  if ((t & Tracking.NoLoop) !== 0) flags.push("noloop");
  if ((t & Tracking.BrokenRedirect) !== 0) flags.push("broken_redirect");
  const out = c.out;
  out.mapHeader(3);
  out.bulk("flags");
  out.setHeader(flags.length);
  for (const f of flags) out.bulk(f);
  out.bulk("redirect");
  out.integer(redirectOf(c));
  out.bulk("prefixes");
  const prefixes = c.server.tracking.sortedPrefixes(c);
  out.arrayHeader(prefixes.length);
  for (const p of prefixes) out.bulk(p);
}

export const clientTrackingCommands = [
  spec(
    "tracking",
    -3,
    "noscript loading stale",
    [0, 0, 0],
    "connection",
    "Enable or disable server assisted client side caching support",
    "6.0.0",
    clientTrackingCommand,
  ),
  spec(
    "caching",
    3,
    "noscript loading stale",
    [0, 0, 0],
    "connection",
    "Instruct the server about tracking or not keys in the next request",
    "6.0.0",
    clientCachingCommand,
  ),
  spec(
    "getredir",
    2,
    "noscript loading stale",
    [0, 0, 0],
    "connection",
    "Get tracking notifications redirection client ID if any",
    "6.0.0",
    (c) => c.out.integer(redirectOf(c)),
  ),
  spec(
    "trackinginfo",
    2,
    "noscript loading stale",
    [0, 0, 0],
    "connection",
    "Return information about server assisted client side caching for the current connection",
    "6.2.0",
    clientTrackingInfoCommand,
  ),
] satisfies CommandSpec[];
