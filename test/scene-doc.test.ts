import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultScene, sceneFieldDocs, sceneFormatTable } from '../src/scene/index.js';

const source = readFileSync('src/scene/schema.ts', 'utf8');

describe('scene format reference', () => {
  it('documents every field of every section', () => {
    const documented = new Set(sceneFieldDocs(source).map((f) => f.path));
    const scene = defaultScene() as unknown as Record<string, unknown>;
    for (const [section, value] of Object.entries(scene)) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) continue;
      for (const field of Object.keys(value)) expect(documented, `${section}.${field}`).toContain(`${section}.${field}`);
    }
  });

  it('is up to date in the README (regenerate with `node scripts/scene-doc.mjs`)', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(readme).toContain(sceneFormatTable(source));
  });
});
