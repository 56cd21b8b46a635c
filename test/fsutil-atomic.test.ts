/**
 * The one atomic-write helper: whole files or none, no temp files left, and the
 * file and its folder fsynced (counted through a wrapped node:fs).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { STATE_NAMES } from '../src/env/index.js';

const synced = vi.hoisted(() => ({ files: 0, folders: 0 }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const fsyncSync = (fd: number) => {
    if (fs.fstatSync(fd).isDirectory()) synced.folders++;
    else synced.files++;
    return fs.fsyncSync(fd);
  };
  return { ...fs, fsyncSync, default: { ...fs, fsyncSync } };
});

const { writeFileAtomic, writeFileAtomicWith } = await import('../src/fsutil/index.js');
const { DatasetWriter, prepareEpisode } = await import('../src/data/index.js');
const { ReplayBuffer, resolveReplayConfig, saveReplay } = await import('../src/rl/node.js');
const { synthEpisode } = await import('./data-synth.js');

const root = mkdtempSync(join(tmpdir(), 'pincer-atomic-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeEach(() => {
  synced.files = 0;
  synced.folders = 0;
});

describe('writeFileAtomic', () => {
  it('writes the whole file, creating the folder, and fsyncs the file and its folder', () => {
    const path = join(root, 'a/b/config.json');
    writeFileAtomic(path, '{"x":1}\n');
    expect(readFileSync(path, 'utf8')).toBe('{"x":1}\n');
    writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(path)]).toEqual([1, 2, 3]);
    expect(synced).toEqual({ files: 2, folders: 2 });
    expect(readdirSync(join(root, 'a/b'))).toEqual(['config.json']);
  });

  it('streams pieces through writeFileAtomicWith, and a failing writer leaves the old file and no temp file', () => {
    const path = join(root, 'big.bin');
    writeFileSync(path, 'old');
    writeFileAtomicWith(path, (fd) => {
      for (let i = 0; i < 4; i++) writeSync(fd, Buffer.alloc(1000, i));
    });
    const bytes = readFileSync(path);
    expect(bytes.length).toBe(4000);
    expect(bytes[3999]).toBe(3);
    expect(synced).toEqual({ files: 1, folders: 1 });
    expect(() =>
      writeFileAtomicWith(path, (fd) => {
        writeSync(fd, 'half');
        throw new Error('disk full');
      }),
    ).toThrow('disk full');
    expect(readFileSync(path).length).toBe(4000);
    expect(readdirSync(root).filter((n) => n.startsWith('big'))).toEqual(['big.bin']);
  });

  it('is what the dataset writer and the replay file use: their files and folders are fsynced too', async () => {
    const w = DatasetWriter.create(join(root, 'ds'), { camera: 'shoulder', imageWidth: 8, imageHeight: 6, fps: 4, task: 'grasp', robotType: 'pincer_gripper', stateNames: STATE_NAMES }, {});
    const prepared = prepareEpisode(synthEpisode(1, 3, 8, 6));
    synced.files = synced.folders = 0;
    w.append(prepared);
    w.close();
    // The episode file, then info.json and stats.json, each with its folder.
    expect(synced).toEqual({ files: 3, folders: 3 });

    const replay = new ReplayBuffer(
      resolveReplayConfig({ capacity: 8, imageShape: null, vectorDim: 2, action: { kind: 'continuous', dim: 1 }, gamma: 0.9, nStep: 1, prioritized: false, priorityAlpha: 0.6, priorityEpsilon: 1e-6 }),
    );
    replay.add({ image: null, vector: [1, 2] }, [0.5], 1, true, false, { image: null, vector: [3, 4] });
    synced.files = synced.folders = 0;
    saveReplay(replay, join(root, 'replay.bin'));
    expect(synced).toEqual({ files: 1, folders: 1 });
  });
});
