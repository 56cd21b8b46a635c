/** A file that cannot be turned into an object: unreadable, malformed, degenerate, or referencing a missing file. */
export class ObjectImportError extends Error {
  constructor(
    /** The file (or directory) at fault. */
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'ObjectImportError';
  }
}
