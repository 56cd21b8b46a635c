import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'pincer-display-'));
// Children run display.ts as plain JS (it imports only node builtins): starting tsx per child costs seconds.
const displayModule = join(dir, 'display.mjs');
writeFileSync(
  displayModule,
  ts.transpileModule(readFileSync(join(root, 'src/render/display.ts'), 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText,
);

/** A child process that gets a display, prints it, then does `then` (exit, wait for a signal, ...). */
function script(name: string, then: string): string {
  const path = join(dir, `${name}.mjs`);
  writeFileSync(path, `import { ensureDisplay } from ${JSON.stringify(displayModule)};\n` + `const [a, b] = await Promise.all([ensureDisplay(), ensureDisplay()]);\n` + `process.stdout.write(JSON.stringify({ a, b, env: process.env.DISPLAY }) + '\\n');\n` + then);
  return path;
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run a script without DISPLAY; `onLine` sees the first stdout line (to signal the child). */
function run(path: string, env: NodeJS.ProcessEnv = {}, onLine?: (pid: number) => void): Promise<Run> {
  return new Promise((done) => {
    const { DISPLAY: _unset, ...base } = process.env;
    const child = spawn(process.execPath, [path], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      const first = stdout === '';
      stdout += d.toString();
      if (first && onLine) onLine(child.pid!);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code, signal) => done({ code, signal, stdout, stderr }));
  });
}

/** Whether an X server still holds `display` (its socket file disappears when it exits). */
async function serverGoneWithin(display: string, ms: number): Promise<boolean> {
  const socket = `/tmp/.X11-unix/X${display.slice(1)}`;
  for (const start = Date.now(); Date.now() - start < ms; ) {
    if (!existsSync(socket)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describe.concurrent('ensureDisplay', () => {
  it('starts Xvfb once for concurrent callers, sets DISPLAY, and it is gone after a normal exit', async () => {
    const r = await run(script('exit', ''));
    expect(r.code).toBe(0);
    const { a, b, env } = JSON.parse(r.stdout);
    expect(a).toMatch(/^:\d+$/);
    expect(b).toBe(a);
    expect(env).toBe(a);
    expect(await serverGoneWithin(a, 8000)).toBe(true);
  });

  it('with a gl client: exits 0 without X errors, and the server goes with the process', async () => {
    const r = await run(
      script(
        'client',
        `const { createRequire } = await import('node:module');\n` +
          `const createGL = createRequire(${JSON.stringify(join(root, 'package.json'))})('gl');\n` +
          `if (!createGL(8, 8, { createWebGL2Context: true })) throw new Error('no gl context');\n`,
      ),
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await serverGoneWithin(JSON.parse(r.stdout).a, 8000)).toBe(true);
  });

  it('gives parallel processes distinct displays', async () => {
    const runs = await Promise.all([0, 1, 2].map(() => run(script('parallel', 'await new Promise((r) => setTimeout(r, 500));'))));
    const displays = runs.map((r) => JSON.parse(r.stdout).a as string);
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0]);
    expect(new Set(displays).size).toBe(3);
  });

  it('does not swallow SIGTERM: the process still dies of it, and the server goes too', async () => {
    let display = '';
    const r = await run(script('signal', 'setInterval(() => {}, 1000);'), {}, (pid) => process.kill(pid, 'SIGTERM'));
    display = JSON.parse(r.stdout).a;
    expect(r.signal).toBe('SIGTERM');
    expect(await serverGoneWithin(display, 8000)).toBe(true);
  });

  it('keeps the server for a process that handles SIGINT itself, and stops it when that process exits', async () => {
    const r = await run(
      script(
        'handled',
        `const { existsSync } = await import('node:fs');\n` +
          `const socket = '/tmp/.X11-unix/X' + process.env.DISPLAY.slice(1);\n` +
          `setInterval(() => {}, 1000);\n` +
          // Past the 2 s after which an unhandled signal's server is killed.
          `process.on('SIGINT', () => setTimeout(() => { process.stdout.write(existsSync(socket) ? 'kept' : 'gone'); process.exit(0); }, 3000));\n`,
      ),
      {},
      (pid) => process.kill(pid, 'SIGINT'),
    );
    expect(r.code).toBe(0);
    const [first, after] = r.stdout.split('\n');
    expect(after).toBe('kept');
    expect(await serverGoneWithin(JSON.parse(first!).a, 8000)).toBe(true);
  });

  it('keeps an existing DISPLAY', async () => {
    const r = await run(script('keep', ''), { DISPLAY: ':4242' });
    expect(JSON.parse(r.stdout)).toEqual({ a: ':4242', b: ':4242', env: ':4242' });
  });

  it('fails with a one-line install hint when Xvfb is missing', async () => {
    const path = join(dir, 'missing.mjs');
    writeFileSync(path, `import { ensureDisplay } from ${JSON.stringify(displayModule)};\ntry { await ensureDisplay(); } catch (e) { process.stdout.write(e.message); }\n`);
    const r = await run(path, { PATH: dir });
    expect(r.stdout).toMatch(/Xvfb not found.*apt-get install xvfb/);
    expect(r.stdout).not.toContain('\n');
  });
});
