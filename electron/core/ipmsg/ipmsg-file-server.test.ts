/**
 * The IP Messenger file server on its own, over real TCP on 127.0.0.1 with real files:
 * what it serves, to whom, and everything it refuses. Connections come from 127.0.0.1 or
 * 127.0.0.2 (both loopback), which the server tells apart as two peers.
 */
import { EventEmitter, once } from 'node:events';
import { appendFileSync, truncateSync } from 'node:fs';
import { appendFile, mkdir, rm, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../../../test/helpers/temp-dir';
import {
  DEFAULT_FILE_SERVER_LIMITS,
  handOver,
  IpmsgFileServer,
  type FileServerHost,
  type FileServerLimits,
  type ServedEntry,
  type ServedFile,
  type ServedOffer,
} from './ipmsg-file-server';
import { encodePacket, FILE_ATTR, MODE } from './ipmsg-packet';

const A = '127.0.0.1';
const B = '127.0.0.2';

interface Pull {
  transferId: string;
  index: number;
  bytes: number;
  complete: boolean;
}

/** The server's host: records what it reports, and lets a test act when bytes go out. */
class Recorder extends EventEmitter implements FileServerHost {
  readonly refusals: string[] = [];
  readonly pulls: Pull[] = [];
  /** Runs inside the server's report, before it goes on (so a change made here is in place for what follows). */
  onPulled: ((pull: Pull) => void) | null = null;

  pulled(offer: ServedOffer, index: number, bytes: number, complete: boolean): void {
    const pull = { transferId: offer.transferId, index, bytes, complete };
    this.pulls.push(pull);
    this.onPulled?.(pull);
  }

  refused(ip: string, why: string): void {
    this.refusals.push(`${ip}: ${why}`);
    this.emit('refused', why);
  }

  completed(index: number): boolean {
    return this.pulls.some((p) => p.index === index && p.complete);
  }
}

const servers: IpmsgFileServer[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(limits: Partial<FileServerLimits> = {}): Promise<{ server: IpmsgFileServer; host: Recorder }> {
  const host = new Recorder();
  const server = new IpmsgFileServer(host, { ...DEFAULT_FILE_SERVER_LIMITS, ...limits });
  servers.push(server);
  await server.listen(0, A);
  return { server, host };
}

async function servedFile(dir: string, name: string, content: Buffer | string, index = 0): Promise<ServedFile> {
  const source = path.join(dir, name);
  await writeFile(source, content);
  const info = await stat(source);
  return { index, inside: [], size: info.size, mtime: Math.trunc(info.mtimeMs), source, isDirectory: false };
}

/** A 64 MiB sparse file: more than loopback's buffers hold, so a peer that stops reading stalls the sender. */
async function bigFile(dir: string): Promise<ServedFile> {
  const source = path.join(dir, 'big.bin');
  await writeFile(source, '');
  await truncate(source, 64 * 1024 * 1024);
  const info = await stat(source);
  return { index: 0, inside: [], size: info.size, mtime: Math.trunc(info.mtimeMs), source, isDirectory: false };
}

function offerOf(
  transferId: string,
  packetNo: number,
  entries: ServedEntry[],
  ip = A,
  deadline = Date.now() + 600_000,
): ServedOffer {
  return { transferId, ip, packetNo, deadline, entries, requested: false, completed: new Set() };
}

const fileEntry = (fileId: number, file: ServedFile): ServedEntry => ({
  fileId,
  dir: false,
  name: Buffer.from(path.basename(file.source)),
  files: [file],
});

function request(extra: string, mode: number = MODE.GETFILEDATA): Buffer {
  return encodePacket({
    version: '1',
    packetNo: 77,
    user: Buffer.from('tester'),
    host: Buffer.from('box'),
    command: mode,
    extra: Buffer.from(extra, 'latin1'),
  });
}

/** Connects (from `from`), sends `payload` if given, and returns every byte received until the server closes. */
function fetchRaw(port: number, payload: Buffer | null, from = A): Promise<Buffer> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: A, localAddress: from });
    sockets.push(socket);
    const parts: Buffer[] = [];
    socket.on('data', (c: Buffer) => parts.push(c));
    socket.on('error', () => {});
    socket.on('close', () => resolve(Buffer.concat(parts)));
    if (payload) socket.on('connect', () => socket.write(payload));
  });
}

