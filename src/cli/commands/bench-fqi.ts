/**
 * `pincer bench fqi`: value iteration vs fitted Q iteration on a gridworld.
 * Exact (one-hot least-squares) FQI must equal VI; neural FQI (a tfjs MLP
 * regressing each iteration's Bellman targets) must come within 0.05 of Q*.
 */
import type { Command } from 'commander';
import { fittedQIteration, gridworld, linearLeastSquares, maxAbsDiff, neuralRegressor, oneHotFeatures, valueIteration } from '../../rl/index.js';
import { initBackend } from '../../tf/index.js';
import { emit, log, parseNonNegativeInt, parseNumber, parsePositiveInt, type OutputOptions } from '../io.js';
import { UsageError } from '../errors.js';
import { roundTo } from '../../report/index.js';

/** Decimals kept in this benchmark's JSON. */
const round = (x: number, digits = 6): number => roundTo(x, digits);

interface BenchFqiOptions extends OutputOptions {
  slip: number;
  gamma: number;
  seed: number;
  fitSteps: number;
  maxIterations: number;
}

/** Stop FQI when successive fitted tables differ by less than this. */
const FQI_TOL = 1e-4;

async function benchFqi(opts: BenchFqiOptions): Promise<void> {
  if (!(opts.slip >= 0 && opts.slip <= 0.5)) throw new UsageError(`--slip must be in [0, 0.5], got ${opts.slip}`);
  if (!(opts.gamma >= 0 && opts.gamma < 1)) throw new UsageError(`--gamma must be in [0, 1), got ${opts.gamma}`);
  const backend = await initBackend();
  const mdp = gridworld({ slip: opts.slip, gamma: opts.gamma });
  const vi = valueIteration(mdp, { tol: 1e-10 });
  const exact = await fittedQIteration(mdp, linearLeastSquares(mdp, oneHotFeatures(mdp)), { tol: 1e-10 });
  log(opts, `value iteration: ${vi.iterations} backups; exact FQI: ${exact.iterations} iterations`);
  const start = performance.now();
  const regressor = neuralRegressor(mdp, { seed: opts.seed, fitSteps: opts.fitSteps });
  try {
    const fqi = await fittedQIteration(mdp, regressor, { tol: FQI_TOL, maxIterations: opts.maxIterations });
    const error = maxAbsDiff(fqi.q, vi.q);
    emit(
      opts,
      {
        mdp: `gridworld ${mdp.nStates} states x ${mdp.nActions} actions, slip ${opts.slip}, gamma ${opts.gamma}`,
        vi_iterations: vi.iterations,
        exact_fqi_iterations: exact.iterations,
        exact_fqi_max_abs_error: maxAbsDiff(exact.q, vi.q),
        fqi_iterations: fqi.iterations,
        fqi_max_abs_error: round(error),
        fqi_pass: error <= 0.05,
        fqi_fit_steps: opts.fitSteps,
        fqi_final_residual: round(fqi.residual),
        fqi_wall_s: round((performance.now() - start) / 1000, 2),
        backend,
      },
      (r) =>
        `VI ${r.vi_iterations} backups; exact FQI error ${r.exact_fqi_max_abs_error}; neural FQI ${r.fqi_iterations} iterations, ` +
        `max |Q − Q*| = ${r.fqi_max_abs_error} (${r.fqi_pass ? 'pass' : 'FAIL'}, ≤ 0.05), ${r.fqi_wall_s} s`,
    );
  } finally {
    regressor.dispose();
  }
}

export function registerBenchFqi(bench: Command): void {
  bench
    .command('fqi')
    .description('value iteration vs exact and neural fitted Q iteration on a stochastic gridworld (acceptance: max |Q − Q*| ≤ 0.05)')
    .option('--slip <p>', 'probability of slipping to each perpendicular direction', parseNumber('--slip'), 0.1)
    .option('--gamma <g>', 'discount factor in [0, 1)', parseNumber('--gamma'), 0.9)
    .option('--seed <n>', 'seed for the network initialisation', parseNonNegativeInt('--seed'), 0)
    .option('--fit-steps <n>', 'full-batch Adam steps per FQI iteration', parsePositiveInt('--fit-steps'), 30)
    .option('--max-iterations <n>', 'FQI iterations at most', parsePositiveInt('--max-iterations'), 200)
    .option('--json', 'print one JSON object')
    .option('--progress', 'log progress to stderr')
    .addHelpText('after', '\nExamples:\n  pincer bench fqi --json\n  pincer bench fqi --slip 0 --gamma 0.95 --json')
    .action(benchFqi);
}
