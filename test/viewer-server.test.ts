import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startView } from '../src/cli/commands/view.js';
import { resolveInside, type ViewerServer } from '../src/viewer/index.js';
import { runCli } from './cli-harness.js';

/** GET `path` exactly as written (no client-side URL normalisation), → status and body. */
function rawGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const root = mkdtempSync(join(tmpdir(), 'pincer-viewer-server-'));
const page = join(root, 'page');
const outside = join(root, 'secret.txt');

beforeAll(() => {
  mkdirSync(join(page, 'sub'), { recursive: true });
  writeFileSync(join(page, 'index.html'), '<p>page</p>');
  writeFileSync(join(page, 'app.js'), 'console.log(1)');
  writeFileSync(join(page, 'sub', 'a b.txt'), 'spaced');
  writeFileSync(outside, 'do not serve');
  symlinkSync(outside, join(page, 'link.txt'));
});

describe('resolveInside', () => {
  it('serves files inside the folder, index for the root, percent-decoded once', () => {
    expect(resolveInside(page, '/', 'index.html')).toEqual({ status: 200, file: join(page, 'index.html') });
    expect(resolveInside(page, '/sub/a%20b.txt')).toMatchObject({ status: 200 });
  });

  it('refuses traversal, encoded traversal, absolute paths, backslashes, NUL and symlinks out', () => {
    for (const p of ['/../secret.txt', '/sub/../../secret.txt', '/%2e%2e/secret.txt', '/%2E%2E%2Fsecret.txt', '/..%2fsecret.txt', '/..%5csecret.txt', '//etc/passwd', '/%2fetc%2fpasswd', '/a%00b', '/link.txt']) {
      expect(resolveInside(page, p).status, p).toBe(403);
    }
    // Double encoding decodes once to a literal '%2e%2e' name, which does not exist.
    expect(resolveInside(page, '/%252e%252e/secret.txt').status).toBe(404);
    expect(resolveInside(page, '/%E0%A4%A').status).toBe(400);
    expect(resolveInside(page, '/missing.js').status).toBe(404);
    expect(resolveInside(page, '/sub').status).toBe(404);
  });
});

describe('the viewer server', () => {
  let server: ViewerServer;
  beforeAll(async () => {
    server = await startView({ port: 0, open: false, staticDir: page });
  });
  afterAll(() => server.close());

  it('listens on 127.0.0.1 and serves the page and its config', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await rawGet(server.port, '/')).toEqual({ status: 200, body: '<p>page</p>' });
    const config = JSON.parse((await rawGet(server.port, '/api/config.json')).body);
    expect(config.scenes[0].name).toBe('bin.json');
    expect(config.scenes.map((s: { name: string }) => s.name)).toContain('bin-easy.json');
    expect(config.dataset).toBeNull();
  });

  it('refuses /../../etc/passwd, its URL-encoded forms and absolute paths with 403 or 404', async () => {
    for (const p of [
      '/../../etc/passwd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
      '/..%2f..%2fetc%2fpasswd',
      '/%252e%252e/%252e%252e/etc/passwd',
      '/etc/passwd',
      '//etc/passwd',
      '/%2fetc%2fpasswd',
      '/files/dataset/../../etc/passwd',
      '/files/dataset/%2fetc%2fpasswd',
      '/api/dataset/episodes.json',
    ]) {
      const { status, body } = await rawGet(server.port, p);
      expect([403, 404], `${p} -> ${status}`).toContain(status);
      expect(body).not.toMatch(/root:/);
    }
  });
});

describe('pincer view: bad input', () => {
  it('a busy port, a missing dataset, a missing policy folder and a bad scene each get one line', async () => {
    const busy = await startView({ port: 0, open: false, staticDir: page });
    try {
      const port = await runCli('view', '--no-open', '--port', String(busy.port));
      expect(port.code).toBe(2);
      expect(port.stderr).toBe(`pincer: port ${busy.port} on 127.0.0.1 is in use (pick another with --port, or --port 0 for a free one)\n`);
    } finally {
      await busy.close();
    }
    const dataset = await runCli('view', '--no-open', '--dataset', join(root, 'nope'));
    expect(dataset.code).toBe(2);
    expect(dataset.stderr).toBe(`pincer: --dataset ${join(root, 'nope')}: directory not found\n`);
    const notDataset = await runCli('view', '--no-open', '--dataset', page);
    expect(notDataset.code).toBe(2);
    expect(notDataset.stderr).toMatch(/^pincer: --dataset .*is not a pincer dataset .*\n$/);
    const policy = await runCli('view', '--no-open', '--policy', join(root, 'no-run'));
    expect(policy.code).toBe(2);
    expect(policy.stderr).toMatch(/^pincer: --policy .*no-run: not a built-in policy .* and no such run or checkpoint folder\n$/);
    const notCheckpoint = await runCli('view', '--no-open', '--policy', page);
    expect(notCheckpoint.code).toBe(2);
    expect(notCheckpoint.stderr).toBe(`pincer: --policy ${page}: ${page} has no model.json\n`);
    const scene = await runCli('view', '--no-open', '--scene', join(root, 'none.json'));
    expect(scene.code).toBe(2);
    expect(scene.stderr).toMatch(/^pincer: scene file not found: .*none\.json\n$/);
    const port = await runCli('view', '--no-open', '--port', '70000');
    expect(port.code).toBe(2);
    expect(port.stderr).toBe("pincer: --port must be at most 65535, got '70000'\n");
  });
});
