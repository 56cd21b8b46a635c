/**
 * The logger a command hands to the layers below it. Lower layers never write
 * to stdout or stderr themselves: they report through a Logger, and the CLI
 * decides where the lines go (stderr, and info only when progress output is on,
 * per the CLI conventions). The lowest layer: imports nothing.
 */
export interface Logger {
  /** Progress and facts worth knowing, such as the tfjs backend in use. */
  info(message: string): void;
  /** Something degraded that the user should see even without --progress. */
  warn(message: string): void;
}

/** Says nothing: the default where no logger is given (library use, tests, worker threads). */
export const silentLogger: Logger = Object.freeze({
  info(): void {},
  warn(): void {},
});
