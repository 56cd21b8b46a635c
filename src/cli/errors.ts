/**
 * Errors that reach the user as one line, without a stack trace.
 *
 * Exit codes follow the CLI convention in docs: 1 for a runtime failure,
 * 2 for bad usage (a wrong flag, a bad value, an unreadable or invalid input file).
 */
export class PincerError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 1,
  ) {
    super(message);
    this.name = 'PincerError';
  }
}

/** A mistake in the flags or in an input file the user named. Exit code 2. */
export class UsageError extends PincerError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}
