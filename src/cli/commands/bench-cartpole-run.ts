/**
 * `pincer bench cartpole`: DQN on CartPole-v1 over K seeds, the learning check for
 * the Q-learning core (acceptance: greedy eval return ≥ 475 within 100k env steps
 * in at least 4 of 5 seeds). Seeds run in worker threads; each seed's result is
 * the same whatever the worker count.
 */
import { join } from 'node:path';
import {
  cartPoleDqnArgs,
  ConfigError,
  MetricsWriter,
  runCartPoleSeeds,
  summarize,
  type CartPoleDqnArgs,
  type CartPoleDqnResult,
} from '../../rl/node.js';
import { initBackend } from '../../tf/node.js';
import { UsageError } from '../errors.js';
import { commandLogger, emit, log, type OutputOptions } from '../io.js';
import { writeFileAtomic } from '../../fsutil/index.js';
import { clock, round, since, trackLoad } from '../bench-measure.js';
import { renderPng, VEGA_LITE_SCHEMA } from '../../report/index.js';

export interface BenchCartPoleOptions extends OutputOptions {
  seeds: number;
  seed: number;
  steps: number;
  double: boolean;
  target: boolean;
  clippedDoubleQ: boolean;
  nStep?: number;
  per: boolean;
  workers: number;
  evalEpisodes: number;
  metrics?: string;
  ablate?: string;
}

/** The acceptance threshold on the greedy evaluation return. */
const SOLVED = 475;

/** Which of double Q, clipped double Q and the target network a run uses. */
interface Variant {
  name: string;
  double: boolean;
  target: boolean;
  clipped: boolean;
}

/** The ablation set: the full agent, then one piece removed at a time. */
const ABLATIONS: readonly Variant[] = [
  { name: 'double DQN', double: true, target: true, clipped: false },
  { name: 'no double Q', double: false, target: true, clipped: false },
  // Without a target network double Q has nothing to decouple: online selects and evaluates.
  { name: 'no target net', double: false, target: false, clipped: false },
];

