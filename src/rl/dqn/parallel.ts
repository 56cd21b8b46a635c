/**
 * Several CartPole DQN runs (one per seed) at once in worker threads. Each run
 * is deterministic on its own, so results do not depend on the worker count.
 */
import { Worker } from 'node:worker_threads';
import type { MetricValue } from '../metrics.js';
import { trainCartPoleDqn, type CartPoleDqnArgs, type CartPoleDqnResult, type MetricsSink } from './dqn.js';

export type WorkerMessage =
  | { kind: 'metrics'; step: number; metrics: Record<string, MetricValue> }
  | { kind: 'result'; result: CartPoleDqnResult };

export interface ParallelOptions {
  /** Worker threads; 0 runs every seed in this thread (no compiled worker file needed). */
  workers: number;
  /** Called with every metrics line of every run, tagged with the run's index in the input list. */
  onMetrics?: (run: number, step: number, metrics: Record<string, MetricValue>) => void;
}

/** Run every args (one per seed), at most `workers` at a time; results in input order. */
export async function runCartPoleSeeds(runs: readonly CartPoleDqnArgs[], options: ParallelOptions): Promise<CartPoleDqnResult[]> {
  const onMetrics = options.onMetrics ?? (() => {});
  if (options.workers === 0) {
    return runs.map((args, i) => trainCartPoleDqn(args, (step, m) => onMetrics(i, step, m)));
  }
  const results: CartPoleDqnResult[] = new Array(runs.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < runs.length) {
      const i = next++;
      results[i] = await runInWorker(runs[i], (step, m) => onMetrics(i, step, m));
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.workers, runs.length) }, lane));
  return results;
}

function runInWorker(args: CartPoleDqnArgs, onMetrics: MetricsSink): Promise<CartPoleDqnResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: { args } });
    let result: CartPoleDqnResult | null = null;
    worker.on('message', (m: WorkerMessage) => {
      if (m.kind === 'metrics') onMetrics(m.step, m.metrics);
      else result = m.result;
    });
    worker.on('error', reject);
    worker.on('exit', (code) => {
      if (result) resolve(result);
      else reject(new Error(`DQN worker for seed ${args.dqn.seed} exited with code ${code} before reporting`));
    });
  });
}
