/**
 * The run folder (src/qtopt/run.ts) and the evaluation tables (evaluate.ts),
 * with answers worked out by hand.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { calibrationTable } from '../src/qtopt/evaluate.js';
import { RunDir, RunError, checkpointName } from '../src/qtopt/run.js';

const root = mkdtempSync(join(tmpdir(), 'pincer-run-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('RunDir', () => {
  it('refuses to create into a non-empty folder and to resume with another config, naming the keys; the folder is unchanged', () => {
    const dir = join(root, 'a');
    const config = { seed: 1, qtopt: { optimizer: { lr: 0.001 } } };
    RunDir.create(dir, config);
    const before = readFileSync(join(dir, 'config.json'), 'utf8');
    expect(() => RunDir.create(dir, config)).toThrow(/already exists and is not empty \(add --resume/);
    expect(() => RunDir.resume(dir, { seed: 2, qtopt: { optimizer: { lr: 0.01 } } })).toThrow(RunError);
    expect(() => RunDir.resume(dir, { seed: 2, qtopt: { optimizer: { lr: 0.01 } } })).toThrow(/differs from this command's config in qtopt\.optimizer\.lr, seed;/);
    expect(readFileSync(join(dir, 'config.json'), 'utf8')).toBe(before);
    expect(() => RunDir.resume(dir, config)).not.toThrow();
    expect(() => RunDir.resume(join(root, 'nothing'), config)).toThrow(/not a training run/);
    // A setting this build added, at its default: filled into the saved config, so not a difference.
    const newer = { seed: 1, qtopt: { optimizer: { lr: 0.001, penalty: 0 } } };
    expect(() => RunDir.resume(dir, newer)).toThrow(/differs from this command's config in qtopt\.optimizer\.penalty;/);
    const fill = (saved: unknown) => ({ ...(saved as typeof config), qtopt: { optimizer: { penalty: 0, ...(saved as typeof config).qtopt.optimizer } } });
    expect(() => RunDir.resume(dir, newer, { withDefaults: fill })).not.toThrow();
    expect(() => RunDir.resume(dir, { ...newer, qtopt: { optimizer: { lr: 0.001, penalty: 1 } } }, { withDefaults: fill })).toThrow(/in qtopt\.optimizer\.penalty;/);
  });

  it('reports the keys allowed to change instead of refusing them, and leaves config.json to the caller', () => {
    const dir = join(root, 'length');
    const config = { seed: 1, qtopt: { train: { onlineSteps: 5 } } };
    RunDir.create(dir, config);
    const before = readFileSync(join(dir, 'config.json'), 'utf8');
    const longer = { seed: 1, qtopt: { train: { onlineSteps: 9 } } };
    const mayChange = ['qtopt.train.onlineSteps'];
    expect(RunDir.resume(dir, config, { mayChange }).changed).toEqual([]);
    expect(() => RunDir.resume(dir, longer)).toThrow(/in qtopt\.train\.onlineSteps;/);
    expect(RunDir.resume(dir, longer, { mayChange }).changed).toEqual(['qtopt.train.onlineSteps']);
    expect(() => RunDir.resume(dir, { ...longer, seed: 2 }, { mayChange })).toThrow(/differs from this command's config in seed;/);
    expect(readFileSync(join(dir, 'config.json'), 'utf8')).toBe(before);
  });

  it('keeps the last K checkpoints plus the best, and sweeps temp folders', () => {
    const run = RunDir.create(join(root, 'b'), {});
    for (const s of [10, 20, 30, 40, 50]) mkdirSync(run.checkpointDir(s), { recursive: true });
    mkdirSync(join(run.checkpointsDir, `${checkpointName(60)}.tmp-123-0`));
    mkdirSync(join(run.checkpointsDir, `${checkpointName(30)}.old-123-1`));
    run.writeBest(20, 0.5);
    run.pruneCheckpoints(2);
    expect(readdirSync(run.checkpointsDir).sort()).toEqual(['best.json', checkpointName(20), checkpointName(40), checkpointName(50)]);
    expect(run.checkpointSteps()).toEqual([20, 40, 50]);
    expect(run.readBest()).toEqual({ step: 20, validationSuccess: 0.5 });
  });

  it('truncates metrics after the resume step, dropping a torn last line', () => {
    const run = RunDir.create(join(root, 'c'), {});
    writeFileSync(run.metricsPath, '{"step":0,"a/b":1}\n{"step":10,"a/b":2}\n{"step":20,"a/b":3}\n{"step":30,"a/');
    expect(run.readMetrics().map((r) => r.step)).toEqual([0, 10, 20]);
    run.truncateMetrics(10);
    expect(readFileSync(run.metricsPath, 'utf8')).toBe('{"step":0,"a/b":1}\n{"step":10,"a/b":2}\n');
    run.truncateMetrics(-1);
    expect(readFileSync(run.metricsPath, 'utf8')).toBe('');
    expect(existsSync(`${run.metricsPath}.tmp-${process.pid}`)).toBe(false);
  });
});

describe('evaluation tables', () => {
  it('bins first-step predictions and compares them with realized success', () => {
    const e = (p: number | null, success: boolean) => ({ predictedSuccess: p, success });
    // Bin 0 [0, 0.2): 0.1 fail, 0.15 fail -> realized 0. Bin 4 [0.8, 1]: 0.9 ok, 1.0 ok, 0.85 fail -> 2/3.
    const table = calibrationTable([e(0.1, false), e(0.15, false), e(0.9, true), e(1, true), e(0.85, false), e(null, true)]);
    expect(table.map((b) => b.episodes)).toEqual([2, 0, 0, 0, 3]);
    expect(table[0].realized).toBe(0);
    expect(table[0].mean_predicted).toBeCloseTo(0.125, 12);
    expect(table[4].realized).toBeCloseTo(2 / 3, 12);
    expect(table[4].mean_predicted).toBeCloseTo(0.9166666666666666, 12);
    expect(table[1].realized).toBeNull();
    expect(calibrationTable([e(null, true)])).toEqual([]);
  });
});
