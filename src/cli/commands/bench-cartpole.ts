/**
 * `pincer bench cartpole`: DQN on CartPole-v1 over K seeds, the learning check for
 * the Q-learning core (acceptance: greedy eval return ≥ 475 within 100k env steps
 * in at least 4 of 5 seeds). Seeds run in worker threads; each seed's result is
 * the same whatever the worker count.
 *
 * Only the flags live here; the benchmark itself loads on use, so `pincer --help`
 * does not pay for tfjs.
 */
import type { Command } from 'commander';
import { parseNonNegativeInt, parsePositiveInt } from '../io.js';
import type { BenchCartPoleOptions } from './bench-cartpole-run.js';

export function registerBenchCartPole(bench: Command): void {
  bench
    .command('cartpole')
    .description('DQN on CartPole-v1 over several seeds; greedy eval return at the end (acceptance: ≥ 475 in 4 of 5 seeds)')
    .option('--seeds <k>', 'number of seeds', parsePositiveInt('--seeds'), 5)
    .option('--seed <s>', 'first seed (seeds s, s+1, ...)', parseNonNegativeInt('--seed'), 0)
    .option('--steps <n>', 'env steps per seed', parsePositiveInt('--steps'), 100_000)
    .option('--no-double', 'plain DQN target max_a Q\'(s\', a) instead of double Q')
    .option('--no-target', 'bootstrap from the online network (no target network; needs --no-double)')
    .option('--clipped-double-q', 'min over two delayed target nets (clipped double Q, tf_agents QT-Opt chain)', false)
    .option('--n-step <n>', 'n-step returns (default 3)', parsePositiveInt('--n-step'))
    .option('--per', 'prioritized replay (proportional, α 0.6, β 0.4 → 1)', false)
    .option('--workers <w>', 'worker threads (0 = run seeds in this thread)', parseNonNegativeInt('--workers'), 2)
    .option('--eval-episodes <n>', 'greedy evaluation episodes at the end', parsePositiveInt('--eval-episodes'), 10)
    .option('--metrics <dir>', 'write each seed\'s metrics JSONL to <dir>/seed-<s>.jsonl')
    .option('--ablate <dir>', 'run double DQN, no double Q and no target net on the same seeds; write a table and plots to <dir>')
    .option('--json', 'print one JSON object')
    .option('--progress', 'log progress to stderr')
    .addHelpText(
      'after',
      '\nExamples:\n  pincer bench cartpole --seeds 5 --steps 100000 --json\n' +
        '  pincer bench cartpole --seeds 3 --no-double --json\n  pincer bench cartpole --seeds 2 --steps 30000 --clipped-double-q --json\n  pincer bench cartpole --seeds 1 --seed 4 --n-step 3 --per --metrics runs/cartpole\n' +
        '  pincer bench cartpole --ablate docs/ablations --seeds 3 --steps 30000 --json',
    )
    .action(async (opts: BenchCartPoleOptions) => (await import('./bench-cartpole-run.js')).benchCartPole(opts));
}
