/**
 * scripts/setup.sh on a machine where something is missing: one line naming it
 * and how to install it, exit 1, and no tool output (a node-gyp trace) on the
 * terminal. Run against a copy of the script in a bare project folder, with a
 * PATH holding only the tools each case grants.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '..');
const root = mkdtempSync(join(tmpdir(), 'pincer-setup-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A project folder with setup.sh and a lockfile but no node_modules, and a bin folder with the given tools. */
function machine(name: string, tools: Record<string, string>): { project: string; bin: string } {
  const project = join(root, name);
  const bin = join(project, '.bin');
  mkdirSync(join(project, 'scripts'), { recursive: true });
  mkdirSync(bin);
  copyFileSync(join(repo, 'scripts/setup.sh'), join(project, 'scripts/setup.sh'));
  writeFileSync(join(project, 'package-lock.json'), '{}');
  for (const tool of ['node', 'dirname', 'mktemp', 'grep', 'rm']) {
    const found = spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    symlinkSync(found, join(bin, tool));
  }
  for (const [tool, script] of Object.entries(tools)) {
    writeFileSync(join(bin, tool), `#!/bin/sh\n${script}\n`);
    chmodSync(join(bin, tool), 0o755);
  }
  return { project, bin };
}

function setup(m: { project: string; bin: string }, args: string[] = [], env: Record<string, string> = {}) {
  const bash = spawnSync('bash', ['-c', 'command -v bash'], { encoding: 'utf8' }).stdout.trim();
  return spawnSync(bash, [join(m.project, 'scripts/setup.sh'), ...args], { encoding: 'utf8', env: { PATH: m.bin, HOME: root, TMPDIR: root, ...env } });
}

describe('setup.sh without the means to install', () => {
  it('names every missing Debian package and the apt command in one line (no apt here)', () => {
    const r = setup(machine('no-apt', {}));
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('setup: ERROR: missing python3 make g++ xvfb; install with: sudo apt-get install python3 make g++ xvfb (or your system\'s packages of those names), then run this again\n');
  });

  it('does not run apt when not root, and asks for chromium only for the tests', () => {
    const m = machine('not-root', { 'apt-get': 'echo apt-get must not run >&2; exit 99', id: 'echo 1000', python3: 'true', make: 'true', 'g++': 'true' });
    const quickstart = setup(m, [], { DISPLAY: ':99' });
    // Nothing missing for quickstart: it goes on to npm ci, which is absent here.
    expect(quickstart.stderr).not.toMatch(/apt-get must not run|missing/);
    const tests = setup(m, ['--test'], { DISPLAY: ':99' });
    if (existsSync('/usr/bin/chromium')) {
      expect(tests.stderr).not.toMatch(/chromium|apt-get must not run/);
      return;
    }
    expect(tests.status).toBe(1);
    expect(tests.stderr).toBe('setup: ERROR: missing chromium; install with: sudo apt-get install chromium (or your system\'s packages of those names), then run this again\n');
  });

  it('keeps a failed npm ci (a node-gyp trace) in a log file and prints its path in one line', () => {
    const npm = 'echo "gyp ERR! stack Error: not found: make"; echo "npm error path /p/node_modules/gl"; exit 1';
    const r = setup(machine('npm-fails', { npm, python3: 'true', make: 'true', 'g++': 'true' }), [], { DISPLAY: ':99' });
    expect(r.status).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('setup: installing npm packages (npm ci)');
    expect(lines[1]).toMatch(/^setup: ERROR: npm ci failed building gl's native addon \(it needs python3, make and g\+\+\); its output: \S+\.log$/);
    expect(lines).toHaveLength(2);
    const log = lines[1].split('its output: ')[1];
    expect(dirname(log)).toBe(root);
    expect(readFileSync(log, 'utf8')).toContain('gyp ERR! stack Error');
  });
});
