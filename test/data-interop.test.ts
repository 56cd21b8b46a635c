/**
 * Interop: the episode files are read by an independent parquet implementation
 * (parquet-wasm, arrow-rs compiled to wasm), not only by the hyparquet reader
 * that pincer itself uses. scripts/check_dataset.py does the same with pyarrow
 * and Hugging Face `datasets`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readParquet } from 'parquet-wasm/node';
import { afterAll, describe, expect, it } from 'vitest';
import { STATE_NAMES } from '../src/env/index.js';
import { DatasetWriter, datasetFeatures, episodePath, prepareEpisode, type DatasetSpec } from '../src/data/index.js';
import { synthEpisode } from './data-synth.js';

const root = mkdtempSync(join(tmpdir(), 'pincer-interop-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const spec: DatasetSpec = { camera: 'shoulder', imageWidth: 20, imageHeight: 10, fps: 4, task: 'grasp', robotType: 'pincer_gripper', stateNames: STATE_NAMES };
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function countOccurrences(haystack: Buffer, needle: Buffer): number {
  let n = 0;
  for (let i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) n++;
  return n;
}

describe('episode files read by parquet-wasm (arrow-rs)', () => {
  it('has every column, the right row counts, the huggingface metadata and one PNG per row', async () => {
    const dir = join(root, 'ds');
    const w = DatasetWriter.create(dir, spec, {});
    const lengths = [4, 7];
    for (const [i, T] of lengths.entries()) w.append(prepareEpisode(synthEpisode(100 + i, T, spec.imageWidth, spec.imageHeight)));
    w.close();
    const features = Object.keys(datasetFeatures(spec));
    for (const [i, T] of lengths.entries()) {
      const table = readParquet(new Uint8Array(readFileSync(join(dir, episodePath(i)))));
      const batches = table.recordBatches();
      expect(batches.reduce((n, b) => n + b.numRows, 0)).toBe(T);
      expect(batches[0].numColumns).toBe(features.length);
      const schema = table.schema;
      for (const name of features) expect(schema.indexOf(name), name).toBeGreaterThanOrEqual(0);
      const hf = JSON.parse(schema.metadata().get('huggingface')!);
      expect(hf.info.features['observation.images.shoulder']).toEqual({ _type: 'Image' });
      expect(hf.info.features.action).toEqual({ feature: { dtype: 'float32', _type: 'Value' }, length: 6, _type: 'Sequence' });
      expect(hf.info.features['next.done']).toEqual({ dtype: 'bool', _type: 'Value' });
      // The Arrow IPC stream holds the image column's binary values verbatim: one PNG per row.
      const ipc = Buffer.from(table.intoIPCStream());
      expect(countOccurrences(ipc, PNG_SIGNATURE)).toBe(T);
    }
  });
});
