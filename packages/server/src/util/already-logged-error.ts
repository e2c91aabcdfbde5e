/**
 * A start-up failure whose cause the log already names: main.ts adds no line of its own after
 * it, so the log ends with the cause, as Redis's does (its loaders log the cause, then exit).
 * Redis's test suite reads that last line.
 */
export class AlreadyLoggedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "AlreadyLoggedError";
  }
}
