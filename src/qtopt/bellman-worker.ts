/**
 * Worker-thread entry of BellmanUpdater: its own tfjs instance (with the native
 * kernels where this thread's has them, each on one thread) and the target chain.
 * Posts 'ready', then answers each targets request in order with the chunks it
 * claimed (the learner's thread computes the others); syncs replace the chain's weights.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { assignFlatWeights } from '../rl/node.js';
import { initBackend, nativeKernelsInUse, QNetwork, withClaimedCore } from '../tf/node.js';
import { bellmanNetsOf, bellmanSettingsOf, chunkTargets, type ChunkResult, type UpdaterReply, type UpdaterRequest } from './bellman-updater.js';
import type { QtOptConfig } from './config.js';

if (!parentPort) throw new Error('qtopt/bellman-worker.js must run in a worker thread');
const port = parentPort;
await initBackend();
const { config } = workerData as { config: QtOptConfig };
// θ̄, then θ̄₁ and θ̄₂ under clipped double Q; the seed is irrelevant, every sync carries the weights.
const chain = Array.from({ length: config.bellman.clippedDoubleQ ? 3 : 1 }, () => new QNetwork(config.network, 0));
const nets = bellmanNetsOf(chain[0]!, chain.slice(1), config.bellman.argmaxNet);
const settings = bellmanSettingsOf(config);
port.on('message', (request: UpdaterRequest) => {
  if (request.kind === 'sync') {
    chain.forEach((net, i) => assignFlatWeights(net.variables, request.chain[i]!));
    return;
  }
  let reply: UpdaterReply;
  try {
    const { rows, chunks, claims } = request;
    const computed: ChunkResult[] = [];
    // While it computes, this thread holds a core: the learner's kernels then leave their helper
    // idle, and take it back once the worker has caught up.
    withClaimedCore(() => {
      for (let i = Atomics.add(claims, 0, 1); i < chunks.length; i = Atomics.add(claims, 0, 1)) {
        computed.push({ index: i, targets: chunkTargets(config, rows, chunks[i]!, nets, settings) });
      }
    });
    reply = { kind: 'targets', id: request.id, computed, numTensors: tf.memory().numTensors };
  } catch (err) {
    reply = { kind: 'error', id: request.id, message: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(reply);
});
port.postMessage({ kind: 'ready', native: nativeKernelsInUse() } satisfies UpdaterReply);
