/**
 * Public surface of @keyhaven/sentinel: the entry point and the pieces tests and tools use
 * (config parsing/rewriting, replica selection order, event formatting).
 */

export { applySentinelDirectives, sentinelConfigLines, splitConfigText } from "./config.js";
export { instanceDescription } from "./events.js";
export { compareSlavesForPromotion } from "./failover.js";
export { Instance, SentinelState } from "./instance.js";
export { main } from "./main.js";
