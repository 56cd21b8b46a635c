/**
 * Bad input reaches the user as one line on stderr, a non-zero exit code and
 * no stack trace, and nothing on stdout (so --json consumers never parse junk).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'pincer-cli-errors-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}



function expectOneLineError(r: { code: number; stdout: string; stderr: string }, pattern: RegExp): void {
  expect(r.code).not.toBe(0);
  expect(r.stdout).toBe('');
  expect(r.stderr.endsWith('\n')).toBe(true);
  expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr).toMatch(pattern);
}

describe('CLI bad input', () => {
  it('malformed scene JSON', async () => {
    const r = await runCli('rollout', '--scene', file('bad.json', '{"objects": {'), '--episodes', '1', '--json');
    expectOneLineError(r, /bad\.json: malformed JSON/);
    expect(r.code).toBe(2);
  });

  it('an out-of-range scene value, naming the field', async () => {
    const r = await runCli('rollout', '--scene', file('range.json', '{"episode": {"maxSteps": 0}}'), '--json');
    expectOneLineError(r, /episode\.maxSteps/);
    expect(r.code).toBe(2);
  });

  it('a missing scene file', async () => {
    const r = await runCli('bench', 'env', '--scene', join(dir, 'missing.json'), '--json');
    expectOneLineError(r, /scene file not found: .*missing\.json/);
    expect(r.code).toBe(2);
  });

  it('a degenerate OBJ in --objects', async () => {
    const objects = join(dir, 'objects');
    mkdirSync(objects, { recursive: true });
    // Four coplanar vertices: no volume, no convex hull.
    writeFileSync(join(objects, 'flat.obj'), 'v 0 0 0\nv 0.05 0 0\nv 0 0.05 0\nv 0.05 0.05 0\nf 1 2 3\nf 2 4 3\n');
    const r = await runCli('rollout', '--objects', objects, '--episodes', '1', '--json');
    expectOneLineError(r, /--objects .*flat\.obj/);
    expect(r.code).toBe(2);
  });

  it('a non-numeric --episodes', async () => {
    const r = await runCli('rollout', '--episodes', 'ten', '--json');
    expectOneLineError(r, /--episodes must be a positive integer, got 'ten'/);
    expect(r.code).toBe(2);
  });

  it('an unknown policy or split', async () => {
    expectOneLineError(await runCli('rollout', '--policy', 'psychic'), /--policy must be one of scripted\|random/);
    expectOneLineError(await runCli('rollout', '--split', 'val'), /--split must be one of train\|validation\|test, got 'val'/);
  });

  it('an unknown command', async () => {
    const r = await runCli('frobnicate');
    expectOneLineError(r, /unknown command 'frobnicate'/);
    expect(r.code).toBe(2);
  });
});
