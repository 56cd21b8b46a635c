/**
 * A checkpoint loads in a browser with tfjs alone: chromium fetches model.json
 * and weights.bin over HTTP and decodes them with tf.io.loadWeights (tfjs's own
 * weights-manifest loader, no pincer code, no tf.loadLayersModel); every weight
 * matches the Node network's.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../src/viewer/chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveCheckpoint } from '../src/qtopt/checkpoint.js';
import { initBackend, QNetwork, type QNetConfig } from '../src/tf/node.js';

const SMALL: QNetConfig = {
  imageHeight: 16,
  imageWidth: 16,
  imageChannels: 3,
  convs: [{ filters: 4, kernelSize: 3, stride: 2 }],
  stateDim: 3,
  actionDim: 6,
  actionUnits: 8,
  headUnits: 8,
};

let root: string;
let server: Server;
let browser: Browser;
let base: string;

beforeAll(async () => {
  await initBackend();
  root = mkdtempSync(join(tmpdir(), 'pincer-ckpt-browser-'));
  const tfjs = createRequire(import.meta.url).resolve('@tensorflow/tfjs/dist/tf.min.js');
  server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><script src="/tf.min.js"></script>');
    let body: Buffer;
    try {
      body = readFileSync(url === '/tf.min.js' ? tfjs : join(root, url.slice(1)));
    } catch {
      return void res.writeHead(404).end();
    }
    res.writeHead(200, url.endsWith('.js') ? { 'content-type': 'text/javascript' } : {}).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
  rmSync(root, { recursive: true, force: true });
});

describe('checkpoint in the browser', () => {
  it('tf.io.loadWeights in chromium reads every weight as saved', async () => {
    const net = new QNetwork(SMALL, 5);
    await saveCheckpoint(join(root, 'ckpt'), net, { step: 1, envSteps: 2, validationSuccess: null, libraryVersion: 'v', configHash: 'h' });
    const page = await browser.newPage();
    await page.goto(`${base}/`);
    const loaded = await page.evaluate(async (url: string) => {
      const w = window as unknown as { tf: typeof import('@tensorflow/tfjs') };
      const model = await (await fetch(`${url}/model.json`)).json();
      const tensors = await w.tf.io.loadWeights(model.weightsManifest, url);
      return Object.fromEntries(Object.entries(tensors).map(([name, t]) => [name, { shape: t.shape, values: Array.from(t.dataSync()) }]));
    }, `${base}/ckpt`);
    await page.close();
    const own = net.namedVariables();
    expect(Object.keys(loaded).sort()).toEqual(own.map((v) => v.name).sort());
    for (const { name, variable } of own) {
      expect(loaded[name]!.shape).toEqual(variable.shape);
      expect(loaded[name]!.values).toEqual(Array.from(variable.dataSync()));
    }
    net.dispose();
  });
});