const fetch = (port: number, extra: string, mode: number = MODE.GETFILEDATA, from = A) =>
  fetchRaw(port, request(extra, mode), from);

/** An open connection that has sent nothing yet (the server has counted it once it is connected and seen). */
async function idleConnection(port: number, from = A): Promise<net.Socket> {
  const socket = net.connect({ port, host: A, localAddress: from });
  sockets.push(socket);
  socket.on('error', () => {});
  await once(socket, 'connect');
  return socket;
}

interface Header {
  name: string;
  size: number;
  attr: number;
  mtime: number;
  bytes?: string;
}

/** Parses a GETDIRFILES answer independently of the production reader, keeping every header (RETPARENT too). */
function parseDirStream(data: Buffer): Header[] {
  const out: Header[] = [];
  let at = 0;
  while (at < data.length) {
    const length = parseInt(data.subarray(at, at + 4).toString('latin1'), 16);
    const fields = data
      .subarray(at + 5, at + length - 1)
      .toString('utf8')
      .split(':');
    at += length;
    const header: Header = {
      name: fields[0]!,
      size: parseInt(fields[1]!, 16),
      attr: parseInt(fields[2]!, 16),
      mtime: parseInt(fields[3]!.slice(3), 16),
    };
    expect(fields[4]).toBe(`16=${fields[3]!.slice(3)}`);
    if (header.attr === FILE_ATTR.REGULAR) {
      header.bytes = data.subarray(at, at + header.size).toString('utf8');
      at += header.size;
    }
    out.push(header);
  }
  return out;
}

