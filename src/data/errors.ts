/**
 * A dataset problem the user can act on (a missing, corrupt or mismatched
 * file). The message is one line and names the file; the CLI prints it as is.
 */
export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetError';
  }
}
