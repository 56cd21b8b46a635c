/**
 * The panels of a training report, from what a run folder holds (read by the
 * CLI into `RunData`): metrics.jsonl rows with CleanRL's grouped names, the
 * evaluation files of eval/, and the resolved config. Several runs share each
 * panel's axes, one colour per run. A panel without its data becomes a
 * "no data" panel naming what is missing, so a run in progress (or an older
 * run) still gets a report. Pure: data in, vega-lite specs out.
 */
import { noDataSpec, VEGA_LITE_SCHEMA, type PlotSpec } from './plot.js';
import { wilsonInterval } from './wilson.js';

/** One metrics.jsonl line: `step` is the learner step. */
export type MetricsLine = { step: number } & Record<string, unknown>;

/** One eval/*.json file (periodic validation written by training, or `pincer eval`'s results). */
export interface EvalResult {
  /** File name without .json. */
  name: string;
  split: string;
  /** Learner step of the evaluated network, when known. */
  step: number | null;
  envSteps: number | null;
  episodes: number;
  successes: number;
  calibration: { episodes: number; mean_predicted: number | null; realized: number | null }[];
  detector: { tp: number; fp: number; tn: number; fn: number } | null;
  /** The failure taxonomy from ground truth (src/env's outcomeBreakdown), when the evaluation wrote it. */
  failures: { missed: number; slipped: number; blocked: number; detector_disagreed: number } | null;
  /** The policy's CEM search (samples/elites/iterations) when `pincer eval` recorded it; the run's own otherwise. */
  cem: string | null;
}

/** Which evaluations are one series: the same split, episode count and search (a line joins only comparable points). */
function seriesOf(e: EvalResult): string {
  return `${e.split}, ${e.episodes} episodes${e.cem ? `, CEM ${e.cem}` : ''}`;
}

export interface RunData {
  name: string;
  config: unknown;
  metrics: MetricsLine[];
  evals: EvalResult[];
}

export interface ReportPanel {
  /** File stem: `<file>.png`. */
  file: string;
  title: string;
  /** False when the panel says "no data". */
  hasData: boolean;
  spec: PlotSpec;
}

const WIDTH = 460;
const HEIGHT = 240;