describe('IpmsgFileServer: a file', () => {
  it('serves the offered file whole to the address it was offered to, and reports it complete', async () => {
    const dir = await tempDir();
    const { server, host } = await start();
    const file = await servedFile(dir, 'notes.txt', 'hello, iptux');
    const offer = offerOf('t1', 0x1234, [fileEntry(5, file)]);
    server.add(offer);
    expect(server.get('t1')).toBe(offer);
    expect(server.byPacket(A, 0x1234)).toBe(offer);
    expect(server.byPacket(B, 0x1234)).toBeUndefined();

    const data = await fetch(server.port, '1234:5:0');
    expect(data.toString()).toBe('hello, iptux');
    expect(offer.requested).toBe(true);
    await vi.waitFor(() => expect(host.completed(0)).toBe(true));
    expect(host.pulls.at(0)).toEqual({ transferId: 't1', index: 0, bytes: 0, complete: false });
    expect(host.pulls.at(-1)).toEqual({ transferId: 't1', index: 0, bytes: 12, complete: true });
    expect(host.refusals).toEqual([]);
  });

  it('serves from the requested offset (hex), and nothing but a completion at the very end', async () => {
    const dir = await tempDir();
    const { server, host } = await start();
    const file = await servedFile(dir, 'abc.txt', 'abcdefghijklmnopqrstuvwxyz', 3);
    server.add(offerOf('t1', 9, [fileEntry(1, file)]));
    expect((await fetch(server.port, '9:1:10')).toString()).toBe('qrstuvwxyz');
    await vi.waitFor(() => expect(host.completed(3)).toBe(true));
    expect(host.pulls[0]).toEqual({ transferId: 't1', index: 3, bytes: 16, complete: false });

    host.pulls.length = 0;
    expect((await fetch(server.port, '9:1:1a')).length).toBe(0);
    await vi.waitFor(() => expect(host.completed(3)).toBe(true));
    expect(host.pulls).toEqual([
      { transferId: 't1', index: 3, bytes: 26, complete: false },
      { transferId: 't1', index: 3, bytes: 26, complete: true },
    ]);
    expect(host.refusals).toEqual([]);
  });

  it('serves an empty file as no bytes, complete', async () => {
    const dir = await tempDir();
    const { server, host } = await start();
    server.add(offerOf('t1', 9, [fileEntry(1, await servedFile(dir, 'empty', ''))]));
    expect((await fetch(server.port, '9:1')).length).toBe(0);
    await vi.waitFor(() => expect(host.completed(0)).toBe(true));
  });

  it('refuses an offset past the end of the file', async () => {
    const dir = await tempDir();
    const { server, host } = await start();
    server.add(offerOf('t1', 9, [fileEntry(1, await servedFile(dir, 'abc.txt', 'abc'))]));
    expect((await fetch(server.port, '9:1:4')).length).toBe(0);
    expect(host.refusals).toEqual([`${A}: a request past the end of the file`]);
    expect(host.completed(0)).toBe(false);
  });

  it('refuses a file changed after it was offered: size, or only its modification time', async () => {
    const dir = await tempDir();
    const { server, host } = await start();
    const grown = await servedFile(dir, 'grown.txt', 'abc', 0);
    const touched = await servedFile(dir, 'touched.txt', 'abc', 1);
    server.add(offerOf('t1', 9, [fileEntry(1, grown), fileEntry(2, touched)]));
    await appendFile(grown.source, 'd');
    await utimes(grown.source, new Date(grown.mtime), new Date(grown.mtime));
    await utimes(touched.source, new Date(touched.mtime + 5000), new Date(touched.mtime + 5000));

    expect((await fetch(server.port, '9:1')).length).toBe(0);
    expect((await fetch(server.port, '9:2')).length).toBe(0);
    expect(host.refusals).toEqual([
      `${A}: ${grown.source} changed after it was offered`,
      `${A}: ${touched.source} changed after it was offered`,
    ]);
  });

  it('refuses a file replaced by a folder', async () => {
    const dir = await tempDir();
    const { server, host } = await start();
    const file = await servedFile(dir, 'gone', '', 0);
    server.add(offerOf('t1', 9, [fileEntry(1, file)]));
    await rm(file.source);
    await mkdir(file.source);
    const info = await stat(file.source);
    file.size = info.size;
    file.mtime = Math.trunc(info.mtimeMs);
    expect((await fetch(server.port, '9:1')).length).toBe(0);
    expect(host.refusals).toEqual([`${A}: ${file.source} changed after it was offered`]);
  });

  it('sends only the offered bytes of a file that grows once checked, and reports a file that shrinks', async () => {
    const dir = await tempDir();
    const { server, host } = await start();
    const grows = await servedFile(dir, 'grows.txt', 'abc', 0);
    const shrinks = await servedFile(dir, 'shrinks.txt', 'abcdef', 1);
    server.add(offerOf('t1', 9, [fileEntry(1, grows), fileEntry(2, shrinks)]));
    // The first report comes after the check and before any byte is read.
    host.onPulled = (p) => {
      if (p.bytes !== 0 || p.complete) return;
      if (p.index === 0) appendFileSync(grows.source, 'EXTRA');
      else truncateSync(shrinks.source, 2);
    };
    expect((await fetch(server.port, '9:1')).toString()).toBe('abc');
    await vi.waitFor(() => expect(host.completed(0)).toBe(true));

    expect((await fetch(server.port, '9:2')).toString()).toBe('ab');
    await vi.waitFor(() => expect(host.refusals).toEqual([`${A}: ${shrinks.source} shrank while it was being sent`]));
    expect(host.completed(1)).toBe(false);
  });
});

