/**
 * Staged uploads: names, one upload received over real HTTP on 127.0.0.1 into a real temp dir,
 * the tracker that deletes them, and folder uploads through a real browser host and engine.
 */
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startNode } from '../../test/helpers/nodes';
import { tempDir } from '../../test/helpers/temp-dir';
import { startBrowserHost, type BrowserHost } from './browser-host';
import { waitUntil } from '../../test/helpers/wait';
import { FerryError } from '../core/ferry-error';
import { receiveUpload, stagedFileName, stagedRelativePath, StagingTracker, type UploadOptions } from './staged-upload';

const hosts: BrowserHost[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
  await Promise.all(closers.splice(0).map((c) => c()));
});

/** Each upload as a real HTTP request into receiveUpload on 127.0.0.1; its outcome as the server saw it. */
async function receiver(options: Partial<UploadOptions> = {}) {
  const stagingDir = path.join(await tempDir('ferry-staging-'), 'uploads');
  const stagedIds: string[] = [];
  const outcomes: ({ path: string } | { code: string; message: string })[] = [];
  const server = createServer((req, res) => {
    receiveUpload(req, { stagingDir, maxBytes: 1000, onStaged: (id) => stagedIds.push(id), ...options }).then(
      (p) => {
        outcomes.push({ path: p });
        res.end(JSON.stringify({ path: p }));
      },
      (err: FerryError) => {
        outcomes.push({ code: err.code, message: err.message });
        req.resume();
        res.writeHead(400, { connection: 'close' }).end(JSON.stringify({ code: err.code, message: err.message }));
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  closers.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  /** POSTs `body` with these headers (Content-Length from the body unless given) and returns the outcome. */
  const post = (headers: Record<string, string>, body: string | null = 'x') =>
    new Promise<{ path: string } & { code: string; message: string }>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/upload',
          method: 'POST',
          headers: body === null ? headers : { 'content-length': String(Buffer.byteLength(body)), ...headers },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (d: string) => (text += d));
          res.on('end', () => resolve(JSON.parse(text)));
        },
      );
      req.on('error', reject);
      if (body === null) req.write('chunked');
      req.end(body ?? undefined);
    });
  /** Writes a request head and `bytes` of body over a raw socket and leaves it open. */
  const rawUpload = (head: Record<string, string>, bytes: string) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    const lines = Object.entries(head).map(([k, v]) => `${k}: ${v}\r\n`);
    socket.write(`POST /upload HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${lines.join('')}\r\n${bytes}`);
    closers.push(async () => void socket.destroy());
    return socket;
  };
  return { stagingDir, stagedIds, outcomes, post, rawUpload };
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => `${String(i).padStart(8, '0')}-staged`);
const present = async (p: string) => (await stat(p).catch(() => null)) !== null;

