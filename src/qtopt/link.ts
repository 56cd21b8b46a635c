/**
 * The collector↔learner link: episodes in, weights out. The learner asks for
 * finished episodes and sends new weights; it never sees how collectors run.
 *
 * - K = 0 (`InlineLink`): one collector in the learner's process. Each
 *   `receive()` runs exactly one episode with the weights last sent, so a
 *   seeded run is deterministic.
 * - K > 0 (`ProcessLink`): K collector processes (collector.ts), each with its
 *   own env and a copy of the policy. Episodes arrive in completion order.
 *   Processes, not worker_threads: `gl` cannot load in a second thread.
 *
 * Either way the collector runs the CEM policy with exploration (ε-random
 * actions and Gaussian noise on CEM's choice) on the 'train' split only, and
 * sends each finished episode twice over: the raw record for the replay, and
 * PNG-encoded for the run's episodes/ dataset (so the learner never encodes).
 * A later issue can carry the same messages across machines.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { prepareEpisode, type PreparedEpisode } from '../data/index.js';
import { runEpisode, type EpisodeRecord, type GraspEnv } from '../env/index.js';
import type { SceneConfig } from '../scene/index.js';
import { QNetwork } from '../tf/index.js';
import type { QtOptConfig } from './config.js';
import { CemPolicy } from './policy.js';
import { createTrainingEnv } from './splits.js';

/** A collector process failed or exited early; the message names it. */
export class CollectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CollectorError';
  }
}

/** The online network's weights at a gradient step, by variable name. */
export interface PolicyWeights {
  step: number;
  tensors: { name: string; shape: number[]; values: Float32Array }[];
}

/** What the learner asks a collector to run: episode `index` from `seed`, with ε = `epsilon`. */
export interface EpisodeRequest {
  index: number;
  seed: number;
  epsilon: number;
}

export interface CollectedEpisode {
  index: number;
  record: EpisodeRecord;
  prepared: PreparedEpisode;
  /** Gradient step of the weights the episode ran with. */
  weightsStep: number;
}

export interface CollectorLink {
  readonly collectors: number;
  /** Finished episodes (at least one; waits for it). */
  receive(): Promise<CollectedEpisode[]>;
  /** Finished episodes that have already arrived, without waiting (none inline: nothing runs unasked). */
  poll(): CollectedEpisode[];
  /** New policy weights for every collector; each takes them before its next episode. */
  sendWeights(weights: PolicyWeights): void;
  close(): Promise<void>;
}

export interface LinkOptions {
  config: QtOptConfig;
  scene: SceneConfig;
  /** K collector processes; 0 collects inline, deterministically. */
  collectors: number;
  /** The next episode to run; the learner decides seeds and ε. */
  nextEpisode: () => EpisodeRequest;
  weights: PolicyWeights;
}

export function weightsOf(net: QNetwork, step: number): PolicyWeights {
  return {
    step,
    tensors: net.namedVariables().map(({ name, variable }) => ({ name, shape: variable.shape.slice(), values: Float32Array.from(variable.dataSync() as Float32Array) })),
  };
}

/** Assign `weights` to `net`; names and shapes must match exactly. */
export function applyWeights(net: QNetwork, weights: PolicyWeights): void {
  const vars = net.namedVariables();
  if (vars.length !== weights.tensors.length) throw new Error(`weights hold ${weights.tensors.length} tensors, the network has ${vars.length}`);
  tf.tidy(() => {
    vars.forEach(({ name, variable }, i) => {
      const t = weights.tensors[i];
      if (t.name !== name || JSON.stringify(t.shape) !== JSON.stringify(variable.shape)) {
        throw new Error(`weights tensor ${i} is ${t.name} ${JSON.stringify(t.shape)}, the network expects ${name} ${JSON.stringify(variable.shape)}`);
      }
      variable.assign(tf.tensor(t.values, t.shape));
    });
  });
}

/** One collector: an env on the train split and a private copy of the policy network. */
export class Collector {
  private readonly net: QNetwork;
  private weightsStep = -1;

  private constructor(
    private readonly env: GraspEnv,
    private readonly config: QtOptConfig,
  ) {
    this.net = new QNetwork(config.network, 0);
  }

  static async create(config: QtOptConfig, scene: SceneConfig): Promise<Collector> {
    return new Collector(await createTrainingEnv(scene, 'train'), config);
  }

  setWeights(weights: PolicyWeights): void {
    applyWeights(this.net, weights);
    this.weightsStep = weights.step;
  }