/** A spec as a part of a composite one (only the top level names the schema). */
function withoutSchema(spec: PlotSpec): PlotSpec {
  const { $schema: _schema, ...rest } = spec;
  return rest;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Rows of `metrics` that carry `name`, as (step, value). */
function series(metrics: MetricsLine[], name: string): { step: number; value: number }[] {
  const out: { step: number; value: number }[] = [];
  for (const row of metrics) {
    const v = num(row[name]);
    if (v !== null) out.push({ step: row.step, value: v });
  }
  return out;
}

/** The last value of `name` logged at or before learner step `step` (metrics are in step order). */
function valueAt(metrics: MetricsLine[], name: string, step: number): number | null {
  let found: number | null = null;
  for (const row of metrics) {
    if (row.step > step) break;
    const v = num(row[name]);
    if (v !== null) found = v;
  }
  return found;
}

const color = (runs: RunData[]) => ({ field: 'run', type: 'nominal', title: 'run', legend: runs.length > 1 ? { orient: 'bottom' } : null });

/**
 * A panel: the plot `body` (under the panel's title) when there is data, else a
 * "no data" panel naming what is `need`ed.
 */
function panel(file: string, title: string, hasData: boolean, need: string, body: PlotSpec): ReportPanel {
  if (!hasData) return { file, title, hasData, spec: noDataSpec(title, need) };
  return { file, title, hasData, spec: { $schema: VEGA_LITE_SCHEMA, title, ...body } };
}

/**
 * The success panels' x axes. Gradient steps, because an offline run's evaluations all come after the
 * same env steps (its bootstrap's), where the env-step axis shows one column.
 */
const SUCCESS_AXES = {
  env: { file: 'success-vs-env-steps', name: 'env steps', unit: '', need: 'eval/*.json with env_steps (or charts/env_steps in metrics.jsonl)' },
  wall: { file: 'success-vs-wall-time', name: 'wall time', unit: ', s', need: 'eval/*.json with a step, and perf/elapsed_s in metrics.jsonl' },
  step: { file: 'success-vs-gradient-steps', name: 'gradient steps', unit: '', need: 'eval/*.json with a step' },
} as const;

/** Where evaluation `e` of `run` sits on `axis`, or null if the run does not say. */
function successX(run: RunData, e: EvalResult, axis: keyof typeof SUCCESS_AXES): number | null {
  if (axis === 'step') return e.step;
  if (axis === 'env') return e.envSteps ?? (e.step !== null ? valueAt(run.metrics, 'charts/env_steps', e.step) : null);
  return e.step !== null ? valueAt(run.metrics, 'perf/elapsed_s', e.step) : null;
}

/** Success rate of each evaluation with its Wilson 95% interval, against env steps, wall time or gradient steps. */
function successPanel(runs: RunData[], axis: keyof typeof SUCCESS_AXES): ReportPanel {
  const { file, name, unit, need } = SUCCESS_AXES[axis];
  const title = `Validation and test success (Wilson 95% CI) vs ${name}`;
  const values = runs.flatMap((run) =>
    run.evals
      .filter((e) => e.split === 'validation' || e.split === 'test')
      .map((e) => {
        const [lo, hi] = wilsonInterval(e.successes, e.episodes);
        return { run: run.name, series: seriesOf(e), x: successX(run, e, axis), rate: e.episodes > 0 ? e.successes / e.episodes : 0, lo, hi, n: e.episodes };
      })
      .filter((p) => p.x !== null),
  );
  const x = { field: 'x', type: 'quantitative', title: `${name}${unit}` };
  return panel(file, title, values.length > 0, need, {
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    encoding: { x, color: color(runs) },
    layer: [
      { mark: { type: 'rule', opacity: 0.5, strokeWidth: 2 }, encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, detail: { field: 'series' } } },
      {
        mark: { type: 'line', point: true },
        encoding: {
          y: { field: 'rate', type: 'quantitative', title: 'success rate', scale: { domain: [0, 1] } },
          strokeDash: { field: 'series', type: 'nominal', title: 'evaluation', legend: { labelLimit: 400 } },
          shape: { field: 'series', type: 'nominal', title: 'evaluation', legend: { labelLimit: 400 } },
        },
      },
    ],
  });
}

/** A line per run of one or two metrics against the learner step. */
function metricPanel(runs: RunData[], file: string, title: string, metrics: { name: string; label: string }[]): ReportPanel {
  const charts = metrics.map(({ name, label }) => ({
    label,
    values: runs.flatMap((run) => series(run.metrics, name).map((p) => ({ run: run.name, step: p.step, value: p.value }))),
  }));
  return panel(file, title, charts.some((c) => c.values.length > 0), metrics.map((m) => m.name).join(', ') + ' in metrics.jsonl', {
    vconcat: charts.map((c) =>
      c.values.length === 0
        ? withoutSchema(noDataSpec(c.label, `${c.label} in metrics.jsonl`))
        : {
            width: WIDTH,
            height: HEIGHT / 2,
            data: { values: c.values },
            mark: { type: 'line' },
            encoding: {
              x: { field: 'step', type: 'quantitative', title: 'learner step' },
              y: { field: 'value', type: 'quantitative', title: c.label },
              color: color(runs),
            },
          },
    ),
  });
}