describe('staged file names', () => {
  it('keeps only the last segment of a name, and refuses names that are no file name anywhere', () => {
    expect(stagedFileName('report.pdf')).toBe('report.pdf');
    expect(stagedFileName('a/b\\c.txt')).toBe('c.txt');
    expect(stagedFileName('../../etc/passwd')).toBe('passwd');
    for (const ok of ['CONSOLE.txt', 'com10', 'xcon', 'a.con', 'é'.repeat(127) + 'a', 'x'.repeat(255), 'a b.txt'])
      expect(stagedFileName(ok), ok).toBe(ok);
    const refused = [
      '',
      'dir/',
      '.',
      '..',
      'a\u0000b',
      'a\u001fb',
      'a\u007fb',
      ...'<>:"|?*'.split('').map((c) => `a${c}b`),
      'CON',
      'con.txt',
      'Prn',
      'aux.tar.gz',
      'NUL',
      'com1',
      'COM9.log',
      'lpt0',
      'LPT9.x',
      'dot.',
      'space ',
      'x'.repeat(256),
      'é'.repeat(128),
    ];
    for (const bad of refused) expect(() => stagedFileName(bad), JSON.stringify(bad)).toThrow(FerryError);
    expect(() => stagedFileName('a|b')).toThrow(expect.objectContaining({ code: 'NAME_REJECTED' }));
    expect(() => stagedFileName(`${'y'.repeat(100)}*`)).toThrow(
      expect.objectContaining({ message: `"${'y'.repeat(80)}" is not a usable file name` }),
    );
  });

  it('checks each segment of a relative path: at most 64 deep and 4096 bytes', () => {
    expect(stagedRelativePath('a')).toEqual(['a']);
    expect(stagedRelativePath(Array(64).fill('d').join('/'))).toHaveLength(64);
    expect(() => stagedRelativePath(Array(65).fill('d').join('/'))).toThrow(
      expect.objectContaining({ code: 'NAME_REJECTED', message: 'the folder structure is too deep or too long' }),
    );
    const long = `${'x'.repeat(200)}/`.repeat(20) + 'y'.repeat(76); // 4096 bytes
    expect(stagedRelativePath(long)).toHaveLength(21);
    expect(() => stagedRelativePath(`${long}y`)).toThrow(/too deep or too long/);
    expect(() => stagedRelativePath(`a\\b/${'c'.repeat(100)}`)).toThrow(
      expect.objectContaining({ message: `"a\\b/${'c'.repeat(76)}" is not a usable path` }),
    );
    expect(() => stagedRelativePath('a\\b/c')).toThrow(
      expect.objectContaining({ code: 'NAME_REJECTED', message: '"a\\b/c" is not a usable path' }),
    );
    for (const bad of ['a/../b', 'a//b', '/a', 'a/', 'a/./b', 'a/CON', 'a/b:c'])
      expect(() => stagedRelativePath(bad), bad).toThrow(expect.objectContaining({ code: 'NAME_REJECTED' }));
  });
});

