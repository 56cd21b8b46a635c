/**
 * `pincer bench qtopt`: one JSON object with the policy and learner figures at a
 * config's network, no leaked tensors; a bad --config is a one-line usage error.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
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
  });

  it('a config with an unknown key is a one-line usage error (exit 2) naming the file and key', async () => {
    const bad = file('bad.json', JSON.stringify({ bellman: { gama: 0.9 } }));
    const r = await runCli('bench', 'qtopt', '--config', bad, '--json');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe(`pincer: ${bad}: bellman: unknown key gama`);
  });
});
