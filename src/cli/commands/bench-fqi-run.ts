/**
 * `pincer bench fqi`: value iteration vs fitted Q iteration on a gridworld.
 * Exact (one-hot least-squares) FQI must equal VI; neural FQI (a tfjs MLP
 * regressing each iteration's Bellman targets) must come within 0.05 of Q*.
 */
import { fittedQIteration, gridworld, linearLeastSquares, maxAbsDiff, neuralRegressor, oneHotFeatures, valueIteration } from '../../rl/index.js';
import { initBackend } from '../../tf/node.js';
import { commandLogger, emit, log, type OutputOptions } from '../io.js';
import { UsageError } from '../errors.js';
import { clock, round, since, trackLoad } from '../bench-measure.js';

export interface BenchFqiOptions extends OutputOptions {
  slip: number;
  gamma: number;
  seed: number;
  fitSteps: number;
  maxIterations: number;
}

/** Stop FQI when successive fitted tables differ by less than this. */
const FQI_TOL = 1e-4;

export async function benchFqi(opts: BenchFqiOptions): Promise<void> {
  if (!(opts.slip >= 0 && opts.slip <= 0.5)) throw new UsageError(`--slip must be in [0, 0.5], got ${opts.slip}`);
  if (!(opts.gamma >= 0 && opts.gamma < 1)) throw new UsageError(`--gamma must be in [0, 1), got ${opts.gamma}`);
  const load = trackLoad();
  const backend = await initBackend(commandLogger(opts));
  const mdp = gridworld({ slip: opts.slip, gamma: opts.gamma });
  const vi = valueIteration(mdp, { tol: 1e-10 });
  const exact = await fittedQIteration(mdp, linearLeastSquares(mdp, oneHotFeatures(mdp)), { tol: 1e-10 });
  log(opts, `value iteration: ${vi.iterations} backups; exact FQI: ${exact.iterations} iterations`);
  const start = clock();
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
        fqi_max_abs_error: round(error, 6),
        fqi_pass: error <= 0.05,
        fqi_fit_steps: opts.fitSteps,
        fqi_final_residual: round(fqi.residual, 6),
        fqi_wall_s: round(since(start).wall / 1000, 2),
        backend,
        ...load.end(),
      },
      (r) =>
        `VI ${r.vi_iterations} backups; exact FQI error ${r.exact_fqi_max_abs_error}; neural FQI ${r.fqi_iterations} iterations, ` +
        `max |Q − Q*| = ${r.fqi_max_abs_error} (${r.fqi_pass ? 'pass' : 'FAIL'}, ≤ 0.05), ${r.fqi_wall_s} s`,
    );
  } finally {
    regressor.dispose();
  }
}