describe('receiving one upload', () => {
  it('streams a file into a fresh private folder, exactly as sent, and tells its folder id', async () => {
    const r = await receiver({ maxBytes: 300_000 });
    await mkdir(r.stagingDir, { recursive: true, mode: 0o755 });
    await chmod(r.stagingDir, 0o755);
    const body = 'x'.repeat(300_000);
    const res = await r.post({ 'x-ferry-name': encodeURIComponent('报告 1.txt') }, body);
    expect(path.basename(res.path)).toBe('报告 1.txt');
    const folder = path.dirname(res.path);
    expect(path.dirname(folder)).toBe(r.stagingDir);
    expect(r.stagedIds).toEqual([path.basename(folder)]);
    expect(path.basename(folder)).toMatch(/^[0-9a-f-]{36}$/);
    expect(await readFile(res.path, 'utf8')).toBe(body);
    expect((await stat(r.stagingDir)).mode & 0o777).toBe(0o700);
    expect((await stat(folder)).mode & 0o777).toBe(0o700);
    expect((await stat(res.path)).mode & 0o777).toBe(0o600);
    // The same name again goes to another folder.
    const again = await r.post({ 'x-ferry-name': encodeURIComponent('报告 1.txt') }, 'y');
    expect(path.dirname(again.path)).not.toBe(folder);
    expect(await readFile(res.path, 'utf8')).toBe(body);
    // An empty file is a file.
    const empty = await r.post({ 'x-ferry-name': 'empty' }, '');
    expect(await readFile(empty.path, 'utf8')).toBe('');
  });

  it('needs nobody to be told (onStaged is optional)', async () => {
    const r = await receiver({ onStaged: undefined });
    expect(await readFile((await r.post({ 'x-ferry-name': 'a.txt' }, 'a')).path, 'utf8')).toBe('a');
    const folder = await r.post({ 'x-ferry-batch': 'batch-0002', 'x-ferry-path': 'd/e', 'x-ferry-directory': '1' }, '');
    expect(folder.path).toBe(path.join(r.stagingDir, 'batch-0002', 'd'));
  });

  it('refuses before writing: no length, over the limit, more than the free disk, a bad name', async () => {
    const r = await receiver({ maxBytes: 1000 });
    expect(await r.post({ 'x-ferry-name': 'a.txt' }, null)).toEqual({
      code: 'UPLOAD_FAILED',
      message: 'the upload has no Content-Length',
    });
    expect(await r.post({ 'x-ferry-name': 'a.txt' }, 'x'.repeat(1001))).toEqual({
      code: 'UPLOAD_TOO_LARGE',
      message: 'the file is 1001 bytes; browser mode accepts up to 1000',
    });
    expect(await r.post({ 'x-ferry-name': '%E0%A4%A' })).toEqual({
      code: 'NAME_REJECTED',
      message: 'the x-ferry-name header is not valid UTF-8',
    });
    expect(await r.post({})).toMatchObject({ code: 'NAME_REJECTED' });
    expect(r.stagedIds).toEqual([]);
    expect(await readdir(r.stagingDir).catch(() => [])).toEqual([]);

    const huge = await receiver({ maxBytes: Number.MAX_SAFE_INTEGER });
    huge.rawUpload({ 'x-ferry-name': 'huge.bin', 'content-length': String(2 ** 52) }, '');
    await waitUntil(() => huge.outcomes.length === 1, { what: 'the huge upload refused' });
    expect(huge.outcomes[0]).toEqual({ code: 'DISK_FULL', message: 'not enough free disk space to stage this file' });
    expect(await readdir(huge.stagingDir)).toEqual([]);
  });

  it('removes a file whose sender went away mid-way, with its folder', async () => {
    const r = await receiver();
    const cut = r.rawUpload({ 'x-ferry-name': 'cut.bin', 'content-length': '100' }, '0123456789');
    // Once its first bytes are on disk, the sender vanishes.
    await waitUntil(async () => (await readdir(r.stagingDir).catch(() => [])).length === 1, {
      what: 'the upload to start',
    });
    const [folder] = await readdir(r.stagingDir);
    await waitUntil(
      async () =>
        (await readFile(path.join(r.stagingDir, folder!, 'cut.bin'), 'utf8').catch(() => '')) === '0123456789',
      {
        what: 'the first bytes on disk',
      },
    );
    cut.destroy();
    await waitUntil(() => r.outcomes.length === 1, { what: 'the cut upload to fail' });
    expect(r.outcomes[0]).toMatchObject({
      code: 'UPLOAD_FAILED',
      message: expect.stringMatching(/^the upload broke off: /),
    });
    expect(await readdir(r.stagingDir)).toEqual([]);
    expect(r.stagedIds).toEqual([]);
  });

  it('drops an upload that goes silent, but not one that keeps sending slowly', async () => {
    const r = await receiver({ stallMs: 600 });
    r.rawUpload({ 'x-ferry-name': 'stalled.bin', 'content-length': '100' }, '0123456789');
    await waitUntil(() => r.outcomes.length === 1, { what: 'the stalled upload to be dropped' });
    expect(r.outcomes[0]).toEqual({
      code: 'UPLOAD_FAILED',
      message: 'the upload sent nothing for 1 s and was dropped',
    });
    expect(await readdir(r.stagingDir)).toEqual([]);

    // 6 bytes, one every 200 ms: 1.2 s in all, never 600 ms without data.
    const slow = r.rawUpload({ 'x-ferry-name': 'slow.bin', 'content-length': '6' }, 'a');
    for (const byte of 'bcdef') {
      await new Promise((resolve) => setTimeout(resolve, 200)); // pacing the sender, not waiting for a result
      slow.write(byte);
    }
    await waitUntil(() => r.outcomes.length === 2, { what: 'the slow upload to finish' });
    const done = r.outcomes[1] as { path: string };
    expect(await readFile(done.path, 'utf8')).toBe('abcdef');
  });

  it('in a batch, stages the tree and answers with the top entry; a broken file takes only itself', async () => {
    const r = await receiver();
    const batch = 'batch-0001';
    const entry = (p: string, body = 'x', more: Record<string, string> = {}) =>
      r.post({ 'x-ferry-batch': batch, 'x-ferry-path': encodeURIComponent(p), ...more }, body);
    const top = path.join(r.stagingDir, batch, 'top');
    expect((await entry('top/a.txt', 'aaa')).path).toBe(top);
    expect((await entry('top/sub/deeper/b.txt', 'b')).path).toBe(top);
    expect((await stat(path.join(top, 'sub', 'deeper'))).mode & 0o777).toBe(0o700);
    expect((await entry('top/empty', '', { 'x-ferry-directory': '1' })).path).toBe(top);
    expect(await readdir(path.join(top, 'empty'))).toEqual([]);
    expect((await entry('top/new/nested/empty', '', { 'x-ferry-directory': '1' })).path).toBe(top);
    expect((await stat(path.join(top, 'new', 'nested', 'empty'))).mode & 0o777).toBe(0o700);
    expect(await entry('top/notdir', 'x', { 'x-ferry-directory': '1' })).toEqual({
      code: 'UPLOAD_FAILED',
      message: 'a folder upload has no body',
    });
    // x-ferry-directory only counts as "1" and only in a batch.
    expect((await entry('top/file-anyway', 'f', { 'x-ferry-directory': 'yes' })).path).toBe(top);
    expect(await readFile(path.join(top, 'file-anyway'), 'utf8')).toBe('f');
    const single = await r.post({ 'x-ferry-name': 'alone.txt', 'x-ferry-directory': '1' }, 'z');
    expect(await readFile(single.path, 'utf8')).toBe('z');

    // A folder where a file is, or a file inside a file: refused, the rest stays.
    expect(await entry('top/a.txt', '', { 'x-ferry-directory': '1' })).toMatchObject({
      code: 'UPLOAD_FAILED',
      message: expect.stringMatching(/^the folder could not be staged: /),
    });
    expect(await entry('top/a.txt/inner.txt')).toMatchObject({
      code: 'UPLOAD_FAILED',
      message: expect.stringMatching(/^the folder could not be staged: /),
    });
    const cut = r.rawUpload(
      { 'x-ferry-batch': batch, 'x-ferry-path': 'top/cut.bin', 'content-length': '100' },
      '0123456789',
    );
    await waitUntil(async () => (await readFile(path.join(top, 'cut.bin'), 'utf8').catch(() => '')) === '0123456789', {
      what: 'the first bytes on disk',
    });
    cut.destroy();
    await waitUntil(() => r.outcomes.length === 10, { what: 'the cut batch file to fail' });
    expect(await present(path.join(top, 'cut.bin'))).toBe(false);
    expect(await readFile(path.join(top, 'a.txt'), 'utf8')).toBe('aaa');
    expect(r.stagedIds.filter((id) => id === batch)).toHaveLength(5);

    for (const bad of ['short', 'x'.repeat(65), 'has space1', 'dot.dot.dot']) {
      expect(await r.post({ 'x-ferry-batch': bad, 'x-ferry-path': 'a.txt' }), bad).toEqual({
        code: 'INVALID_ARGUMENT',
        message: 'the upload batch id is malformed',
      });
    }
    expect((await r.post({ 'x-ferry-batch': 'x'.repeat(64), 'x-ferry-path': 'ok.txt' })).path).toBe(
      path.join(r.stagingDir, 'x'.repeat(64), 'ok.txt'),
    );
    expect(await r.post({ 'x-ferry-batch': batch, 'x-ferry-path': '%zz' })).toEqual({
      code: 'NAME_REJECTED',
      message: 'the x-ferry-path header is not valid UTF-8',
    });
  });
});

