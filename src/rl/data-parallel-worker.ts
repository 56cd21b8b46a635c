/**
 * Worker-thread entry of DataParallelLearner: its own tfjs-wasm instance and a
 * copy of the network; per request, the weights are assigned and one shard's
 * gradients go back. Posts one message when ready.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initBackend, QNetwork, type QNetConfig } from '../tf/node.js';
import { NonFiniteLossError } from './learner.js';
import { assignFlatWeights, shardGradients, type ShardReply, type ShardRequest } from './data-parallel.js';

if (!parentPort) throw new Error('rl/data-parallel-worker.js must run in a worker thread');
const port = parentPort;
await initBackend();
const { config } = workerData as { config: QNetConfig };
// The seed is irrelevant: every request carries the weights.
const net = new QNetwork(config, 0);
port.on('message', (request: ShardRequest) => {
  let reply: ShardReply;
  try {
    assignFlatWeights(net.variables, request.weights);
    reply = { ...shardGradients(net, request), numTensors: tf.memory().numTensors };
  } catch (err) {
    const nonFinite = err instanceof NonFiniteLossError;
    reply = { grads: new Float32Array(0), loss: nonFinite ? err.loss : NaN, penalty: NaN, tdErrors: new Float32Array(0), error: err instanceof Error ? err.message : String(err), nonFinite };
  }
  port.postMessage(reply, [reply.grads.buffer as ArrayBuffer, reply.tdErrors.buffer as ArrayBuffer]);
});
port.postMessage('ready');
