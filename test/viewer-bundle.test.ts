import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BundleError, bundlePage } from '../src/viewer/index.js';

const src = join(import.meta.dirname, '../src');

describe('the browser bundle', () => {
  it('bundles the page from the same sim, render, env and policy sources, with no Node-only package', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pincer-bundle-'));
    const result = await bundlePage(out);
    for (const f of ['app.js', 'index.html', 'style.css']) expect(existsSync(join(out, f)), f).toBe(true);
    for (const shared of ['src/sim/world.ts', 'src/render/renderer.ts', 'src/env/grasp-env.ts', 'src/env/runner.ts', 'src/policies/scripted.ts', 'src/objects/procedural.ts']) {
      expect(result.inputs, shared).toContain(shared);
    }
    const nodeOnly = result.inputs.filter((f) => /node_modules\/(gl|sharp|detect-libc)\/|src\/[a-z]+\/(node|headless|display|png|file|import)\.ts$/.test(f));
    expect(nodeOnly).toEqual([]);
  });

  it('bundles every portable surface (the index.ts of each folder) for the browser', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pincer-bundle-portable-'));
    const folders = ['scene', 'objects', 'sim', 'render', 'env', 'policies', 'random', 'rl', 'tf', 'qtopt'];
    const entry = join(dir, 'entry.ts');
    writeFileSync(entry, folders.map((f, i) => `import * as m${i} from ${JSON.stringify(join(src, f, 'index.js'))};\nconsole.log(m${i});\n`).join(''));
    const result = await bundlePage(join(dir, 'out'), entry);
    for (const f of folders) expect(result.inputs, f).toContain(`src/${f}/index.ts`);
  });

  it('fails when a Node built-in reaches the browser bundle, naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pincer-bundle-bad-'));
    // The Node entry of src/render (headless gl, Xvfb) must never be importable from the page.
    const entry = join(dir, 'entry.ts');
    writeFileSync(entry, `import { createNodeRenderer } from ${JSON.stringify(join(src, 'render/node.js'))};\nconsole.log(createNodeRenderer);\n`);
    const err = await bundlePage(join(dir, 'out'), entry).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleError);
    expect((err as Error).message).toMatch(/src\/render\/display\.ts:\d+: Could not resolve "node:child_process"/);
  });
});
