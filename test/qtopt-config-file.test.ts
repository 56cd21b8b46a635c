/**
 * Config files with `extends` (src/qtopt/config-file.ts): a variant states only what differs
 * from the file it builds on.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { layConfig, readConfigFile } from '../src/qtopt/node.js';

const dir = mkdtempSync(join(tmpdir(), 'pincer-config-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, json: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof json === 'string' ? json : JSON.stringify(json));
  return path;
};

describe('layConfig', () => {
  it('merges objects key by key and replaces numbers, strings, arrays and null', () => {
    const base = { a: { x: 1, y: [1, 2], z: 'k' }, b: 2, c: { deep: { p: 1, q: 2 } }, n: { m: 1 } };
    const over = { a: { y: [3], z: null }, c: { deep: { q: 5 } }, d: 4, n: 7 };
    expect(layConfig(base, over)).toEqual({ a: { x: 1, y: [3], z: null }, b: 2, c: { deep: { p: 1, q: 5 } }, d: 4, n: 7 });
    // Neither input changes.
    expect(base.a.y).toEqual([1, 2]);
  });
});

describe('readConfigFile', () => {
  it('follows a chain of extends, each relative to its own file, and drops the key', () => {
    mkdirSync(join(dir, 'base'), { recursive: true });
    file('base/root.json', { train: { offlineSteps: 100, evalPeriod: 10 }, replay: { capacity: 5 } });
    file('base/middle.json', { extends: 'root.json', train: { evalPeriod: 20 } });
    const top = file('top.json', { extends: 'base/middle.json', replay: { capacity: 7 }, cem: { samples: 8 } });
    expect(readConfigFile(top)).toEqual({ train: { offlineSteps: 100, evalPeriod: 20 }, replay: { capacity: 7 }, cem: { samples: 8 } });
    // A file without extends is its JSON as it is.
    expect(readConfigFile(join(dir, 'base/root.json'))).toEqual({ train: { offlineSteps: 100, evalPeriod: 10 }, replay: { capacity: 5 } });
  });

  it('refuses a missing file, malformed JSON, an extends that is not a string and a cycle, in one line naming the file', () => {
    const missing = join(dir, 'nope.json');
    expect(() => readConfigFile(missing)).toThrow(`${missing}: no such file`);
    const broken = file('broken.json', '{"train": ');
    expect(() => readConfigFile(broken)).toThrow(new RegExp(`^${broken}: malformed JSON`));
    const numeric = file('numeric.json', { extends: 3 });
    expect(() => readConfigFile(numeric)).toThrow(`${numeric}: extends must be a file name (a string), got 3`);
    const dangling = file('dangling.json', { extends: 'gone.json' });
    expect(() => readConfigFile(dangling)).toThrow(`${join(dir, 'gone.json')}: no such file`);
    file('a.json', { extends: 'b.json' });
    const b = file('b.json', { extends: 'a.json' });
    expect(() => readConfigFile(b)).toThrow(/b\.json: extends itself \(.*b\.json → .*a\.json → .*b\.json\)$/);
    for (const f of [missing, broken, numeric, dangling, b]) {
      try {
        readConfigFile(f);
      } catch (err) {
        expect((err as Error).message).not.toContain('\n');
      }
    }
  });
});
