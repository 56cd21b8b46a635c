/**
 * `pincer bench cartpole`: DQN on CartPole-v1 over K seeds, the learning check for
 * the Q-learning core (acceptance: greedy eval return ≥ 475 within 100k env steps
 * in at least 4 of 5 seeds). Seeds run in worker threads; each seed's result is
 * the same whatever the worker count.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { cartPoleDqnArgs, ConfigError, MetricsWriter, runCartPoleSeeds, summarize, type CartPoleDqnResult } from '../../rl/index.js';
import { initBackend } from '../../tf/index.js';
import { UsageError } from '../errors.js';
import { emit, log, parseNonNegativeInt, parsePositiveInt, type OutputOptions } from '../io.js';

interface BenchCartPoleOptions extends OutputOptions {
  seeds: number;
  seed: number;
  steps: number;
  double: boolean;
  target: boolean;
  nStep: number;
  per: boolean;
  workers: number;
  evalEpisodes: number;
  metrics?: string;
}

/** The acceptance threshold on the greedy evaluation return. */
const SOLVED = 475;
const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

async function benchCartPole(opts: BenchCartPoleOptions): Promise<void> {
  const seeds = Array.from({ length: opts.seeds }, (_, i) => opts.seed + i);
  let runs;
  try {
    runs = seeds.map((seed) =>
      cartPoleDqnArgs({
        totalSteps: opts.steps,
        useTarget: opts.target,
        evalEpisodes: opts.evalEpisodes,
        dqn: { seed, doubleQ: opts.double, nStep: opts.nStep, prioritized: opts.per },
      }),
    );
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
  const backend = await initBackend();
  log(opts, `cartpole dqn: ${seeds.length} seeds x ${opts.steps} steps on ${opts.workers || 'no'} workers; config ${JSON.stringify(runs[0])}`);
  const writers = new Map<number, MetricsWriter>();
  const start = performance.now();
  let results: CartPoleDqnResult[];
  try {
    results = await runCartPoleSeeds(runs, {
      workers: opts.workers,
      onMetrics: (seed, step, metrics) => {
        if (opts.metrics) {
          if (!writers.has(seed)) writers.set(seed, new MetricsWriter(join(opts.metrics, `seed-${seed}.jsonl`)));
          writers.get(seed)!.write(step, metrics);
        }
        if (metrics['charts/episodic_return'] !== undefined && step % 10_000 < 200) {
          log(opts, `seed ${seed} step ${step}: episodic return ${metrics['charts/episodic_return']}`);
        }
      },
    });
  } finally {
    for (const w of writers.values()) w.close();
  }
  const evalReturns = summarize(results.map((r) => r.evalReturn));
  const over = summarize(results.map((r) => r.evalQ0.overestimation));
  const trainOver = results.filter((r) => r.trainQ0.episodes > 0).map((r) => r.trainQ0.overestimation);
  emit(
    opts,
    {
      config: {
        steps: opts.steps,
        double_q: opts.double,
        target_network: opts.target,
        n_step: opts.nStep,
        prioritized: opts.per,
        hidden: runs[0].hidden,
        batch_size: runs[0].dqn.batchSize,
        train_frequency: runs[0].dqn.trainFrequency,
        target_update_period: runs[0].dqn.targetUpdatePeriod,
        eval_episodes: opts.evalEpisodes,
      },
      results: results.map((r) => ({
        seed: r.seed,
        eval_return: r.evalReturn,
        env_steps: r.envSteps,
        wall_s: round(r.wallSeconds, 1),
        learner_steps: r.learnerSteps,
        episodes: r.episodes,
        q0_predicted: round(r.evalQ0.meanPredicted),
        q0_realized: round(r.evalQ0.meanRealized),
        q0_overestimation: round(r.evalQ0.overestimation),
        train_q0_overestimation: round(r.trainQ0.overestimation),
      })),
      mean_eval_return: round(evalReturns.mean),
      std_eval_return: round(evalReturns.std),
      min_eval_return: evalReturns.min,
      max_eval_return: evalReturns.max,
      seeds_solved: results.filter((r) => r.evalReturn >= SOLVED).length,
      solved_threshold: SOLVED,
      q0_overestimation_mean: round(over.mean),
      q0_overestimation_std: round(over.std),
      train_q0_overestimation_mean: trainOver.length ? round(summarize(trainOver).mean) : null,
      wall_s: round((performance.now() - start) / 1000, 1),
      workers: opts.workers,
      backend,
    },
    (r) =>
      `eval return ${r.mean_eval_return} ± ${r.std_eval_return} over ${seeds.length} seeds; ` +
      `${r.seeds_solved}/${seeds.length} seeds ≥ ${SOLVED}; Q(s0) overestimation ${r.q0_overestimation_mean}; ${r.wall_s} s`,
  );
}

export function registerBenchCartPole(bench: Command): void {
  bench
    .command('cartpole')
    .description('DQN on CartPole-v1 over several seeds; greedy eval return at the end (acceptance: ≥ 475 in 4 of 5 seeds)')
    .option('--seeds <k>', 'number of seeds', parsePositiveInt('--seeds'), 5)
    .option('--seed <s>', 'first seed (seeds s, s+1, ...)', parseNonNegativeInt('--seed'), 0)
    .option('--steps <n>', 'env steps per seed', parsePositiveInt('--steps'), 100_000)
    .option('--no-double', 'plain DQN target max_a Q\'(s\', a) instead of double Q')
    .option('--no-target', 'bootstrap from the online network (no target network)')
    .option('--n-step <n>', 'n-step returns', parsePositiveInt('--n-step'), 1)
    .option('--per', 'prioritized replay (proportional, α 0.6, β 0.4 → 1)', false)
    .option('--workers <w>', 'worker threads (0 = run seeds in this thread)', parseNonNegativeInt('--workers'), 2)
    .option('--eval-episodes <n>', 'greedy evaluation episodes at the end', parsePositiveInt('--eval-episodes'), 10)
    .option('--metrics <dir>', 'write each seed\'s metrics JSONL to <dir>/seed-<s>.jsonl')
    .option('--json', 'print one JSON object')
    .option('--progress', 'log progress to stderr')
    .addHelpText(
      'after',
      '\nExamples:\n  pincer bench cartpole --seeds 5 --steps 100000 --json\n' +
        '  pincer bench cartpole --seeds 3 --no-double --json\n  pincer bench cartpole --seeds 1 --seed 4 --n-step 3 --per --metrics runs/cartpole',
    )
    .action(benchCartPole);
}
