import { mkdtempSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultScene, loadScene, parseScene, SceneError } from '../src/scene/node.js';

const dir = mkdtempSync(join(tmpdir(), 'pincer-scene-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('scene schema', () => {
  it('fills every default from an empty object', () => {
    const s = defaultScene();
    expect(s.objects.count).toBe(5);
    expect(s.episode.maxSteps).toBe(20);
    expect(s.camera.width).toBe(64);
    expect(s.gripper.maxAperture).toBeGreaterThanOrEqual(0.12);
  });

  it('loads every shipped scene file', () => {
    for (const name of readdirSync('scenes')) {
      expect(() => loadScene(join('scenes', name)), name).not.toThrow();
    }
    expect(loadScene('scenes/bin-easy.json').episode.heightHack).toBe(true);
  });

  it('rejects an unknown key, naming it', () => {
    expect(() => parseScene({ objects: { cuont: 3 } }, 'x.json')).toThrow(/x\.json: objects: unknown key cuont/);
    expect(() => parseScene({ camra: {} }, 'x.json')).toThrow(/unknown key camra/);
  });

  it('rejects a wrong type, naming the field', () => {
    expect(() => parseScene({ camera: { width: 'big' } }, 'x.json')).toThrow(/camera\.width/);
  });

  it('rejects an out-of-range value, naming the field', () => {
    expect(() => parseScene({ objects: { count: 0 } })).toThrow(/objects\.count/);
    expect(() => parseScene({ episode: { maxSteps: 1000 } })).toThrow(/episode\.maxSteps/);
  });

  it('names the file for malformed JSON and a missing file', () => {
    const bad = file('bad.json', '{"objects": ');
    expect(() => loadScene(bad)).toThrow(SceneError);
    expect(() => loadScene(bad)).toThrow(/bad\.json: malformed JSON/);
    expect(() => loadScene(join(dir, 'nope.json'))).toThrow(/scene file not found: .*nope\.json/);
  });
});
