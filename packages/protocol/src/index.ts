export * from "./format/double.js";
export * from "./resp/latin1.js";
export * from "./resp/limits.js";
export * from "./resp/reply-parser.js";
export * from "./resp/reply-writer.js";
export * from "./resp/request-encoder.js";
export * from "./resp/request-parser.js";
export * as shared from "./resp/shared-replies.js";
export * from "./resp/value-encoder.js";
