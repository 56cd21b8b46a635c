/**
 * Worker-thread entry: trains one CartPole DQN run and posts its metrics lines
 * and result back. tfjs state is per thread, so each worker initialises its own backend.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../../tf/node.js';
import { trainCartPoleDqn, type CartPoleDqnArgs } from './dqn.js';
import type { WorkerMessage } from './parallel.js';

if (!parentPort) throw new Error('rl/dqn/worker.js must run in a worker thread');
const port = parentPort;
const post = (message: WorkerMessage) => port.postMessage(message);
await initBackend();
const { args } = workerData as { args: CartPoleDqnArgs };
const result = trainCartPoleDqn(args, (step, metrics) => post({ kind: 'metrics', step, metrics }));
post({ kind: 'result', result });