/** Reliability diagram: each calibration bin's mean predicted success against its realized rate (latest evaluation per run and split). */
function calibrationPanel(runs: RunData[]): ReportPanel {
  const file = 'calibration';
  const title = 'Q calibration: predicted vs realized success (reliability diagram)';
  const values = runs.flatMap((run) => {
    const latest = new Map<string, EvalResult>();
    for (const e of run.evals) if (e.calibration.length > 0 && (latest.get(e.split)?.step ?? -1) <= (e.step ?? 0)) latest.set(e.split, e);
    return [...latest.values()].flatMap((e) =>
      e.calibration
        .filter((b) => b.episodes > 0 && b.mean_predicted !== null && b.realized !== null)
        .map((b) => {
          const successes = Math.round(b.realized! * b.episodes);
          const [lo, hi] = wilsonInterval(successes, b.episodes);
          return { run: run.name, split: `${e.split}${e.step !== null ? ` @ step ${e.step}` : ''}`, predicted: b.mean_predicted, realized: b.realized, lo, hi, episodes: b.episodes };
        }),
    );
  });
  const unit = { type: 'quantitative', scale: { domain: [0, 1] } };
  return panel(file, title, values.length > 0, 'calibration bins in eval/*.json (a policy with a Q-function)', {
    width: 320,
    height: 320,
    layer: [
      {
        data: { values: [{ p: 0 }, { p: 1 }] },
        mark: { type: 'line', color: '#999', strokeDash: [4, 4] },
        encoding: { x: { field: 'p', ...unit, title: 'mean predicted success' }, y: { field: 'p', ...unit, title: 'realized success' } },
      },
      {
        data: { values },
        mark: { type: 'rule' },
        encoding: { x: { field: 'predicted', ...unit }, y: { field: 'lo', ...unit }, y2: { field: 'hi' }, color: color(runs) },
      },
      {
        data: { values },
        mark: { type: 'point', filled: true },
        encoding: {
          x: { field: 'predicted', ...unit },
          y: { field: 'realized', ...unit },
          size: { field: 'episodes', type: 'quantitative', title: 'episodes' },
          color: color(runs),
          shape: { field: 'split', type: 'nominal', title: 'evaluation', legend: { labelLimit: 400 } },
        },
      },
    ],
  });
}

/** Mean predicted first-step success against the realized success of the same evaluation episodes, over env steps. */
function overestimationPanel(runs: RunData[]): ReportPanel {
  const file = 'predicted-vs-realized';
  // Plain digits: resvg's default font has no subscripts and would fall back to a serif one.
  const title = 'Predicted first-step Q(s0, a0) vs realized success (overestimation)';
  const values = runs.flatMap((run) =>
    run.evals.flatMap((e) => {
      const bins = e.calibration.filter((b) => b.episodes > 0 && b.mean_predicted !== null);
      const n = bins.reduce((s, b) => s + b.episodes, 0);
      const x = e.envSteps ?? (e.step !== null ? valueAt(run.metrics, 'charts/env_steps', e.step) : null);
      if (n === 0 || x === null) return [];
      const predicted = bins.reduce((s, b) => s + b.episodes * b.mean_predicted!, 0) / n;
      const realized = bins.reduce((s, b) => s + b.episodes * (b.realized ?? 0), 0) / n;
      return [
        { run: run.name, x, kind: 'predicted', value: predicted, split: seriesOf(e) },
        { run: run.name, x, kind: 'realized', value: realized, split: seriesOf(e) },
      ];
    }),
  );
  return panel(file, title, values.length > 0, 'calibration bins with env steps in eval/*.json', {
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: 'env steps' },
      y: { field: 'value', type: 'quantitative', title: 'success probability', scale: { domain: [0, 1] } },
      color: color(runs),
      strokeDash: { field: 'kind', type: 'nominal', title: null },
      shape: { field: 'split', type: 'nominal', title: 'evaluation', legend: { labelLimit: 400 } },
      detail: { field: 'split' },
    },
  });
}