describe('staging tracker', () => {
  async function tracker(options: { claimTtlMs?: number; maxUnclaimed?: number } = {}) {
    const stagingDir = await tempDir('ferry-staging-');
    let now = 1_000_000;
    const t = new StagingTracker(stagingDir, { claimTtlMs: 60_000, now: () => now, ...options });
    closers.push(async () => t.stop());
    /** Stages uploads as receiveUpload would: a folder with a file, then staged(). */
    const stage = async (...uploadIds: string[]) => {
      for (const id of uploadIds) {
        await mkdir(path.join(stagingDir, id));
        await writeFile(path.join(stagingDir, id, 'f.txt'), id);
        t.staged(id);
      }
    };
    return { t, stagingDir, stage, advance: (ms: number) => (now += ms) };
  }

  it('finds the upload ids among offered paths, ignoring anything outside the staging folder', async () => {
    const { t, stagingDir } = await tracker();
    const id = 'abcdef12-3456';
    expect(
      t.uploadIds([
        path.join(stagingDir, id, 'a.txt'),
        path.join(stagingDir, id, 'sub', 'b.txt'),
        path.join(stagingDir, 'other-upload', 'c.txt'),
        path.join(stagingDir, 'other-upload'),
        stagingDir,
        path.join(stagingDir, '..', 'outside', 'x'),
        path.join(stagingDir, 'bad id!', 'x'),
        path.join(stagingDir, 'short', 'x'),
        '/etc/passwd',
        42,
        null,
      ]),
    ).toEqual([id, 'other-upload']);
    expect(t.uploadIds([path.join(stagingDir, '..bad-but-long', 'x')])).toEqual([]);
  });

  it('deletes unclaimed uploads once they are older than the claim time, and no sooner', async () => {
    const { t, stagingDir, stage, advance } = await tracker({ claimTtlMs: 60_000 });
    await stage('aaaaaaaa-1', 'bbbbbbbb-1');
    advance(30_000);
    await stage('cccccccc-1');
    advance(29_999);
    await t.sweep();
    expect((await readdir(stagingDir)).sort()).toEqual(['aaaaaaaa-1', 'bbbbbbbb-1', 'cccccccc-1']);
    advance(1);
    await t.sweep();
    expect(await readdir(stagingDir)).toEqual(['cccccccc-1']);
    advance(30_000);
    await t.sweep();
    expect(await readdir(stagingDir)).toEqual([]);
  });

  it('sweeps by itself every claim time (at most every minute)', async () => {
    const stagingDir = await tempDir('ferry-staging-');
    const t = new StagingTracker(stagingDir, { claimTtlMs: 200 });
    closers.push(async () => t.stop());
    await mkdir(path.join(stagingDir, 'unclaimed-1'));
    t.staged('unclaimed-1');
    await waitUntil(async () => !(await present(path.join(stagingDir, 'unclaimed-1'))), {
      what: 'the sweeper to delete the unclaimed upload',
    });
  });

  it('has room for a bounded number of unclaimed uploads; claiming makes room', async () => {
    const { t, stagingDir, stage } = await tracker({ maxUnclaimed: 2 });
    expect(t.hasRoom()).toBe(true);
    await stage('aaaaaaaa-2');
    expect(t.hasRoom()).toBe(true);
    await stage('bbbbbbbb-2');
    expect(t.hasRoom()).toBe(false);
    await t.claim('transfer-1', ['aaaaaaaa-2']);
    expect(t.hasRoom()).toBe(true);
    expect(await readFile(path.join(stagingDir, 'aaaaaaaa-2.transfer'), 'utf8')).toBe('transfer-1');
    expect((await stat(path.join(stagingDir, 'aaaaaaaa-2.transfer'))).mode & 0o777).toBe(0o600);
    const fresh = new StagingTracker(stagingDir);
    closers.push(async () => fresh.stop());
    for (let i = 0; i < 20_000; i++) fresh.staged(`id-${i}`);
    expect(fresh.hasRoom()).toBe(false);
  });

  it('a claimed upload survives the sweep and goes when its transfer ends, in whatever way', async () => {
    const { t, stagingDir, stage, advance } = await tracker();
    const ended = ['done', 'failed', 'cancelled', 'declined', 'expired'];
    for (const i of ended.keys()) {
      const id = `claimed-${i}`;
      await stage(id);
      await t.claim(`transfer-${i}`, [id]);
    }
    await stage('unclaimed-x');
    await t.claim('transfer-none', []);
    expect(await present(path.join(stagingDir, 'transfer-none.transfer'))).toBe(false);
    advance(120_000);
    await t.sweep();
    expect(await present(path.join(stagingDir, 'unclaimed-x'))).toBe(false);
    for (const [i, state] of ended.entries()) {
      for (const running of ['offered', 'accepted', 'sending', 'paused'])
        await t.transferState(`transfer-${i}`, running);
      expect(await present(path.join(stagingDir, `claimed-${i}`)), state).toBe(true);
      await t.transferState(`transfer-${i}`, state);
      expect(await present(path.join(stagingDir, `claimed-${i}`)), state).toBe(false);
      expect(await present(path.join(stagingDir, `claimed-${i}.transfer`)), state).toBe(false);
    }
    await t.transferState('unknown-transfer', 'done'); // nothing to do
    expect(await readdir(stagingDir)).toEqual([]);
  });

  it('one transfer may claim many uploads in several calls; discard deletes at once, many at a time', async () => {
    const { t, stagingDir, stage } = await tracker();
    const many = ids(70);
    await stage(...many);
    await t.claim('big', many.slice(0, 40));
    await t.claim('big', many.slice(40, 50));
    await t.discard(many.slice(50));
    expect((await readdir(stagingDir)).filter((e) => !e.endsWith('.transfer'))).toHaveLength(50);
    await t.transferState('big', 'done');
    expect(await readdir(stagingDir)).toEqual([]);
  });

  it('a transfer that ends while its claim is being written leaves nothing behind', async () => {
    const { t, stagingDir, stage } = await tracker();
    const many = ids(40);
    await stage(...many);
    const claiming = t.claim('quick', many);
    await t.transferState('quick', 'declined');
    await claiming;
    expect(await readdir(stagingDir)).toEqual([]);
  });

  it('at start keeps what a still-unfinished transfer claims and deletes everything else', async () => {
    const { t, stagingDir } = await tracker();
    expect(await new StagingTracker(path.join(stagingDir, 'missing')).recover(() => true)).toBe(0);
    for (const id of ['keep-upload-0001', 'keep-upload-02', 'gone-0001', 'free-0001'])
      await mkdir(path.join(stagingDir, id));
    await writeFile(path.join(stagingDir, 'keep-upload-0001.transfer'), 'open');
    await writeFile(path.join(stagingDir, 'keep-upload-02.transfer'), 'open');
    await writeFile(path.join(stagingDir, 'gone-0001.transfer'), 'finished');
    await writeFile(path.join(stagingDir, 'orphan-upload-1.transfer'), 'open'); // its upload is gone
    await writeFile(path.join(stagingDir, 'empty-001.transfer'), '');
    await mkdir(path.join(stagingDir, 'empty-001'));
    expect(await t.recover((id) => id === 'open')).toBe(3);
    expect((await readdir(stagingDir)).sort()).toEqual([
      'keep-upload-0001',
      'keep-upload-0001.transfer',
      'keep-upload-02',
      'keep-upload-02.transfer',
    ]);
    // What it kept belongs to that transfer now: it goes when the transfer ends.
    await t.transferState('open', 'done');
    expect(await readdir(stagingDir)).toEqual([]);
  });
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
    const offer = await node.node.sendFiles(`direct:${bob.id}`, [body.path as string]);
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