  async run(request: EpisodeRequest): Promise<CollectedEpisode> {
    const policy = new CemPolicy(this.net, this.config, { epsilon: request.epsilon, noiseStd: this.config.exploration.noiseStd });
    const { record } = runEpisode(this.env, policy, request.seed);
    return { index: request.index, record, prepared: prepareEpisode(record), weightsStep: this.weightsStep };
  }

  close(): void {
    this.env.close();
    this.net.dispose();
  }
}

/** K = 0: the collector lives in the learner's process and runs one episode per receive(). */
class InlineLink implements CollectorLink {
  readonly collectors = 0;

  constructor(
    private readonly collector: Collector,
    private readonly nextEpisode: () => EpisodeRequest,
  ) {}

  async receive(): Promise<CollectedEpisode[]> {
    return [await this.collector.run(this.nextEpisode())];
  }

  poll(): CollectedEpisode[] {
    return [];
  }

  sendWeights(weights: PolicyWeights): void {
    this.collector.setWeights(weights);
  }

  async close(): Promise<void> {
    this.collector.close();
  }
}

export type ToCollector =
  | { type: 'init'; config: QtOptConfig; scene: SceneConfig; weights: PolicyWeights }
  | { type: 'weights'; weights: PolicyWeights }
  | { type: 'episode'; request: EpisodeRequest }
  | { type: 'stop' };
export type FromCollector = { type: 'ready' } | { type: 'episode'; episode: CollectedEpisode } | { type: 'error'; message: string };

/** Episodes queued per collector: one running, one waiting, so a collector never idles on the learner. */
const PREFETCH = 2;
/** How long a collector may take to free its env after 'stop', ms. */
const STOP_GRACE_MS = 5000;

/** K > 0: collector processes. */
class ProcessLink implements CollectorLink {
  private readonly children: ChildProcess[] = [];
  private readonly exits: Promise<unknown>[] = [];
  private readonly inbox: CollectedEpisode[] = [];
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  private stopping = false;

  constructor(
    readonly collectors: number,
    private readonly options: LinkOptions,
  ) {
    for (let k = 0; k < collectors; k++) this.start(k);
  }

  private start(k: number): void {
    // 'advanced' serialization carries typed arrays (images, weights) as they are.
    const child = fork(fileURLToPath(new URL('./collector.js', import.meta.url)), [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    this.children.push(child);
    this.exits.push(new Promise((r) => child.once('exit', r)));
    child.on('error', (err) => this.fail(err));
    child.on('exit', (code, signal) => {
      if (!this.stopping) this.fail(new CollectorError(`collector ${k} exited early (${signal ?? `code ${code}`})`));
    });
    child.on('message', (msg: FromCollector) => {
      if (this.stopping) return;
      if (msg.type === 'error') return this.fail(new CollectorError(`collector ${k}: ${msg.message}`));
      if (msg.type === 'ready') {
        for (let p = 0; p < PREFETCH; p++) this.assign(child);
        return;
      }
      this.inbox.push(msg.episode);
      this.assign(child);
      this.notify();
    });
    const { config, scene, weights } = this.options;
    child.send({ type: 'init', config, scene, weights } satisfies ToCollector);
  }

  private assign(child: ChildProcess): void {
    if (!this.stopping && child.connected) child.send({ type: 'episode', request: this.options.nextEpisode() } satisfies ToCollector);
  }

  private fail(err: Error): void {
    if (this.stopping || this.failure) return;
    this.failure = err;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  async receive(): Promise<CollectedEpisode[]> {
    while (this.inbox.length === 0 && !this.failure) await new Promise<void>((r) => (this.wake = r));
    if (this.failure) throw this.failure;
    return this.inbox.splice(0);
  }

  poll(): CollectedEpisode[] {
    if (this.failure) throw this.failure;
    return this.inbox.splice(0);
  }

  sendWeights(weights: PolicyWeights): void {
    for (const child of this.children) if (child.connected) child.send({ type: 'weights', weights } satisfies ToCollector);
  }

  async close(): Promise<void> {
    this.stopping = true;
    for (const child of this.children) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      if (this.failure || !child.connected) child.kill('SIGKILL');
      else {
        child.send({ type: 'stop' } satisfies ToCollector);
        setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS).unref();
      }
    }
    await Promise.all(this.exits);
  }
}

export async function openLink(options: LinkOptions): Promise<CollectorLink> {
  if (options.collectors === 0) {
    const collector = await Collector.create(options.config, options.scene);
    collector.setWeights(options.weights);
    return new InlineLink(collector, options.nextEpisode);
  }
  return new ProcessLink(options.collectors, options);
}
