/**
 * The pid lock file (src/fsutil/lock.ts): exclusive, stale locks taken over,
 * and under a real race between processes exactly one wins.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { STATE_NAMES } from '../src/env/index.js';
import { lockHolder, tryLockFile } from '../src/fsutil/index.js';
import { DatasetWriter } from '../src/data/index.js';

const repo = resolve(import.meta.dirname, '..');
const root = mkdtempSync(join(tmpdir(), 'pincer-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A pid that is certainly not running: a child that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('tryLockFile', () => {
  it('is exclusive, this process included, and free again after release', () => {
    const path = join(root, 'a/writer.lock');
    const first = tryLockFile(path);
    expect(first.acquired).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe(`${process.pid}\n`);
    expect(tryLockFile(path)).toEqual({ acquired: false, holder: process.pid });
    expect(lockHolder(path)).toBe(process.pid);
    if (first.acquired) first.release();
    expect(existsSync(path)).toBe(false);
    expect(lockHolder(path)).toBe(null);
    const again = tryLockFile(path);
    expect(again.acquired).toBe(true);
    if (again.acquired) again.release();
    // No temp or guard files are left beside the lock.
    expect(readdirSync(join(root, 'a'))).toEqual([]);
  });

  it('takes over a lock whose process is dead, or whose content is not a pid', () => {
    for (const content of [`${deadPid()}\n`, 'garbage', '']) {
      const path = join(root, 'stale.lock');
      writeFileSync(path, content);
      expect(lockHolder(path)).toBe(null);
      const lock = tryLockFile(path);
      expect(lock.acquired, JSON.stringify(content)).toBe(true);
      expect(readFileSync(path, 'utf8')).toBe(`${process.pid}\n`);
      if (lock.acquired) lock.release();
    }
  });

  it('release leaves a lock that another process has since taken', () => {
    const path = join(root, 'taken.lock');
    const lock = tryLockFile(path);
    writeFileSync(path, '1\n'); // pid 1 is alive: as if another process had taken the lock over
    if (lock.acquired) lock.release();
    expect(readFileSync(path, 'utf8')).toBe('1\n');
    expect(tryLockFile(path)).toEqual({ acquired: false, holder: 1 });
  });
});

// Children run the lock as plain JS (it imports only node builtins): starting tsx per child costs seconds.
const js = join(root, 'js');
mkdirSync(js);
for (const name of ['atomic', 'lock', 'index']) {
  const source = readFileSync(join(repo, 'src/fsutil', `${name}.ts`), 'utf8');
  const out = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  writeFileSync(join(js, `${name}.mjs`), out.replaceAll(/'\.\/(\w+)\.js'/g, "'./$1.mjs'"));
}
const racer = join(js, 'racer.mjs');
writeFileSync(
  racer,
  `import { existsSync } from 'node:fs';
import { tryLockFile } from './index.mjs';
const [path, startAt] = process.argv.slice(2);
while (Date.now() < Number(startAt)) {} // every racer tries at the same instant
const lock = tryLockFile(path);
process.stdout.write(JSON.stringify(lock.acquired ? { won: process.pid } : { lost: process.pid, holder: lock.holder }) + '\\n');
// The winner holds the lock until every racer has tried (the test then writes <path>.done).
if (lock.acquired) {
  const poll = setInterval(() => existsSync(path + '.done') && (clearInterval(poll), lock.release()), 20);
}
`,
);

/** Start `racers` processes that all try to take `path` at `startAt` (ms since the epoch); their reports. */
async function race(path: string, racers: number, startAt: number): Promise<Record<string, number>[]> {
  const children = Array.from({ length: racers }, () => spawn(process.execPath, [racer, path, String(startAt)], { stdio: ['ignore', 'pipe', 'inherit'] }));
  const exited = children.map((child) => new Promise((done) => child.on('exit', done)));
  const reports = await Promise.all(
    children.map(
      (child) =>
        new Promise<Record<string, number>>((done, fail) => {
          let out = '';
          child.stdout.on('data', (d: Buffer) => {
            out += d.toString();
            if (out.endsWith('\n')) done(JSON.parse(out));
          });
          child.on('exit', (code) => fail(new Error(`racer exited (${code}) before reporting`)));
        }),
    ),
  );
  writeFileSync(`${path}.done`, '');
  await Promise.all(exited);
  return reports;
}