describe('IpmsgFileServer: what it refuses', () => {
  it('refuses an address no offer was made to, before reading anything', async () => {
    const dir = await tempDir();
    const { server, host } = await start();
    server.add(offerOf('t1', 9, [fileEntry(1, await servedFile(dir, 'a.txt', 'abc'))], B));
    expect((await fetch(server.port, '9:1')).length).toBe(0);
    expect(host.refusals).toEqual([`${A}: no offer was made to this address`]);
  });

  it('serves each address only its own offers, when offers went to several', async () => {
    const dir = await tempDir();
    const { server, host } = await start();
    server.add(offerOf('to-b', 8, [fileEntry(1, await servedFile(dir, 'b.txt', 'for b', 0))], B));
    server.add(offerOf('to-a', 9, [fileEntry(1, await servedFile(dir, 'a.txt', 'for a', 1))], A));
    expect((await fetch(server.port, '9:1')).toString()).toBe('for a');
    expect((await fetch(server.port, '8:1', MODE.GETFILEDATA, B)).toString()).toBe('for b');
    expect(host.refusals).toEqual([]);
    expect((await fetch(server.port, '8:1')).length).toBe(0);
    expect(host.refusals).toEqual([`${A}: a request for nothing offered to this address`]);
  });

  it('refuses a packet number never offered, a file id not in the offer, and the wrong kind of request', async () => {
    const dir = await tempDir();
    const { server, host } = await start();
    const folder = path.join(dir, 'folder');
    await mkdir(folder);
    const file = await servedFile(dir, 'a.txt', 'abc');
    server.add(
      offerOf('t1', 9, [fileEntry(1, file), { fileId: 2, dir: true, name: Buffer.from('folder'), files: [] }]),
    );
    expect((await fetch(server.port, '10:1')).length).toBe(0);
    expect((await fetch(server.port, '9:3')).length).toBe(0);
    expect((await fetch(server.port, '9:1', MODE.GETDIRFILES)).length).toBe(0);
    expect((await fetch(server.port, '9:2', MODE.GETFILEDATA)).length).toBe(0);
    expect((await fetch(server.port, '9:1', MODE.RELEASEFILES)).length).toBe(0);
    expect(host.refusals).toEqual([
      `${A}: a request for nothing offered to this address`,
      `${A}: a request for a file never offered`,
      `${A}: a request for a file never offered`,
      `${A}: a request for a file never offered`,
      `${A}: an unexpected command ${MODE.RELEASEFILES}`,
    ]);
  });

  it('refuses numbers that are not hex, even where a prefix or suffix would be', async () => {
    const dir = await tempDir();
    const { server, host } = await start();
    server.add(offerOf('t1', 1, [fileEntry(1, await servedFile(dir, 'a.txt', 'abc'))]));
    for (const extra of [
      '1zz:1:0',
      'zz1:1:0',
      '1:1zz:0',
      '1:zz1:0',
      '1:1:1zz',
      '1:1:zz0',
      '1',
      ':1',
      '1::0',
      '12345678901234567:1',
    ])
      expect((await fetch(server.port, extra)).length, extra).toBe(0);
    expect(host.refusals).toEqual(Array<string>(10).fill(`${A}: a request whose numbers are not hex`));
    // And the well-formed request is served.
    expect((await fetch(server.port, '1:1:0')).toString()).toBe('abc');
  });

  it('refuses a malformed request packet', async () => {
    const dir = await tempDir();
    const { server, host } = await start();
    server.add(offerOf('t1', 1, [fileEntry(1, await servedFile(dir, 'a.txt', 'abc'))]));
    expect((await fetchRaw(server.port, Buffer.from('1:2:no-command\0'))).length).toBe(0);
    expect(host.refusals).toHaveLength(1);
    expect(host.refusals[0]).toMatch(/^127\.0\.0\.1: a malformed request: /);
  });

  it('refuses a request after the offer deadline', async () => {
    const dir = await tempDir();
    const { server, host } = await start();
    server.add(offerOf('t1', 1, [fileEntry(1, await servedFile(dir, 'a.txt', 'abc'))], A, Date.now() - 1));
    expect((await fetch(server.port, '1:1')).length).toBe(0);
    expect(host.refusals).toEqual([`${A}: a request for nothing offered to this address`]);
  });

  it('takes a request of up to 1024 bytes before its NUL, and closes on a longer one', async () => {
    const dir = await tempDir();
    const { server, host } = await start({ headerTimeoutMs: 60_000 });
    server.add(offerOf('t1', 1, [fileEntry(1, await servedFile(dir, 'a.txt', 'abc'))]));
    const exact = request('1:1:0:');
    const padded = (n: number) => request(`1:1:0:${'x'.repeat(n - exact.length + 1)}`);
    expect(padded(1024).indexOf(0)).toBe(1024);
    expect((await fetchRaw(server.port, padded(1024))).toString()).toBe('abc');
    expect((await fetchRaw(server.port, padded(1025))).length).toBe(0);
    // No NUL at all: closed as soon as more than 1024 bytes came, long before the header deadline.
    expect((await fetchRaw(server.port, Buffer.alloc(1100, 0x41))).length).toBe(0);
    expect(host.refusals).toEqual([]);
  });

  it('closes a connection whose request does not arrive in time', async () => {
    const dir = await tempDir();
    const { server } = await start({ headerTimeoutMs: 200 });
    server.add(offerOf('t1', 1, [fileEntry(1, await servedFile(dir, 'a.txt', 'abc'))]));
    expect((await fetchRaw(server.port, null)).length).toBe(0);
    expect((await fetchRaw(server.port, Buffer.from('1:2:a:b:96:1:1'))).length).toBe(0);
  });

  it('cuts a peer that stops taking bytes, once idle for longer than allowed', async () => {
    const dir = await tempDir();
    const { server, host } = await start({ idleTimeoutMs: 300 });
    const file = await bigFile(dir);
    const info = { size: file.size };
    server.add(offerOf('t1', 1, [fileEntry(1, file)]));
    const socket = await idleConnection(server.port);
    socket.pause();
    const refused = once(host, 'refused');
    socket.write(request('1:1:0'));
    await refused;
    expect(host.completed(0)).toBe(false);
    expect(host.pulls.at(-1)!.bytes).toBeLessThan(info.size);
  });
});