/** Learner steps/s (perf/steps_per_s) and env steps/s (Δ charts/env_steps / Δ perf/elapsed_s) over wall time. */
function throughputPanel(runs: RunData[]): ReportPanel {
  const file = 'throughput';
  const title = 'Throughput: learner and env steps per second';
  const values = runs.flatMap((run) => {
    const out: { run: string; t: number; kind: string; value: number }[] = [];
    let prev: { t: number; env: number } | null = null;
    for (const row of run.metrics) {
      const t = num(row['perf/elapsed_s']);
      if (t === null) continue;
      const learner = num(row['perf/steps_per_s']);
      if (learner !== null) out.push({ run: run.name, t, kind: 'learner steps/s', value: learner });
      const env = num(row['charts/env_steps']);
      if (env !== null) {
        if (prev && t > prev.t) out.push({ run: run.name, t, kind: 'env steps/s', value: (env - prev.env) / (t - prev.t) });
        prev = { t, env };
      }
    }
    return out;
  });
  return panel(file, title, values.length > 0, 'perf/elapsed_s with perf/steps_per_s or charts/env_steps in metrics.jsonl', {
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: 'line' },
    encoding: {
      x: { field: 't', type: 'quantitative', title: 'wall time, s' },
      y: { field: 'value', type: 'quantitative', title: 'steps per second' },
      color: color(runs),
      strokeDash: { field: 'kind', type: 'nominal', title: null },
    },
  });
}

/**
 * The failure taxonomy of the latest evaluation per split: successes and the ground-truth
 * failure kinds (missed: closed on nothing; slipped: held at close, not lifted; blocked:
 * the descent stopped on something) plus detector disagreements, when the evaluation
 * recorded them; otherwise the detector against ground truth.
 */
function failurePanel(runs: RunData[]): ReportPanel {
  const file = 'failures';
  const title = 'Failure taxonomy of the latest evaluation';
  const values = runs.flatMap((run) => {
    const latest = new Map<string, EvalResult>();
    for (const e of run.evals) if ((e.failures || e.detector) && (latest.get(e.split)?.step ?? -1) <= (e.step ?? 0)) latest.set(e.split, e);
    return [...latest.values()].flatMap((e) => {
      const rows = e.failures
        ? [
            ['success', e.successes],
            ['missed', e.failures.missed],
            ['slipped', e.failures.slipped],
            ['blocked', e.failures.blocked],
            ['detector disagreed', e.failures.detector_disagreed],
          ]
        : [
            ['success', e.detector!.tp],
            ['lifted, not detected', e.detector!.fn],
            ['detected, not lifted', e.detector!.fp],
            ['failed grasp', e.detector!.tn],
          ];
      return rows.map(([outcome, episodes]) => ({ run: run.name, split: e.split, outcome, episodes }));
    });
  });
  return panel(file, title, values.length > 0, 'failures or detector counts in eval/*.json', {
    width: 200,
    height: HEIGHT,
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      column: { field: 'split', type: 'nominal', title: null },
      x: { field: 'outcome', type: 'nominal', title: null, sort: null, axis: { labelAngle: -30, labelLimit: 200 } },
      xOffset: { field: 'run' },
      y: { field: 'episodes', type: 'quantitative', title: 'episodes' },
      color: color(runs),
    },
    // A split evaluated before the taxonomy existed keeps its own categories.
    resolve: { scale: { x: 'independent' } },
  });
}

/** Every panel of the report, in reading order. */
export function reportPanels(runs: RunData[]): ReportPanel[] {
  return [
    successPanel(runs, 'env'),
    successPanel(runs, 'wall'),
    successPanel(runs, 'step'),
    metricPanel(runs, 'loss', 'Loss and TD error', [
      { name: 'losses/td_loss', label: 'TD loss' },
      { name: 'losses/td_error', label: 'mean TD error (y − Q)' },
    ]),
    calibrationPanel(runs),
    overestimationPanel(runs),
    throughputPanel(runs),
    metricPanel(runs, 'memory', 'Memory: process RSS and live tfjs tensors', [
      { name: 'perf/rss_mb', label: 'RSS, MiB' },
      { name: 'perf/num_tensors', label: 'tf.memory().numTensors' },
    ]),
    failurePanel(runs),
  ];
}
