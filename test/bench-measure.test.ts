/**
 * One way to time, round and report the machine's load across `pincer bench`:
 * the helper (src/cli/bench-measure.ts), and every bench's JSON carrying the
 * load as `load_average_1m: [start, end]`.
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clock, descendantsCpuMs, medianTime, round, since, trackLoad } from '../src/cli/bench-measure.js';
import { runCli } from './cli-harness.js';

const commands = resolve(import.meta.dirname, '../src/cli/commands');

function spin(ms: number): void {
  for (const end = performance.now() + ms; performance.now() < end; );
}

describe('bench-measure', () => {
  it('rounds to 3 decimals unless told otherwise', () => {
    expect(round(1.23456)).toBe(1.235);
    expect(round(1.23456, 1)).toBe(1.2);
  });

  it('times wall and CPU together; medianTime skips the warm-up calls', async () => {
    const t = clock();
    spin(30);
    const d = since(t);
    expect(d.wall).toBeGreaterThanOrEqual(30);
    expect(d.cpu).toBeGreaterThan(0);
    expect(d.cpu).toBeLessThan(d.wall + 20);
    let calls = 0;
    const m = await medianTime(3, 2, () => {
      spin(++calls <= 2 ? 60 : 5);
    });
    expect(calls).toBe(5);
    expect(m.wall).toBeGreaterThanOrEqual(5);
    expect(m.wall).toBeLessThan(60);
  });

  it('counts the CPU of live child processes and theirs (a browser and its GPU process), not its own', async () => {
    const before = descendantsCpuMs();
    spin(100);
    expect(descendantsCpuMs() - before).toBeLessThan(50);
    // A grandchild (node under sh) that burns 300 ms of CPU, then idles until killed.
    const burn = 'const t = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1000; }; while (t() < 300); setTimeout(() => {}, 10000);';
    // Its own process group, so the kill below ends the grandchild too.
    const child = spawn('sh', ['-c', `${JSON.stringify(process.execPath)} -e ${JSON.stringify(burn)}`], { stdio: 'ignore', detached: true });
    try {
      let used = 0;
      for (const end = Date.now() + 5000; Date.now() < end && used < 290; await new Promise((r) => setTimeout(r, 50))) used = descendantsCpuMs() - before;
      expect(used).toBeGreaterThanOrEqual(290);
      expect(used).toBeLessThan(1000);
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
    }
  });

  it('reports the load at the start and the end under one name', () => {
    const field = trackLoad().end();
    expect(Object.keys(field)).toEqual(['load_average_1m']);
    expect(field.load_average_1m).toHaveLength(2);
    for (const x of field.load_average_1m) expect(x).toBe(round(x, 2));
  });

  it('no bench command reads the load or names the field itself', () => {
    const benches = readdirSync(commands).filter((f) => f.startsWith('bench'));
    expect(benches.length).toBeGreaterThan(8);
    for (const f of benches) {
      const text = readFileSync(join(commands, f), 'utf8');
      expect(text, f).not.toMatch(/loadavg\(|load_average|cpuUsage\(/);
    }
  });
});

describe('bench JSON', () => {
  const runs: [string, string[]][] = [
    ['sim', ['--episodes', '1', '--steps', '1']],
    ['replay', ['--capacity', '200', '--image', '8', '--iters', '2', '--no-save']],
    ['fqi', ['--max-iterations', '1', '--fit-steps', '1']],
    ['train', ['--iters', '1', '--warmup', '0']],
    ['render', ['--sizes', '16', '--frames', '1', '--episodes', '2']],
    ['env', ['--episodes', '1', '--warmup', '0']],
    ['qtopt', ['--iters', '1', '--warmup', '0']],
  ];
  for (const [name, args] of runs) {
    it(`bench ${name} carries load_average_1m: [start, end]`, async () => {
      const run = await runCli('bench', name, ...args, '--json');
      expect(run.code, run.stderr).toBe(0);
      const json = JSON.parse(run.stdout);
      expect(json.load_average_1m).toHaveLength(2);
      for (const x of json.load_average_1m) expect(typeof x).toBe('number');
      // The QT-Opt step over the reference step, the two timed in turns as well as apart.
      if (name === 'train') expect([typeof json.qtopt_step_vs_reference, typeof json.qtopt_step_vs_reference_paired]).toEqual(['number', 'number']);
    });
  }
});
