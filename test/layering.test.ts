/**
 * Data flows one way (design.md): lower layers never import the CLI, and the
 * lowest folders (fsutil, log) import only Node built-ins.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = resolve(import.meta.dirname, '../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** Every module specifier a file imports, statically or dynamically. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^import\s+)['"]([^'"]+)['"]/gm)].map((m) => m[1]);
}

/** The src/ folder a relative import lands in, or null for packages and built-ins. */
function folderOf(file: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  return relative(src, resolve(dirname(file), specifier)).split('/')[0];
}

const files = sourceFiles(src).map((file) => ({ file, folder: relative(src, file).split('/')[0], specifiers: imports(file) }));

describe('layering', () => {
  it('finds the imports it checks', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(files.find((f) => f.file.endsWith('tf/backend.ts'))?.specifiers).toContain('@tensorflow/tfjs');
  });

  it('no folder below the CLI imports from src/cli', () => {
    const offenders = files
      .filter((f) => f.folder !== 'cli')
      .flatMap((f) => f.specifiers.filter((s) => folderOf(f.file, s) === 'cli').map((s) => `${relative(src, f.file)} imports ${s}`));
    expect(offenders).toEqual([]);
  });

  it('fsutil and log import nothing but Node built-ins and each other\'s own files', () => {
    const offenders = files
      .filter((f) => f.folder === 'fsutil' || f.folder === 'log')
      .flatMap((f) => f.specifiers.filter((s) => (s.startsWith('.') ? folderOf(f.file, s) !== f.folder : !s.startsWith('node:'))).map((s) => `${relative(src, f.file)} imports ${s}`));
    expect(offenders).toEqual([]);
  });
});
