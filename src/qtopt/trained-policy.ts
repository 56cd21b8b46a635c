/**
 * A trained policy by path: a run folder (its best checkpoint on validation,
 * else its newest) or a checkpoint folder. The CEM settings come from the
 * run's config.json when the checkpoint sits in a run, else the defaults.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { SceneConfig } from '../scene/index.js';
import type { QNetwork } from '../tf/index.js';
import { loadCheckpoint } from './checkpoint.js';
import { CheckpointError } from './checkpoint-format.js';
import { resolveQtOptConfig, type QtOptConfig } from './config.js';
import { CemPolicy } from './policy.js';
import { CONFIG_FILE, RunDir, RunError } from './run.js';

export interface TrainedPolicy {
  policy: CemPolicy;
  net: QNetwork;
  config: QtOptConfig;
  /** The run's scene when the checkpoint belongs to a run. */
  scene: SceneConfig | null;
  checkpoint: string;
  step: number;
  /** The run folder the checkpoint belongs to, if any. */
  runDir: string | null;
}

/** The checkpoint a path names: `RUN` → its best (or newest) checkpoint; a checkpoint folder → itself. */
export function resolveCheckpoint(path: string): { checkpoint: string; run: RunDir | null } {
  if (!existsSync(path)) throw new CheckpointError(`${path} does not exist (expected a run folder or a checkpoint folder)`);
  if (existsSync(join(path, CONFIG_FILE))) {
    const run = RunDir.open(path);
    const best = run.readBest();
    const steps = run.checkpointSteps();
    const step = best?.step ?? steps[steps.length - 1];
    if (step === undefined) throw new RunError(`${path} has no checkpoint yet`);
    return { checkpoint: run.checkpointDir(step), run };
  }
  // checkpoints/step-N inside a run folder: the run's config gives the CEM settings.
  const runDir = dirname(dirname(path));
  const inRun = basename(dirname(path)) === 'checkpoints' && existsSync(join(runDir, CONFIG_FILE));
  return { checkpoint: path, run: inRun ? RunDir.open(runDir) : null };
}

/** A CEM policy's search: samples, elites (≤ samples) and iterations, as `S/E/I`. */
export interface PolicySearch {
  readonly samples: number;
  readonly elites: number;
  readonly iterations: number;
}

export const describeSearch = (s: PolicySearch): string => `${s.samples}/${s.elites}/${s.iterations}`;

export interface LoadPolicyOptions {
  /** Act with this search instead of the config's (cem.policySamples/policyElites/policyIterations). */
  search?: PolicySearch;
}

export function loadTrainedPolicy(path: string, options: LoadPolicyOptions = {}): TrainedPolicy {
  const { checkpoint, run } = resolveCheckpoint(path);
  const saved = run?.readConfig() as { qtopt?: Record<string, unknown>; scene?: SceneConfig } | undefined;
  const source = run ? join(run.dir, CONFIG_FILE) : checkpoint;
  // Inside a run, the checkpoint must fit the run's network; a bare checkpoint brings its own.
  const expected = saved?.qtopt !== undefined ? resolveQtOptConfig(saved.qtopt, source).network : undefined;
  const { net, meta } = loadCheckpoint(checkpoint, expected);
  const { search } = options;
  const cem = { ...((saved?.qtopt?.cem as object | undefined) ?? {}), ...(search ? { policySamples: search.samples, policyElites: search.elites, policyIterations: search.iterations } : {}) };
  const config: QtOptConfig = resolveQtOptConfig({ ...(saved?.qtopt ?? {}), cem, network: { ...net.config, convs: [...net.config.convs] } }, source);
  return { policy: new CemPolicy(net, config, { epsilon: 0, noiseStd: 0 }), net, config, scene: saved?.scene ?? null, checkpoint, step: meta.step, runDir: run?.dir ?? null };
}