describe('IpmsgFileServer: connection limits', () => {
  it('lets one address hold at most perPeer connections, counting only its own', async () => {
    const dir = await tempDir();
    const { server, host } = await start({ perPeer: 2 });
    const file = await servedFile(dir, 'a.txt', 'abc');
    server.add(offerOf('to-a', 1, [fileEntry(1, file)], A));
    server.add(offerOf('to-b', 2, [fileEntry(1, file)], B));
    await idleConnection(server.port, B);
    await idleConnection(server.port, B);
    const first = await idleConnection(server.port, A);
    const refused = once(host, 'refused');
    const third = fetchRaw(server.port, null, B);
    expect(await refused).toEqual(['too many connections']);
    expect((await third).length).toBe(0);
    // A's one connection leaves it room for a second: only its own are counted.
    expect((await fetch(server.port, '1:1')).toString()).toBe('abc');
    expect(host.refusals).toEqual([`${B}: too many connections`]);
    first.destroy();
  });

  it('holds at most `total` connections in all', async () => {
    const dir = await tempDir();
    const { server, host } = await start({ perPeer: 5, total: 2 });
    const file = await servedFile(dir, 'a.txt', 'abc');
    server.add(offerOf('to-a', 1, [fileEntry(1, file)], A));
    server.add(offerOf('to-b', 2, [fileEntry(1, file)], B));
    await idleConnection(server.port, A);
    await idleConnection(server.port, B);
    expect((await fetch(server.port, '1:1')).length).toBe(0);
    expect(host.refusals).toEqual([`${A}: too many connections`]);
  });

  it('serves again once a finished connection has closed, with one connection allowed', async () => {
    const dir = await tempDir();
    const { server, host } = await start({ perPeer: 1 });
    server.add(offerOf('t1', 1, [fileEntry(1, await servedFile(dir, 'a.txt', 'abc'))]));
    for (let i = 0; i < 3; i++)
      await vi.waitFor(async () => expect((await fetch(server.port, '1:1')).toString()).toBe('abc'));
    expect(host.pulls.filter((p) => p.complete)).toHaveLength(3);
  });
});

