/**
 * Metrics lines (JSONL): one JSON object per logged step, `{"step": n, "<group>/<name>": value, ...}`,
 * with CleanRL's grouped names: `losses/td_loss`, `charts/episodic_return`,
 * `diagnostics/q_overestimation`, `grad/global_norm`. Pure formatting and parsing;
 * the file side is `MetricsWriter` in metrics-writer.ts.
 */

/** A metric name: a group and a name, lower case, e.g. `losses/td_loss`. */
const METRIC_NAME = /^[a-z][a-z0-9_]*\/[a-z0-9_.]+$/;

export type MetricValue = number | string | boolean | null;

/** One parsed line. */
export interface MetricsRow {
  step: number;
  [name: string]: MetricValue;
}

/**
 * The JSONL line (without newline) for `metrics` at `step`. Names must be grouped;
 * NaN and ±Infinity, which JSON cannot hold, are written as null.
 */
export function metricsLine(step: number, metrics: Readonly<Record<string, MetricValue>>): string {
  if (!Number.isInteger(step) || step < 0) throw new Error(`metrics: step must be a non-negative integer, got ${step}`);
  const row: Record<string, MetricValue> = { step };
  for (const [name, value] of Object.entries(metrics)) {
    if (!METRIC_NAME.test(name)) throw new Error(`metrics: name '${name}' is not of the form group/name (e.g. losses/td_loss)`);
    row[name] = typeof value === 'number' && !Number.isFinite(value) ? null : value;
  }
  return JSON.stringify(row);
}

/** Parse JSONL text into rows; a bad line is an error naming its line number. */
export function parseMetrics(text: string, source = 'metrics'): MetricsRow[] {
  const rows: MetricsRow[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    let row: unknown;
    try {
      row = JSON.parse(lines[i]);
    } catch {
      throw new Error(`${source}:${i + 1}: not a JSON object`);
    }
    if (typeof row !== 'object' || row === null || typeof (row as MetricsRow).step !== 'number') {
      throw new Error(`${source}:${i + 1}: missing numeric 'step'`);
    }
    rows.push(row as MetricsRow);
  }
  return rows;
}
