/**
 * `pincer train` through the built CLI, as separate processes: a run killed
 * with SIGKILL resumes from its newest checkpoint and finishes, losing at most
 * the steps since that checkpoint; Ctrl-C loses nothing, in the bootstrap
 * collection too; a finished run trains on with a larger --steps; and a short online
 * run with one collector process goes end to end.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetReader } from '../src/data/index.js';
import { cli, ensureBuilt, repo } from './built-cli.js';
import { TINY, TINY_SCENE } from './qtopt-tiny.js';

const root = mkdtempSync(join(tmpdir(), 'pincer-train-proc-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const scene = join(root, 'tiny-scene.json');
writeFileSync(scene, JSON.stringify(TINY_SCENE));
const config = join(root, 'tiny.json');
// 240 steps, a checkpoint every 40: room to be killed mid-run.
writeFileSync(config, JSON.stringify({ ...TINY, train: { ...TINY.train, onlineSteps: 240, evalPeriod: 120, checkpointPeriod: 40 } }));

// The CLI and its collector processes run from dist/.
beforeAll(() => ensureBuilt('dist/qtopt/collector.js', ['src']), 180_000);

const metrics = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { step: number; [k: string]: unknown });

const checkpoints = (dir: string) => (existsSync(join(dir, 'checkpoints')) ? readdirSync(join(dir, 'checkpoints')).filter((n) => /^step-\d+$/.test(n)) : []);

describe('pincer train (processes)', () => {
  it('survives kill -9 and resumes from the newest checkpoint to the end', async () => {
    const dir = join(root, 'crash');
    const args = ['train', '--out', dir, '--config', config, '--scene', scene, '--seed', '1', '--collectors', '0', '--json'];
    const child = spawn(process.execPath, [join(repo, 'bin/pincer.js'), ...args], { cwd: repo, stdio: 'ignore' });
    const exited = new Promise((r) => child.once('exit', r));
    // Kill once the second checkpoint is there, mid-run.
    for (let i = 0; i < 1200 && checkpoints(dir).length < 2 && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await exited;
    const steps = checkpoints(dir).map((n) => Number(n.slice(5)));
    expect(steps.length).toBeGreaterThanOrEqual(2);
    const newest = Math.max(...steps);
    expect(newest).toBeLessThan(240);
    const episodesBefore = DatasetReader.open(join(dir, 'episodes')).totalEpisodes;

    const resumed = cli([...args, '--resume']);
    expect(resumed.status, resumed.stderr).toBe(0);
    const out = JSON.parse(resumed.stdout);
    expect(out.resumed_from_step).toBe(newest);
    expect(out.steps).toBe(240);
    // The episodes collected before the kill are kept and refill the replay.
    expect(out.online_episodes).toBeGreaterThanOrEqual(episodesBefore);
    const rows = metrics(dir);
    const stepsLogged = rows.filter((r) => 'losses/td_loss' in r).map((r) => r.step);
    // Logged once per 10 steps, no step twice, none missing: the steps after the checkpoint were redone.
    expect(stepsLogged).toEqual(Array.from({ length: 24 }, (_, i) => (i + 1) * 10));
    expect(checkpoints(dir)).toContain('step-00000240');
  });

  it('stops on Ctrl-C after the current gradient step, checkpointed, and --resume finishes', async () => {
    const dir = join(root, 'interrupt');
    const args = ['train', '--out', dir, '--config', config, '--scene', scene, '--seed', '1', '--collectors', '0', '--json'];
    const child = spawn(process.execPath, [join(repo, 'bin/pincer.js'), ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    for (let i = 0; i < 1200 && checkpoints(dir).length < 1 && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.interrupted).toBe(true);
    expect(out.steps).toBeLessThan(240);
    // The steps taken are all kept: a checkpoint at the very step it stopped.
    expect(checkpoints(dir)).toContain(`step-${String(out.steps).padStart(8, '0')}`);
    // As a build from before the conservative penalty saved it: settings added since, at their defaults, still resume.
    const saved = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    delete saved.qtopt.optimizer.conservativeWeight;
    delete saved.qtopt.optimizer.conservativeActions;
    delete saved.qtopt.optimizer.conservativeContrasts;
    writeFileSync(join(dir, 'config.json'), JSON.stringify(saved, null, 2));
    const resumed = cli([...args, '--resume']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ resumed_from_step: out.steps, steps: 240, interrupted: false });
    // A finished run trains on with a larger --steps, and config.json says so; one that would end before its step is refused.
    const shorter = cli([...args, '--steps', '200', '--resume']);
    expect(shorter.status).toBe(2);
    expect(shorter.stderr.trim()).toBe(`pincer: ${dir} is at gradient step 240; a run of 200 steps would end before it (--steps must be at least 240)`);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).qtopt.train.onlineSteps).toBe(240); // the refusal wrote nothing
    const longer = cli([...args, '--steps', '280', '--resume']);
    expect(longer.status, longer.stderr).toBe(0);
    expect(JSON.parse(longer.stdout)).toMatchObject({ resumed_from_step: 240, steps: 280, interrupted: false });
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).qtopt.train.onlineSteps).toBe(280);
    expect(checkpoints(dir)).toContain('step-00000280');
  });

  it('stops on Ctrl-C in the bootstrap collection, keeping its episodes, and --resume collects the rest and trains', async () => {
    const dir = join(root, 'bootstrap');
    const bootstrapConfig = join(root, 'tiny-bootstrap.json');
    // Scripted episodes collected into the run first, then 20 offline steps on them.
    writeFileSync(bootstrapConfig, JSON.stringify({ ...TINY, train: { ...TINY.train, bootstrapScriptedEpisodes: 60, offlineSteps: 20, onlineSteps: 0, evalPeriod: 0, checkpointPeriod: 20 } }));
    const scripted = join(dir, 'bootstrap/scripted');
    const args = ['train', '--out', dir, '--config', bootstrapConfig, '--scene', scene, '--seed', '4', '--collectors', '1', '--json'];
    // Its own process group, so Ctrl-C reaches the collector process too, as in a terminal.
    const child = spawn(process.execPath, [join(repo, 'bin/pincer.js'), ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    const chunk = join(scripted, 'data/chunk-000');
    const written = () => (existsSync(chunk) ? readdirSync(chunk).filter((f) => /^episode_\d+\.parquet$/.test(f)).length : 0);
    for (let i = 0; i < 1200 && written() < 2 && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 50));
    process.kill(-child.pid!, 'SIGINT');
    expect(await exited).toBe(0);
    const out = JSON.parse(stdout);
    expect(out).toMatchObject({ steps: 0, interrupted: true });
    const kept = written();
    expect(kept).toBeGreaterThanOrEqual(2);
    expect(kept).toBeLessThan(60);
    expect(DatasetReader.open(scripted).totalEpisodes).toBe(kept);
    // No collector died with a stack trace when its parent stopped.
    expect(stderr).not.toMatch(/EPIPE|\n\s+at /);
    const resumed = cli([...args, '--resume']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ steps: 20, interrupted: false, offline: { episodes: 60 } });
    expect(DatasetReader.open(scripted).entries.map((e) => e.episode_index)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    // Resumed once it is complete, it loads no episode into the replay: an episode it cannot read goes unnoticed.
    const transitions = JSON.parse(resumed.stdout).offline.transitions;
    const torn = join(chunk, 'episode_000005.parquet');
    const bytes = readFileSync(torn);
    bytes.fill(0, 64, 320); // in its frames, far from its footer
    writeFileSync(torn, bytes);
    const complete = cli([...args, '--resume']);
    expect(complete.status, complete.stderr).toBe(0);
    expect(JSON.parse(complete.stdout)).toMatchObject({ steps: 20, resumed_from_step: 20, interrupted: false, offline: { episodes: 60, transitions } });
  });

  it('bootstraps from the aimed reach, and trains a lookup network on it (the scene\'s camera in its checkpoint)', () => {
    const dir = join(root, 'aimed');
    const aimedConfig = join(root, 'tiny-aimed.json');
    writeFileSync(
      aimedConfig,
      JSON.stringify({
        ...TINY,
        network: { ...TINY.network, stateDim: 6, lookup: { channels: 2 } },
        train: { ...TINY.train, bootstrapAimedEpisodes: 6, bootstrapAimSpread: 0.02, offlineSteps: 20, onlineSteps: 0, evalPeriod: 0, checkpointPeriod: 20 },
      }),
    );
    const r = cli(['train', '--out', dir, '--config', aimedConfig, '--scene', scene, '--seed', '3', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(join(dir, 'bootstrap'))).toEqual(['aimed']);
    expect(DatasetReader.open(join(dir, 'bootstrap/aimed')).totalEpisodes).toBe(6);
    expect(JSON.parse(readFileSync(join(dir, 'bootstrap/aimed/meta/pincer.json'), 'utf8')).source.policy).toBe('reach+aim:0.02');
    const model = JSON.parse(readFileSync(join(dir, 'checkpoints/step-00000020/model.json'), 'utf8'));
    expect(model.network.lookup).toMatchObject({ channels: 2, layers: [0], moveScale: 0.05, positionUnit: 0.1 });
    expect(model.network.lookup.camera).toHaveLength(12);
  });

  it('runs online with one collector process end to end', () => {
    const dir = join(root, 'online');
    const r = cli(['train', '--out', dir, '--config', config, '--scene', scene, '--seed', '2', '--collectors', '1', '--steps', '120', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.steps).toBe(120);
    expect(out.online_episodes).toBeGreaterThan(0);
    const reader = DatasetReader.open(join(dir, 'episodes'));
    expect(reader.totalEpisodes).toBe(out.online_episodes);
    expect(reader.entries.every((e) => e.split === 'train')).toBe(true);
    // Env steps grow as episodes arrive; episodes that arrive after the last logged step still count.
    const logged = metrics(dir).filter((row) => 'losses/td_loss' in row).map((row) => row['charts/env_steps'] as number);
    expect(logged).toEqual([...logged].sort((a, b) => a - b));
    expect(logged[logged.length - 1]).toBeLessThanOrEqual(out.online_env_steps);
    expect(reader.totalFrames).toBe(out.online_env_steps);
  });
});