describe('IpmsgFileServer: withdrawing and closing', () => {
  it('remove() stops an offer and cuts only its own running requests', async () => {
    const dir = await tempDir();
    const { server, host } = await start({ idleTimeoutMs: 60_000 });
    const big = await bigFile(dir);
    const info = { size: big.size };
    server.add(offerOf('cut', 1, [fileEntry(1, big)]));
    server.add(offerOf('kept', 2, [fileEntry(1, big)]));
    const cut = await idleConnection(server.port);
    const kept = await idleConnection(server.port);
    cut.pause();
    kept.pause();
    const started = new Promise<void>((resolve) => {
      host.onPulled = () => {
        if (new Set(host.pulls.filter((p) => p.bytes > 0).map((p) => p.transferId)).size === 2) resolve();
      };
    });
    cut.write(request('1:1:0'));
    kept.write(request('2:1:0'));
    await started;
    let cutReceived = 0;
    cut.on('data', (c: Buffer) => (cutReceived += c.length));
    const cutClosed = once(cut, 'close');
    server.remove('cut');
    server.remove('never-offered');
    cut.resume();
    await cutClosed;
    expect(cutReceived).toBeLessThan(info.size);
    expect(server.get('cut')).toBeUndefined();
    expect(server.byPacket(A, 1)).toBeUndefined();
    let received = 0;
    kept.on('data', (c: Buffer) => (received += c.length));
    const keptClosed = once(kept, 'close');
    kept.resume();
    await keptClosed;
    expect(received).toBe(info.size);
    expect(server.get('kept')).toBeDefined();
  });

  it('close() cuts running requests and stops listening; closing twice is harmless', async () => {
    const dir = await tempDir();
    const { server } = await start();
    server.add(offerOf('t1', 1, [fileEntry(1, await servedFile(dir, 'a.txt', 'abc'))]));
    const waiting = await idleConnection(server.port);
    const port = server.port;
    const closed = once(waiting, 'close');
    await server.close();
    await closed;
    expect(server.port).toBe(0);
    await server.close();
    const refused = net.connect({ port, host: A });
    sockets.push(refused);
    const [err] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    expect(err.code).toBe('ECONNREFUSED');
  });

  it('rejects listen() on a port already taken', async () => {
    const { server } = await start();
    const second = new IpmsgFileServer(new Recorder());
    servers.push(second);
    await expect(second.listen(server.port, A)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(second.port).toBe(0);
  });
});

describe('IpmsgFileServer: a folder', () => {
  it('streams the tree depth first, opening and closing folders as IP Messenger does', async () => {
    const dir = await tempDir();
    const { server, host } = await start();
    const mtime = Date.UTC(2026, 0, 2, 3, 4, 5);
    const file = async (index: number, inside: string[], content: string): Promise<ServedFile> => {
      const source = path.join(dir, `src-${index}`);
      await writeFile(source, content);
      await utimes(source, new Date(mtime), new Date(mtime));
      return {
        index,
        inside: inside.map((s) => Buffer.from(s)),
        size: content.length,
        mtime,
        source,
        isDirectory: false,
      };
    };
    const folder = (index: number, inside: string[]): ServedFile => ({
      index,
      inside: inside.map((s) => Buffer.from(s)),
      size: 0,
      mtime,
      source: dir,
      isDirectory: true,
    });
    const files = [
      await file(0, ['a', 'x.txt'], 'xx'),
      await file(1, ['a', 'b', 'y.txt'], 'yyy'),
      folder(2, ['c']),
      await file(3, ['z.txt'], 'z'),
      await file(4, ['d', 'e.txt'], ''),
      await file(5, ['d', 'f.txt'], 'ff'),
    ];
    server.add(offerOf('t1', 0x42, [{ fileId: 7, dir: true, name: Buffer.from('top'), files }]));
    const before = Math.floor(Date.now() / 1000);
    const data = await fetch(server.port, '42:7', MODE.GETDIRFILES);
    const after = Math.ceil(Date.now() / 1000);
    const headers = parseDirStream(data);
    const t = mtime / 1000;
    const { DIR, REGULAR, RETPARENT } = FILE_ATTR;
    expect(headers.slice(1).map((h) => [h.name, h.attr, h.size, h.bytes])).toEqual([
      ['a', DIR, 0, undefined],
      ['x.txt', REGULAR, 2, 'xx'],
      ['b', DIR, 0, undefined],
      ['y.txt', REGULAR, 3, 'yyy'],
      ['.', RETPARENT, 0, undefined],
      ['.', RETPARENT, 0, undefined],
      ['c', DIR, 0, undefined],
      ['.', RETPARENT, 0, undefined],
      ['z.txt', REGULAR, 1, 'z'],
      ['d', DIR, 0, undefined],
      ['e.txt', REGULAR, 0, ''],
      ['f.txt', REGULAR, 2, 'ff'],
      ['.', RETPARENT, 0, undefined],
      ['.', RETPARENT, 0, undefined],
    ]);
    expect(headers[0]).toMatchObject({ name: 'top', attr: DIR, size: 0 });
    expect(headers[0]!.mtime).toBeGreaterThanOrEqual(before);
    expect(headers[0]!.mtime).toBeLessThanOrEqual(after);
    for (const h of headers.slice(1, -1)) if (h.attr !== RETPARENT) expect(h.mtime, h.name).toBe(t);
    await vi.waitFor(() => expect(files.every((f) => host.completed(f.index))).toBe(true));
    expect(host.refusals).toEqual([]);
  });

  it('stops a folder at a file changed after the offer, or one that shrinks while read', async () => {
    const dir = await tempDir();
    const { server, host } = await start();
    const one = await servedFile(dir, 'one.txt', 'first', 0);
    one.inside = [Buffer.from('one.txt')];
    const two = await servedFile(dir, 'two.txt', 'second', 1);
    two.inside = [Buffer.from('two.txt')];
    server.add(offerOf('t1', 1, [{ fileId: 1, dir: true, name: Buffer.from('top'), files: [one, two] }]));
    await appendFile(two.source, '!');
    const changed = parseDirStream(await fetch(server.port, '1:1', MODE.GETDIRFILES));
    expect(changed.map((h) => h.name)).toEqual(['top', 'one.txt']);
    await vi.waitFor(() => expect(host.refusals).toEqual([`${A}: ${two.source} changed after it was offered`]));
    expect(host.completed(0)).toBe(false);

    // Now a big second file, cut short once its first chunk went out.
    await truncate(two.source, 0);
    await truncate(two.source, 8 * 1024 * 1024);
    const info = await stat(two.source);
    two.size = info.size;
    two.mtime = Math.trunc(info.mtimeMs);
    host.onPulled = (p) => {
      if (p.index === 1 && p.bytes > 0 && p.bytes < two.size) truncateSync(two.source, 3);
    };
    host.refusals.length = 0;
    const shrunk = await fetch(server.port, '1:1', MODE.GETDIRFILES);
    await vi.waitFor(() => expect(host.refusals).toEqual([`${A}: ${two.source} shrank while it was being sent`]));
    expect(shrunk.length).toBeLessThan(two.size);
    expect(host.completed(1)).toBe(false);
  });
});

describe('handOver', () => {
  /** A connected pair on 127.0.0.1: the server's socket (flowing, so it sees the peer's end) and the client. */
  async function pair(): Promise<{ server: net.Socket; client: net.Socket }> {
    const listener = net.createServer();
    await new Promise<void>((resolve) => listener.listen(0, A, resolve));
    const accepted = once(listener, 'connection') as Promise<[net.Socket]>;
    const client = net.connect({ port: (listener.address() as net.AddressInfo).port, host: A });
    sockets.push(client);
    const [server] = await accepted;
    sockets.push(server);
    listener.close();
    server.on('error', () => {});
    client.on('error', () => {});
    server.resume();
    return { server, client };
  }

  it('succeeds when the peer closes after the last byte while the source is still finishing', async () => {
    const { server, client } = await pair();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* source() {
      yield Buffer.from('hello');
      await gate; // the source is still finishing (a file stream reading its end)
    }
    const done = handOver(source(), server, () => true);
    const got: Buffer[] = [];
    client.on('data', (c: Buffer) => {
      got.push(c);
      if (Buffer.concat(got).length === 5) client.end();
    });
    await once(server, 'close');
    release();
    await expect(done).resolves.toBeUndefined();
    expect(Buffer.concat(got).toString()).toBe('hello');
  });

  it('fails when the peer goes before everything was handed over', async () => {
    const { server, client } = await pair();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* source() {
      yield Buffer.from('part one');
      await gate;
      yield Buffer.from('part two');
    }
    const done = handOver(source(), server, () => false);
    client.destroy();
    await once(server, 'close');
    release();
    await expect(done).rejects.toThrow();
  });
});