const stresser = join(js, 'stresser.mjs');
writeFileSync(
  stresser,
  `import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
const [module, dir, startAt, takes, deadPid] = process.argv.slice(2);
const { tryLockFile } = await import(module);
const path = join(dir, 'writer.lock');
const mine = 'inside-' + process.pid;
const spin = (until) => { while (Date.now() < until) {} };
spin(Number(startAt));
let taken = 0, crashed = 0, overlaps = 0;
// A count of takes rather than a time, so a loaded machine makes the test slower, not weaker.
while (taken < Number(takes)) {
  const lock = tryLockFile(path);
  if (!lock.acquired) continue;
  taken++;
  // Inside the lock: nobody else may be inside.
  writeFileSync(join(dir, mine), '');
  if (readdirSync(dir).some((n) => n.startsWith('inside-') && n !== mine)) overlaps++;
  spin(Date.now() + 1);
  rmSync(join(dir, mine), { force: true });
  // Every 5th time, leave as a killed writer would: the lock stays, naming a dead process.
  if (taken % 5 === 0) { writeFileSync(path, deadPid + '\\n'); crashed++; }
  else lock.release();
}
process.stdout.write(JSON.stringify({ taken, crashed, overlaps }));
`,
);

/** Processes each taking and releasing (or abandoning) the lock `takes` times in a tight loop; each one's counts. */
async function stress(module: string, racers: number, takes: number): Promise<{ taken: number; crashed: number; overlaps: number }[]> {
  const dir = mkdtempSync(join(root, 'stress-'));
  const startAt = String(Date.now() + 800);
  const dead = String(deadPid());
  return Promise.all(
    Array.from(
      { length: racers },
      () =>
        new Promise<{ taken: number; crashed: number; overlaps: number }>((done, fail) => {
          const child = spawn(process.execPath, [stresser, module, dir, startAt, String(takes), dead], { stdio: ['ignore', 'pipe', 'inherit'] });
          let out = '';
          child.stdout.on('data', (d: Buffer) => (out += d.toString()));
          child.on('exit', (code) => (code === 0 ? done(JSON.parse(out)) : fail(new Error(`stresser exited ${code}`))));
        }),
    ),
  );
}

describe('racing processes', () => {
  it('exactly one of several processes takes a free lock, and one takes a stale one; the others name the winner', async () => {
    for (const stale of [false, true]) {
      for (let round = 0; round < 2; round++) {
        const path = join(root, `race-${stale}-${round}.lock`);
        if (stale) writeFileSync(path, `${deadPid()}\n`);
        const results = await race(path, 4, Date.now() + 800);
        const winners = results.filter((r) => r.won !== undefined);
        expect(winners.length, JSON.stringify(results)).toBe(1);
        for (const r of results) if (r.lost !== undefined) expect(r.holder).toBe(winners[0].won);
      }
    }
  }, 60_000);

  it('never has two holders while processes take, release and abandon it in a tight loop', async () => {
    const results = await stress(join(js, 'index.mjs'), 4, 25);
    // The check-then-write lock this replaces had two holders in about half of its takes here.
    expect(results, JSON.stringify(results)).toEqual(Array(4).fill({ taken: 25, crashed: 5, overlaps: 0 }));
  }, 60_000);
});

describe('the dataset writer lock', () => {
  const spec = { camera: 'shoulder', imageWidth: 8, imageHeight: 6, fps: 4, task: 'grasp', robotType: 'pincer_gripper', stateNames: STATE_NAMES };

  it('refuses a second writer in the same process, and a killed writer does not block a resume', () => {
    const dir = join(root, 'ds');
    const w = DatasetWriter.create(dir, spec, {});
    expect(() => DatasetWriter.resume(dir)).toThrow(/is being written by another writer in this process \(meta\/writer\.lock\)$/);
    w.close();
    // A writer killed before close leaves its pid behind.
    writeFileSync(join(dir, 'meta/writer.lock'), `${deadPid()}\n`);
    const resumed = DatasetWriter.resume(dir);
    expect(readFileSync(join(dir, 'meta/writer.lock'), 'utf8')).toBe(`${process.pid}\n`);
    resumed.close();
    expect(existsSync(join(dir, 'meta/writer.lock'))).toBe(false);
  });
});
