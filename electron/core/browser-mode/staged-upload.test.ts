/** Folder uploads in browser mode: real HTTP into a real browser host and a real engine on 127.0.0.1. */
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startNode } from '../../../test/helpers/nodes';
import { tempDir } from '../../../test/helpers/temp-dir';
import { startBrowserHost, type BrowserHost } from './browser-host';
import { stagedRelativePath } from './staged-upload';

const hosts: BrowserHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
});

async function setup() {
  const node = await startNode('Alice');
  const rendererDir = await tempDir('ferry-renderer-');
  await writeFile(path.join(rendererDir, 'index.html'), '<!doctype html><title>Ferry</title>');
  const stagingDir = path.join(await tempDir('ferry-staging-'), 'uploads');
  const host = await startBrowserHost({ engine: node.node, rendererDir, stagingDir });
  hosts.push(host);
  const origin = `http://127.0.0.1:${host.port}`;
  // Open the one-time link as a browser would: the session key comes back in the redirect's fragment.
  const link = new URL(host.url);
  const location = await new Promise<string>((resolve, reject) => {
    request(
      { host: '127.0.0.1', port: host.port, path: link.pathname + link.search, headers: { host: link.host } },
      (res) => {
        res.resume();
        resolve(String(res.headers.location));
      },
    )
      .on('error', reject)
      .end();
  });
  const session = /#session=(.+)$/.exec(location)![1]!;
  const post = (headers: Record<string, string>, body: Buffer | string = '') =>
    new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: host.port,
          path: '/upload',
          method: 'POST',
          headers: {
            origin,
            'x-ferry-session': session,
            'content-length': String(Buffer.byteLength(body)),
            ...headers,
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (d: string) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) as Record<string, unknown> }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  return { node, stagingDir, post };
}

describe('folder uploads (browser mode)', () => {
  it('stages a dropped folder as the same tree, empty folders too, and answers with the top folder', async () => {
    const { stagingDir, post } = await setup();
    const batch = '0f4c2a9e-5d1b-4f7e-9c3a-2b6d8e1f0a7c';
    const entry = (p: string, body: string) =>
      post({ 'x-ferry-batch': batch, 'x-ferry-path': encodeURIComponent(p), 'x-ferry-name': 'x' }, body);
    const answers = [
      await entry('相册/2024/a.jpg', 'aaa'),
      await entry('相册/b.txt', 'bb'),
      await post({ 'x-ferry-batch': batch, 'x-ferry-path': encodeURIComponent('相册/空的'), 'x-ferry-directory': '1' }),
      await entry('loose.txt', 'l'),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    const top = path.join(stagingDir, batch, '相册');
    expect(answers.map((a) => a.body.path)).toEqual([top, top, top, path.join(stagingDir, batch, 'loose.txt')]);
    expect(await readFile(path.join(top, '2024', 'a.jpg'), 'utf8')).toBe('aaa');
    expect(await readFile(path.join(top, 'b.txt'), 'utf8')).toBe('bb');
    expect((await stat(path.join(top, '空的'))).isDirectory()).toBe(true);
    expect(await readdir(path.join(top, '空的'))).toEqual([]);
  });

  it('the staged folder is offered with its structure and its empty folder', async () => {
    const { node, post } = await setup();
    const b = await startNode('Bob');
    const bob = await node.node.addPeer(b.address);
    const batch = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
    await post({ 'x-ferry-batch': batch, 'x-ferry-path': encodeURIComponent('docs/sub/x.md') }, '# x');
    const { body } = await post({ 'x-ferry-batch': batch, 'x-ferry-path': 'docs/empty', 'x-ferry-directory': '1' });
    const offer = await node.node.sendFiles(bob.id, [body.path as string]);
    expect(offer.files.map((f) => `${f.path}${f.isDirectory ? '/' : ''}`).sort()).toEqual([
      'docs/empty/',
      'docs/sub/x.md',
    ]);
  });

  it('refuses unsafe paths, malformed batch ids and a folder with a body', async () => {
    const { stagingDir, post } = await setup();
    const batch = '11111111-2222-3333-4444-555555555555';
    for (const p of ['../escape.txt', 'a/../../b.txt', '/abs.txt', 'a//b.txt', 'a/CON', 'a\\..\\b.txt', 'dots./x']) {
      const res = await post({ 'x-ferry-batch': batch, 'x-ferry-path': encodeURIComponent(p) }, 'x');
      expect([res.status, (res.body.error as { code: string }).code], p).toEqual([400, 'NAME_REJECTED']);
    }
    const bad = await post({ 'x-ferry-batch': '../../etc', 'x-ferry-path': 'a.txt' }, 'x');
    expect((bad.body.error as { code: string }).code).toBe('INVALID_ARGUMENT');
    const folderWithBody = await post({ 'x-ferry-batch': batch, 'x-ferry-path': 'f', 'x-ferry-directory': '1' }, 'x');
    expect((folderWithBody.body.error as { code: string }).code).toBe('UPLOAD_FAILED');
    // Nothing was written outside (or inside) the staging folder by the refused uploads.
    await mkdir(stagingDir, { recursive: true });
    const left = await readdir(stagingDir, { recursive: true });
    expect(left).toEqual([]);
  });

  it('checks each segment of a relative path on its own', () => {
    expect(stagedRelativePath('a/b c/d.txt')).toEqual(['a', 'b c', 'd.txt']);
    expect(() => stagedRelativePath('a/'.repeat(70) + 'x')).toThrow(/too deep/);
  });
});
