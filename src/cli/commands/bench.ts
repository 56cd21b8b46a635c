/**
 * `pincer bench <what>`: benchmarks that print JSON. Each benchmark lives in its
 * own `bench-<what>.ts` and adds a subcommand here.
 */
import type { Command } from 'commander';
import { registerBenchRender } from './bench-render.js';
import { registerBenchReplay } from './bench-replay.js';
import { registerBenchFqi } from './bench-fqi.js';
import { registerBenchCartPole } from './bench-cartpole.js';
import { registerBenchEnv } from './bench-env.js';
import { registerBenchTrain } from './bench-train.js';
import { registerBenchSim } from './bench-sim.js';
import { registerBenchData } from './bench-data.js';
import { registerBenchViewer } from './bench-viewer.js';
import { registerBenchQtOpt } from './bench-qtopt.js';
import { registerBenchGrasp } from './bench-grasp.js';

export type RegisterBench = (bench: Command) => void;

/** Every benchmark subcommand. */
const benches: RegisterBench[] = [registerBenchRender, registerBenchReplay, registerBenchFqi, registerBenchCartPole, registerBenchEnv, registerBenchTrain, registerBenchSim, registerBenchData, registerBenchQtOpt, registerBenchGrasp, registerBenchViewer];

export function registerBench(program: Command): void {
  const bench = program
    .command('bench')
    .description('benchmarks and slow learning checks; each prints one JSON object with --json')
    .addHelpText('after', '\nExamples:\n  pincer bench env --json\n  pincer bench train --json');
  for (const register of benches) register(bench);
}
