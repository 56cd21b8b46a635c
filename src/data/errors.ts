/**
 * A dataset problem the user can act on (a missing, corrupt or mismatched
 * file, or a directory that cannot take a dataset). The message is one line
 * and names the file. `usage` marks mistakes in what the user asked for (a
 * wrong directory, a reader expecting another image size) as opposed to
 * damage found in the data; the CLI maps them to exit codes 2 and 1.
 */
export class DatasetError extends Error {
  constructor(
    message: string,
    readonly usage = false,
  ) {
    super(message);
    this.name = 'DatasetError';
  }
}