function makeRuns(opts: BenchCartPoleOptions, variant: Variant): CartPoleDqnArgs[] {
  try {
    return Array.from({ length: opts.seeds }, (_, i) =>
      cartPoleDqnArgs({
        totalSteps: opts.steps,
        evalEpisodes: opts.evalEpisodes,
        dqn: { seed: opts.seed + i, targetNetworks: variant.target, doubleQ: variant.double, clippedDoubleQ: variant.clipped, prioritized: opts.per, ...(opts.nStep === undefined ? {} : { nStep: opts.nStep }) },
      }),
    );
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

/** The per-variant summary `--json` prints. */
function summarizeRuns(results: CartPoleDqnResult[]): Record<string, unknown> {
  const evalReturns = summarize(results.map((r) => r.evalReturn));
  const over = summarize(results.map((r) => r.evalQ0.overestimation));
  const trainOver = results.filter((r) => r.trainQ0.episodes > 0).map((r) => r.trainQ0.overestimation);
  return {
    results: results.map((r) => ({
      seed: r.seed,
      eval_return: r.evalReturn,
      env_steps: r.envSteps,
      wall_s: round(r.wallSeconds, 1),
      learner_steps: r.learnerSteps,
      episodes: r.episodes,
      q0_predicted: round(r.evalQ0.meanPredicted, 2),
      q0_realized: round(r.evalQ0.meanRealized, 2),
      q0_overestimation: round(r.evalQ0.overestimation, 2),
      train_q0_overestimation: round(r.trainQ0.overestimation, 2),
    })),
    mean_eval_return: round(evalReturns.mean, 2),
    std_eval_return: round(evalReturns.std, 2),
    min_eval_return: evalReturns.min,
    max_eval_return: evalReturns.max,
    seeds_solved: results.filter((r) => r.evalReturn >= SOLVED).length,
    solved_threshold: SOLVED,
    q0_predicted_mean: round(summarize(results.map((r) => r.evalQ0.meanPredicted)).mean, 2),
    q0_realized_mean: round(summarize(results.map((r) => r.evalQ0.meanRealized)).mean, 2),
    q0_overestimation_mean: round(over.mean, 2),
    q0_overestimation_std: round(over.std, 2),
    train_q0_overestimation_mean: trainOver.length ? round(summarize(trainOver).mean, 2) : null,
  };
}

function configOf(opts: BenchCartPoleOptions, args: CartPoleDqnArgs): Record<string, unknown> {
  return {
    steps: opts.steps,
    n_step: args.dqn.nStep,
    prioritized: opts.per,
    hidden: args.hidden,
    batch_size: args.dqn.batchSize,
    train_frequency: args.dqn.trainFrequency,
    target_update_period: args.dqn.targetUpdatePeriod,
    learning_rate: `${args.dqn.learningRate} → ${args.dqn.lrEnd} (${args.dqn.lrSchedule})`,
    eval_episodes: opts.evalEpisodes,
  };
}

export async function benchCartPole(opts: BenchCartPoleOptions): Promise<void> {
  const variants = opts.ablate ? ABLATIONS : [{ name: 'selected', double: opts.double, target: opts.target, clipped: opts.clippedDoubleQ }];
  const runsByVariant = variants.map((v) => makeRuns(opts, v));
  const load = trackLoad();
  const backend = await initBackend(commandLogger(opts));
  const all = runsByVariant.flat();
  log(opts, `cartpole dqn: ${all.length} runs x ${opts.steps} steps on ${opts.workers || 'no'} workers; config ${JSON.stringify(all[0])}`);
  const writers = new Map<string, MetricsWriter>();
  // [run] → (env step, episodic return) for the learning curves.
  const curves = all.map(() => [] as [number, number][]);
  const logged: number[] = []; // [run] → last 10k-step bucket logged
  const start = clock();
  let results: CartPoleDqnResult[];
  try {
    results = await runCartPoleSeeds(all, {
      workers: opts.workers,
      onMetrics: (run, step, metrics) => {
        const ret = metrics['charts/episodic_return'];
        if (typeof ret === 'number') curves[run].push([step, ret]);
        if (opts.metrics) {
          const v = variants[Math.floor(run / opts.seeds)];
          const file = join(opts.metrics, `${opts.ablate ? `${slug(v.name)}-` : ''}seed-${all[run].dqn.seed}.jsonl`);
          if (!writers.has(file)) writers.set(file, new MetricsWriter(file));
          writers.get(file)!.write(step, metrics);
        }
        if (typeof ret === 'number' && Math.floor(step / 10_000) > (logged[run] ?? 0)) {
          logged[run] = Math.floor(step / 10_000);
          log(opts, `run ${run} (seed ${all[run].dqn.seed}) step ${step}: episodic return ${ret}`);
        }
      },
    });
  } finally {
    for (const w of writers.values()) w.close();
  }
  const wall = round(since(start).wall / 1000, 1);
  const perVariant = variants.map((v, k) => ({ variant: v, summary: summarizeRuns(results.slice(k * opts.seeds, (k + 1) * opts.seeds)) }));
  if (!opts.ablate) {
    const summary = perVariant[0].summary;
    emit(
      opts,
      { config: { ...configOf(opts, all[0]), double_q: opts.double, target_network: opts.target, clipped_double_q: opts.clippedDoubleQ }, ...summary, wall_s: wall, workers: opts.workers, backend, ...load.end() },
      (r) =>
        `eval return ${r.mean_eval_return} ± ${r.std_eval_return} over ${opts.seeds} seeds; ` +
        `${r.seeds_solved}/${opts.seeds} seeds ≥ ${SOLVED}; Q(s0) overestimation ${r.q0_overestimation_mean}; ${r.wall_s} s`,
    );
    return;
  }
  const command = `pincer bench cartpole --ablate ${opts.ablate} --seeds ${opts.seeds} --seed ${opts.seed} --steps ${opts.steps}` +
    (opts.nStep !== undefined ? ` --n-step ${opts.nStep}` : '') + (opts.per ? ' --per' : '');
  const files = await writeAblation(opts.ablate, command, perVariant, curves, opts, all[0].dqn.nStep);
  emit(
    opts,
    {
      config: configOf(opts, all[0]),
      variants: perVariant.map(({ variant, summary }) => ({ name: variant.name, double_q: variant.double, target_network: variant.target, ...summary })),
      files,
      wall_s: wall,
      workers: opts.workers,
      backend,
      ...load.end(),
    },
    () => files.map((f) => `wrote ${f}`).join('\n'),
  );
}

const slug = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]+/g, '-');

