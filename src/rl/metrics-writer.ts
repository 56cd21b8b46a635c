/** Appends metrics lines to a JSONL file (the I/O half of metrics.ts). */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { metricsLine, type MetricValue } from './metrics.js';

export class MetricsWriter {
  private fd: number | null;

  /** Opens `path` for appending (creating folders), so a resumed run continues the same file. */
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'a');
  }

  /** Append one line; each call is one write, so a crash loses at most the line being written. */
  write(step: number, metrics: Readonly<Record<string, MetricValue>>): void {
    if (this.fd === null) throw new Error(`MetricsWriter: ${this.path} is closed`);
    writeSync(this.fd, `${metricsLine(step, metrics)}\n`);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
