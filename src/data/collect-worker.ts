/**
 * A collector process: owns one GraspEnv and one policy, runs the episodes the
 * parent assigns (episode i from seed deriveSeed(S, i)), PNG-encodes them and
 * sends them back. Writing stays in the parent, in index order.
 */
import { createEnvFor, runEpisode, type GraspEnv, type Policy } from '../env/node.js';
import { prepareEpisode } from './episode.js';
import { cpuMs } from './writer.js';
import { buildPolicy, parsePolicySpec } from './policy-spec.js';
import type { CollectWorkerConfig, FromWorker, ToWorker } from './collect.js';

if (!process.send) throw new Error('collect-worker runs only as a child process forked by collect()');

function post(message: FromWorker): void {
  // A parent that quit mid-episode has closed the channel: the callback takes the EPIPE that would otherwise crash us with a stack trace.
  if (process.connected) process.send!(message, undefined, {}, (err) => err && process.exit(0));
}

function makeEnv(config: CollectWorkerConfig): Promise<GraspEnv> {
  const { scene, split, objectsDir } = config;
  return createEnvFor(scene, objectsDir === null ? { split } : { objectsDir });
}

/**
 * The policy a spec names. A checkpoint loads the trained agent (greedy CEM) on this
 * process's tfjs backend; only then are the agent and tfjs imported, so built-in
 * collectors stay free of them.
 */
async function loadPolicy(text: string, scene: CollectWorkerConfig['scene']): Promise<Policy> {
  const spec = parsePolicySpec(text);
  if (spec.kind !== 'checkpoint') return buildPolicy(spec, scene);
  const [{ initBackend }, { loadTrainedPolicy }] = await Promise.all([import('../tf/node.js'), import('../qtopt/node.js')]);
  await initBackend();
  return loadTrainedPolicy(spec.path).policy;
}

const describe = (err: unknown) => (err instanceof Error ? err.message : String(err));

// The parent is gone (finished, or killed): nothing is left to collect for.
process.on('disconnect', () => process.exit(0));
// Ctrl-C reaches the whole process group; the parent decides when collectors stop (a training run keeps what it has first).
process.on('SIGINT', () => {});

let env: GraspEnv | null = null;
/** When the previous episode was sent back: the gap to the next one's start is time spent waiting for work. */
let lastSent: number | null = null;
let policy: Policy | null = null;
// Messages are handled one at a time, in the order they arrived.
let queue = Promise.resolve();

process.on('message', (msg: ToWorker) => {
  queue = queue
    .then(async () => {
      if (msg.type === 'init') {
        env = await makeEnv(msg.config);
        policy = await loadPolicy(msg.config.policy, msg.config.scene);
        post({ type: 'ready' });
      } else if (msg.type === 'episode') {
        if (!env || !policy) throw new Error('episode before init');
        const t0 = performance.now();
        const waitMs = lastSent === null ? 0 : t0 - lastSent;
        const cpu0 = process.cpuUsage();
        const { record } = runEpisode(env, policy, msg.seed);
        const t1 = performance.now();
        const envCpuMs = cpuMs(process.cpuUsage(cpu0));
        const cpu1 = process.cpuUsage();
        const prepared = prepareEpisode(record);
        post({
          type: 'episode',
          index: msg.index,
          prepared,
          envMs: t1 - t0,
          envCpuMs,
          prepareMs: performance.now() - t1,
          prepareCpuMs: cpuMs(process.cpuUsage(cpu1)),
          waitMs,
          rss: process.memoryUsage().rss,
        });
        lastSent = performance.now();
      } else {
        env?.close();
        process.disconnect();
      }
    })
    .catch((err: unknown) => post({ type: 'error', message: describe(err) }));
});
