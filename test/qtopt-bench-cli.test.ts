/**
 * `pincer bench qtopt`: one JSON object with the policy and learner figures at a
 * config's network, no leaked tensors; a bad --config is a one-line usage error.
 * `pincer bench grasp`: held-out loss and AUC per collecting policy on a real dataset,
 * and `--init` checking a saved network as it is.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DatasetReader } from '../src/data/index.js';
import { LIBRARY_VERSION } from '../src/objects/index.js';
import { saveCheckpoint } from '../src/qtopt/checkpoint.js';
import { initBackend, QNetwork } from '../src/tf/node.js';
import { cli, ensureBuilt } from './built-cli.js';
import { runCli } from './cli-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'pincer-bench-qtopt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('pincer bench qtopt', () => {
  it('prints policy ms per step and learner step ms for the config’s network', async () => {
    const config = file('tiny.json', JSON.stringify({ network: { imageHeight: 16, imageWidth: 16, convs: [{ filters: 4, kernelSize: 3, stride: 2 }], actionUnits: 8, headUnits: 8 }, replay: { batchSize: 8 }, train: { learningStarts: 8 } }));
    const r = await runCli('bench', 'qtopt', '--config', config, '--iters', '2', '--warmup', '1', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.image).toBe('16x16x3');
    expect(out.batch).toBe(8);
    expect(out.cem).toBe('64/6/2');
    expect(out.value_nets).toBe(2);
    for (const key of ['policy_ms_per_step', 'bellman_targets_ms', 'learner_step_ms', 'learner_step_cpu_ms']) expect(out[key]).toBeGreaterThan(0);
    expect(out.tensors_leaked).toBe(0);
    // 1-step targets on 20-step episodes: all but the final step bootstrap.
    expect(out.episode_steps).toBe(20);
    expect(out.bootstrap_share).toBeGreaterThan(0.85);
  });

  it('with n-step returns as long as --episode-steps no target bootstraps', async () => {
    const config = file('mc.json', JSON.stringify({ network: { imageHeight: 16, imageWidth: 16, convs: [{ filters: 4, kernelSize: 3, stride: 2 }], actionUnits: 8, headUnits: 8 }, replay: { batchSize: 8 }, train: { learningStarts: 8 }, bellman: { nStep: 4 } }));
    const r = await runCli('bench', 'qtopt', '--config', config, '--episode-steps', '4', '--iters', '2', '--warmup', '1', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect([out.episode_steps, out.n_step, out.bootstrap_share]).toEqual([4, 4, 0]);
    expect(out.tensors_leaked).toBe(0);
  });

  it('an --episode-steps beyond 100 is a one-line usage error (exit 2)', async () => {
    const r = await runCli('bench', 'qtopt', '--episode-steps', '5000', '--json');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe('pincer: --episode-steps must be at most 100, got 5000');
  });

  it('a config with an unknown key is a one-line usage error (exit 2) naming the file and key', async () => {
    const bad = file('bad.json', JSON.stringify({ bellman: { gama: 0.9 } }));
    const r = await runCli('bench', 'qtopt', '--config', bad, '--json');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe(`pincer: ${bad}: bellman: unknown key gama`);
  });

  it('a config that extends itself is a one-line usage error naming --config and the chain', async () => {
    const first = file('first.json', JSON.stringify({ extends: 'second.json' }));
    file('second.json', JSON.stringify({ extends: 'first.json', bellman: { gamma: 0.8 } }));
    const r = await runCli('bench', 'qtopt', '--config', first, '--json');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^pincer: --config .*first\.json: extends itself \(.*first\.json → .*second\.json → .*first\.json\)\n$/);
  });
});

describe('pincer bench grasp', () => {
  it('trains on a dataset’s final grasps and reports held-out loss and AUC overall and within each policy', async () => {
    ensureBuilt('dist/data/collect-worker.js', ['src/data']);
    const scene = file('scene.json', JSON.stringify({ camera: { width: 16, height: 16 }, objects: { count: 2 } }));
    const data = join(dir, 'grasps');
    // Collector processes run the built CLI's worker.
    const collected = cli(['collect', '--policy', 'mixture:scripted=0.5,random+close:0=0.5', '--episodes', '40', '--scene', scene, '--out', data, '--seed', '2', '--json']);
    expect(collected.status, collected.stderr).toBe(0);
    const config = file('net16.json', JSON.stringify({ network: { imageHeight: 16, imageWidth: 16, convs: [{ filters: 4, kernelSize: 3, stride: 2 }], actionUnits: 8, headUnits: 8 }, replay: { batchSize: 8 } }));
    const r = await runCli('bench', 'grasp', '--dataset', data, '--config', config, '--steps', '6', '--eval-every', '3', '--holdout', '0.25', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect([out.train_episodes, out.held_out_episodes]).toEqual([30, 10]);
    expect(out.evaluations.map((e: { step: number }) => e.step)).toEqual([0, 3, 6]);
    for (const e of out.evaluations) {
      expect(e.held_out_loss).toBeGreaterThan(0);
      expect(Object.keys(e.auc_within).sort()).toEqual(['random', 'scripted']);
    }
    expect(out.prior_loss).toBeGreaterThan(0);
    // Scripted grasps succeed and random ones rarely do, so there is something to rank.
    expect(out.train_success_rate).toBeGreaterThan(0.2);
    expect(out.evaluations.at(-1).auc).toBeGreaterThanOrEqual(0);
    expect(out.tensors_leaked).toBe(0);
    // The approach check on the same data: each of the first 2 steps twice, with its own move and another episode's.
    const approach = await runCli('bench', 'grasp', '--dataset', data, '--config', config, '--approach', '2', '--steps', '4', '--eval-every', '4', '--holdout', '0.25', '--json');
    expect(approach.code, approach.stderr).toBe(0);
    const a = JSON.parse(approach.stdout);
    expect([a.check, a.approach_steps, a.train_episodes, a.held_out_episodes]).toEqual(['approach', 2, 30, 10]);
    const firstSteps = DatasetReader.open(data).entries.map((e) => Math.min(2, e.length - 1));
    const held = firstSteps.slice(30).reduce((n, k) => n + k, 0);
    expect(a.held_out_examples).toBe(2 * held);
    expect(a.train_examples).toBe(2 * firstSteps.slice(0, 30).reduce((n, k) => n + k, 0));
    expect(a.train_success_rate).toBe(0.5);
    expect(a.evaluations.map((e: { step: number }) => e.step)).toEqual([0, 4]);
    expect(a.tensors_leaked).toBe(0);
    // --init: a saved network, of another config than --config's, checked as it is on the same examples.
    await initBackend();
    const network = { imageHeight: 16, imageWidth: 16, imageChannels: 3, convs: [{ filters: 4, kernelSize: 3, stride: 1, pool: 2 }], stateDim: 3, actionDim: 6, actionUnits: 8, headUnits: 8, features: 'keypoints' as const };
    let params = 0;
    const save = async (name: string, seed: number) => {
      const net = new QNetwork(network, seed);
      await saveCheckpoint(join(dir, name), net, { step: 1, envSteps: 0, validationSuccess: null, libraryVersion: LIBRARY_VERSION, configHash: 'test' });
      params = net.paramCount;
      net.dispose();
      return join(dir, name);
    };
    const [checkpoint, other] = [await save('ckpt', 7), await save('ckpt-other', 8)];
    const check = (...flags: string[]) => runCli('bench', 'grasp', '--dataset', data, '--config', config, '--approach', '2', '--steps', '0', '--holdout', '0.25', '--json', ...flags);
    const [initial, otherWeights, fresh] = [await check('--init', checkpoint), await check('--init', other), await check()].map((r) => {
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout);
    });
    expect([initial.init, initial.features, initial.params, initial.ms_per_step, initial.evaluations.length]).toEqual([checkpoint, 'keypoints', params, null, 1]);
    expect(initial.held_out_examples).toBe(fresh.held_out_examples);
    expect(initial.evaluations[0].held_out_loss).not.toBe(otherWeights.evaluations[0].held_out_loss);
    const missing = await check('--init', join(dir, 'no-such-run'));
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/--init .*no-such-run/);
    const wrongSize = await runCli('bench', 'grasp', '--dataset', data, '--json');
    expect(wrongSize.code).toBe(2);
    expect(wrongSize.stderr.trim().split('\n')).toHaveLength(1);
    expect(wrongSize.stderr).toMatch(/64/);
  }, 120_000);
});