/** Mean episodic return per bin of env steps, over every episode of every seed of a variant. */
function binCurves(curves: [number, number][][], steps: number, bins: number): { step: number; mean: number }[] {
  const sums = new Float64Array(bins);
  const counts = new Float64Array(bins);
  for (const curve of curves) {
    for (const [step, ret] of curve) {
      const b = Math.min(bins - 1, Math.floor(((step - 1) / steps) * bins));
      sums[b] += ret;
      counts[b] += 1;
    }
  }
  return Array.from(sums, (s, b) => ({ step: Math.round(((b + 1) * steps) / bins), mean: counts[b] ? s / counts[b] : NaN })).filter((p) =>
    Number.isFinite(p.mean),
  );
}

/** The ablation table (markdown) and two plots (learning curves; predicted vs realized Q(s₀)). */
async function writeAblation(
  dir: string,
  command: string,
  perVariant: { variant: Variant; summary: Record<string, unknown> }[],
  curves: [number, number][][],
  opts: BenchCartPoleOptions,
  nStep: number,
): Promise<string[]> {
  const s = (v: { summary: Record<string, unknown> }, key: string) => v.summary[key] as number;
  const rows = perVariant.map(
    (v) =>
      `| ${v.variant.name} | ${s(v, 'mean_eval_return')} ± ${s(v, 'std_eval_return')} | ${s(v, 'min_eval_return')} | ${s(v, 'seeds_solved')}/${opts.seeds} | ` +
      `${s(v, 'q0_predicted_mean')} | ${s(v, 'q0_realized_mean')} | ${s(v, 'q0_overestimation_mean')} ± ${s(v, 'q0_overestimation_std')} | ${s(v, 'train_q0_overestimation_mean')} |`,
  );
  const table = [
    `Command: \`${command}\``,
    '',
    '| variant | eval return (mean ± std) | min | seeds ≥ 475 | Q(s₀) predicted | realized return | overestimation (eval) | overestimation (last 10% of training) |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
  const curveData = perVariant.flatMap((v, k) =>
    binCurves(curves.slice(k * opts.seeds, (k + 1) * opts.seeds), opts.steps, 25).map((p) => ({ ...p, variant: v.variant.name })),
  );
  const returns = await renderPng({
    $schema: VEGA_LITE_SCHEMA,
    title: `CartPole-v1 DQN: training episodic return (mean over ${opts.seeds} seeds)`,
    width: 520,
    height: 280,
    data: { values: curveData },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'env steps' },
      y: { field: 'mean', type: 'quantitative', title: 'episodic return', scale: { domain: [0, 500] } },
      color: { field: 'variant', type: 'nominal', legend: { labelLimit: 300 } },
    },
  });
  const q0Data = perVariant.flatMap((v) => [
    { variant: v.variant.name, kind: 'predicted max Q(s₀, a)', value: s(v, 'q0_predicted_mean') },
    { variant: v.variant.name, kind: 'realized discounted return', value: s(v, 'q0_realized_mean') },
  ]);
  const q0 = await renderPng({
    $schema: VEGA_LITE_SCHEMA,
    title: 'Greedy evaluation: predicted vs realized value of s₀',
    data: { values: q0Data },
    mark: 'bar',
    encoding: {
      x: { field: 'variant', type: 'nominal', title: null },
      xOffset: { field: 'kind' },
      // Symlog: a diverged variant (Q in the thousands) must not flatten the others.
      y: { field: 'value', type: 'quantitative', title: 'discounted return (γ = 0.99), symlog', scale: { type: 'symlog' } },
      color: { field: 'kind', type: 'nominal', title: null, legend: { labelLimit: 300, orient: 'bottom' } },
    },
    width: 420,
    height: 260,
  });
  // Named by n so that ablations with different returns can sit side by side.
  const name = `cartpole-nstep${nStep}`;
  const files = [join(dir, `${name}.md`), join(dir, `${name}-returns.png`), join(dir, `${name}-q0.png`)];
  writeFileAtomic(files[0], `${table}\n![learning curves](${name}-returns.png)\n\n![Q(s0)](${name}-q0.png)\n`);
  writeFileAtomic(files[1], returns);
  writeFileAtomic(files[2], q0);
  return files;
}
