export * from "./auxlib.js";
export * from "./ops.js";
export * from "./value.js";
