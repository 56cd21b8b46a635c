export { main, buildProgram, reportError } from './main.js';
export { PincerError, UsageError } from './errors.js';
export * from './io.js';
