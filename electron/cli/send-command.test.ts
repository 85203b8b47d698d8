/**
 * `ferry send` in-process: the command runs in this process against a real node
 * on 127.0.0.1 (discovery off), with its output captured and Ctrl-C sent as an event.
 */
import { existsSync } from 'node:fs';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testIo, type TestIo } from '../../test/helpers/cli-io';
import { throttledProxy } from '../../test/helpers/cli-process';
import { startNode, type TestNode } from '../../test/helpers/nodes';
import { tempDir } from '../../test/helpers/temp-dir';
import { randomFile, sha256, tree } from '../../test/helpers/transfer';
import { waitUntil } from '../../test/helpers/wait';
import { FerryNode } from '../core/ferry-node';
import { sendCommand } from './send-command';

let savedDataDir: string | undefined;
beforeEach(async () => {
  savedDataDir = process.env.FERRY_DATA_DIR;
  // Where a sender without --data-dir keeps its identity: never the real user's folder.
  process.env.FERRY_DATA_DIR = await tempDir('ferry-default-');
});
afterEach(() => {
  if (savedDataDir === undefined) delete process.env.FERRY_DATA_DIR;
  else process.env.FERRY_DATA_DIR = savedDataDir;
});

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** A TCP server that accepts and then says nothing: a peer that never answers the hello. */
async function silentServer(): Promise<{ port: number; connected: () => boolean; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => sockets.add(s)).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  afterEach(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    connected: () => sockets.size > 0,
    close: async () => {},
  };
}

async function run(args: string[], t: TestIo = testIo()): Promise<{ code: number; t: TestIo }> {
  return { code: await sendCommand(args, t.io), t };
}

async function sender(): Promise<string[]> {
  return ['--data-dir', await tempDir('ferry-sender-'), '--name', 'Alice'];
}

describe('ferry send: usage', () => {
  it.each([
    [[], '--to HOST[:PORT] is required'],
    [['--to', '127.0.0.1:9'], 'nothing to send: give files/folders or --message TEXT'],
    [['--to', '127.0.0.1:9', '-m', 'x', '--timeout', '0'], '--timeout: "0" is not a number of seconds'],
    [['--to', '127.0.0.1:9', '-m', 'x', '--timeout=-3'], '--timeout: "-3" is not a number of seconds'],
    [['--to', '127.0.0.1:9', '-m', 'x', '--timeout', 'soon'], '--timeout: "soon" is not a number of seconds'],
  ])('%j is a usage error: %s', async (args, message) => {
    const t = testIo();
    await expect(sendCommand(args, t.io)).rejects.toMatchObject({
      code: 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE',
      message,
    });
    expect(t.stdout() + t.stderr()).toBe('');
  });

  it('a bad --to is a usage error that says why, without a trailing full stop', async () => {
    const err = await sendCommand(['--to', '127.0.0.1:99999', '-m', 'x'], testIo().io).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE',
      message: '--to: "99999" is not a port number (1–65535)',
    });
  });

  it('an unknown option or a missing value is the parser’s usage error', async () => {
    await expect(sendCommand(['--to', 'x', '--force'], testIo().io)).rejects.toMatchObject({
      code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION',
    });
    await expect(sendCommand(['--to'], testIo().io)).rejects.toMatchObject({
      code: 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE',
    });
  });

  it('a missing file is named before anything starts (no data dir is created)', async () => {
    const dataDir = path.join(await tempDir(), 'sender');
    const src = await tempDir();
    const real = path.join(src, 'real.txt');
    await writeFile(real, 'x');
    const missing = path.join(src, 'gone', 'file.bin');
    await expect(
      sendCommand(['--to', '127.0.0.1:9', '--data-dir', dataDir, real, `${missing}/`], testIo().io),
    ).rejects.toMatchObject({ code: 'SOURCE_MISSING', message: `"${missing}/" doesn't exist; nothing was sent` });
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe('ferry send: a message', () => {
  it('connects, waits until the peer stored it, says so and exits 0', async () => {
    const bob = await startNode('Bob');
    const { code, t } = await run(['--to', bob.address, ...(await sender()), '-m', 'hello\nthere']);
    expect(code).toBe(0);
    expect(t.stderr()).toBe(`connected to Bob (${bob.address})\n`);
    expect(t.stdout()).toBe('delivered to Bob\n');
    const got = await bob.waitFor('messageAdded', (m) => m.direction === 'in');
    expect(got.text).toBe('hello\nthere');
  });

  it('--json: one JSON object per line on stdout, nothing on stderr', async () => {
    const bob = await startNode('Bob\u202e');
    const { code, t } = await run(['--to', bob.address, ...(await sender()), '--json', '--message', 'hi']);
    expect(code).toBe(0);
    expect(t.stderr()).toBe('');
    const bobId = (await bob.node.getSelf()).id;
    expect(t.stdout()).toContain('\\u202e');
    expect(t.jsonLines()).toEqual([
      { event: 'connected', peer: { id: bobId, name: 'Bob\u202e' } },
      { event: 'delivered' },
    ]);
  });

  it('the peer’s name is printed harmlessly', async () => {
    const bob = await startNode('\u001b]0;x\u0007Bob\u009b2J');
    const { code, t } = await run(['--to', bob.address, ...(await sender()), '-m', 'hi']);
    expect(code).toBe(0);
    expect(t.stderr()).toBe(`connected to ]0;xBob2J (${bob.address})\n`);
    expect(t.stdout()).toBe('delivered to ]0;xBob2J\n');
  });

  it('without --data-dir the identity lives in $FERRY_DATA_DIR; the port defaults to 47820 in what it says', async () => {
    const bob = await startNode('Bob');
    const { code } = await run(['--to', bob.address, '-m', 'hi']);
    expect(code).toBe(0);
    expect(existsSync(path.join(process.env.FERRY_DATA_DIR!, 'ferry.db'))).toBe(true);
    const refused = await run(['--to', '127.0.0.1', ...(await sender()), '-m', 'hi', '--timeout', '5']);
    expect(refused.code).toBe(1);
    expect(refused.t.stderr()).toContain('127.0.0.1:47820');
  });

  it('nobody listening: exit 1 with the reason in plain words (the code only with --json)', async () => {
    const port = await closedPort();
    const { code, t } = await run(['--to', `127.0.0.1:${port}`, ...(await sender()), '-m', 'hi']);
    expect(code).toBe(1);
    expect(t.stdout()).toBe('');
    expect(t.stderr()).toBe(
      `Nothing is listening at 127.0.0.1:${port}: is Ferry running there, and is the port right?\n`,
    );
    const json = await run(['--to', `127.0.0.1:${port}`, ...(await sender()), '-m', 'hi', '--json']);
    expect(json.code).toBe(1);
    expect(json.t.jsonLines()).toEqual([
      { event: 'error', code: expect.stringMatching(/^[A-Z_]+$/u), message: expect.any(String) },
    ]);
  });

  it('--timeout bounds connecting to a peer that never answers', async () => {
    const silent = await silentServer();
    const started = Date.now();
    const { code, t } = await run([
      '--to',
      `127.0.0.1:${silent.port}`,
      ...(await sender()),
      '-m',
      'hi',
      '--timeout',
      '1',
    ]);
    expect(code).toBe(1);
    expect(t.stderr()).toBe(`No answer from 127.0.0.1:${silent.port} within 1 s.\n`);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('Ctrl-C while connecting: "Cancelled.", exit 130', async () => {
    const silent = await silentServer();
    const t = testIo();
    const done = sendCommand(['--to', `127.0.0.1:${silent.port}`, ...(await sender()), '-m', 'hi'], t.io);
    await waitUntil(silent.connected, { what: 'the sender dialing' });
    t.signal('SIGINT');
    expect(await done).toBe(130);
    expect(t.stderr()).toBe('Cancelled.\n');
    expect(t.io.signals.listenerCount('SIGINT') + t.io.signals.listenerCount('SIGTERM')).toBe(0);
  });

  it('SIGTERM while connecting stops it the same way', async () => {
    const silent = await silentServer();
    const t = testIo();
    const done = sendCommand(['--to', `127.0.0.1:${silent.port}`, ...(await sender()), '-m', 'hi', '--json'], t.io);
    await waitUntil(silent.connected, { what: 'the sender dialing' });
    t.signal('SIGTERM');
    expect(await done).toBe(130);
    expect(t.jsonLines()).toEqual([{ event: 'error', code: 'CANCELLED', message: 'Cancelled.' }]);
  });

  it('a peer that takes the link but never confirms the message: the --timeout says so', async () => {
    // Bob takes no unread messages at all: it neither stores nor acks this one.
    const bob = await startNode('Bob', { chatQuota: { maxUnreadMessages: 0 } });
    const { code, t } = await run(['--to', bob.address, ...(await sender()), '-m', 'hi', '--timeout', '1']);
    expect(code).toBe(1);
    expect(t.stderr()).toMatch(
      /Bob did not confirm the message within 1 s; it stays queued in the data dir and is re-sent next time\.\n$/u,
    );
  });
});

async function files(): Promise<{ src: string; paths: string[] }> {
  const src = await tempDir('ferry-src-');
  await randomFile(path.join(src, 'a.bin'), 3000);
  await mkdir(path.join(src, 'folder', 'sub'), { recursive: true });
  await writeFile(path.join(src, 'folder', 'sub', 'b.txt'), 'bee');
  return { src, paths: [path.join(src, 'a.bin'), path.join(src, 'folder')] };
}

describe('ferry send: files', () => {
  it('offers, is accepted, sends and exits 0 once every file is verified', async () => {
    const downloads = await tempDir('ferry-dl-');
    const bob = await startNode('Bob', { autoAccept: 'any', downloadDir: downloads });
    const { paths } = await files();
    const { code, t } = await run(['--to', bob.address, ...(await sender()), '-m', 'files!', ...paths]);
    expect(code).toBe(0);
    expect(t.stdout()).toBe('delivered to Bob\nsent 2 item(s), 2.9 KiB to Bob; verified\n');
    // Plain progress lines (a pipe): however many the engine reports, in this form.
    const progress = t
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('progress '));
    for (const l of progress) expect(l).toMatch(/^progress \d+\/3003 bytes \d.* B\/s eta (--:--|\d\d:\d\d)$/u);
    expect(
      t
        .stderr()
        .split('\n')
        .filter((l) => !l.startsWith('progress ')),
    ).toEqual([
      `connected to Bob (${bob.address})`,
      'offered 2 item(s), 2.9 KiB to Bob; waiting for an answer',
      'Bob accepted; sending 2 item(s), 2.9 KiB',
      '',
    ]);
    expect(await tree(downloads)).toEqual(['a.bin', 'folder/', 'folder/sub/', 'folder/sub/b.txt']);
    expect(await sha256(path.join(downloads, 'a.bin'))).toBe(await sha256(paths[0]!));
  });

  it('on a terminal: a progress bar on stderr, wiped before the result', async () => {
    const bob = await startNode('Bob', { autoAccept: 'any', downloadDir: await tempDir() });
    const { paths } = await files();
    const t = testIo({ tty: true, columns: 100 });
    expect(await sendCommand(['--to', bob.address, ...(await sender()), ...paths], t.io)).toBe(0);
    // eslint-disable-next-line no-control-regex -- the bar's escape codes are what this checks
    expect(t.stderr()).toMatch(/\r[█░]{30} +\d+\.\d%.*\x1b\[K/u);
    // eslint-disable-next-line no-control-regex -- the bar's escape codes are what this checks
    expect(t.stderr()).toMatch(/\r\x1b\[K$/u);
    expect(t.stderr()).not.toContain('progress ');
    expect(t.stdout()).toBe('sent 2 item(s), 2.9 KiB to Bob; verified\n');
  });

  it('--json: offered, accepted and sent as JSON lines with the transfer id', async () => {
    const bob = await startNode('Bob', { autoAccept: 'any', downloadDir: await tempDir() });
    const { paths } = await files();
    // Even with stderr on a terminal, --json draws no bar.
    const { code, t } = await run(
      ['--to', bob.address, ...(await sender()), '--json', paths[0]!],
      testIo({ tty: true }),
    );
    expect(code).toBe(0);
    expect(t.stderr()).toBe('');
    const all = t.jsonLines();
    // Progress lines (as many as the engine reports) are JSON on stdout too.
    for (const p of all.filter((l) => l.event === 'progress')) {
      expect(p).toEqual({
        event: 'progress',
        bytesDone: expect.any(Number),
        totalBytes: 3000,
        speed: expect.any(Number),
        etaSeconds: p.etaSeconds,
      });
    }
    const lines = all.filter((l) => l.event !== 'progress');
    const id = lines[1]!.id as string;
    expect(lines).toEqual([
      { event: 'connected', peer: expect.objectContaining({ name: 'Bob' }) },
      { event: 'offered', id, fileCount: 1, totalBytes: 3000 },
      { event: 'accepted', id },
      { event: 'sent', id, fileCount: 1, totalBytes: 3000 },
    ]);
  });

  it('declined: exit 1, "Bob declined the files."', async () => {
    const bob = await startNode('Bob');
    const { paths } = await files();
    const t = testIo();
    const done = sendCommand(['--to', bob.address, ...(await sender()), paths[0]!], t.io);
    const offer = await bob.waitFor('transferUpdated', (x) => x.direction === 'in' && x.state === 'offered');
    await bob.node.declineTransfer(offer.id);
    expect(await done).toBe(1);
    expect(t.stderr().split('\n').slice(-2)).toEqual(['Bob declined the files.', '']);
    expect(t.stdout()).toBe('');
  });

  it('declined, --json: the error line has the code DECLINED and the state', async () => {
    const bob = await startNode('Bob');
    const { paths } = await files();
    const t = testIo();
    const done = sendCommand(['--to', bob.address, ...(await sender()), '--json', paths[0]!], t.io);
    const offer = await bob.waitFor('transferUpdated', (x) => x.direction === 'in' && x.state === 'offered');
    await bob.node.declineTransfer(offer.id);
    expect(await done).toBe(1);
    expect(t.jsonLines().at(-1)).toEqual({
      event: 'error',
      code: 'OFFER_DECLINED',
      message: 'Bob declined the files.',
      id: expect.any(String),
      state: 'declined',
    });
  });

  it('cancelled by the receiver: exit 1, "Bob cancelled the transfer."', async () => {
    const bob = await startNode('Bob');
    const { paths } = await files();
    const t = testIo();
    const done = sendCommand(['--to', bob.address, ...(await sender()), paths[0]!], t.io);
    const offer = await bob.waitFor('transferUpdated', (x) => x.direction === 'in' && x.state === 'offered');
    await bob.node.cancelTransfer(offer.id);
    expect(await done).toBe(1);
    expect(t.stderr().trim().split('\n').at(-1)).toBe('Bob cancelled the transfer.');
  });

  it('--timeout: an unanswered offer is withdrawn after that many seconds; exit 1', async () => {
    const bob = await startNode('Bob');
    const { paths } = await files();
    const t = testIo();
    const done = sendCommand(['--to', bob.address, ...(await sender()), '--timeout', '1', paths[0]!], t.io);
    expect(await done).toBe(1);
    expect(t.stderr().trim().split('\n').at(-1)).toBe("Bob didn't answer within 1 s; the offer was withdrawn.");
    await bob.waitFor('transferUpdated', (x) => x.direction === 'in' && x.state === 'cancelled');
  });

  it('--timeout does not cut a transfer the peer accepted in time', async () => {
    const bob = await startNode('Bob', { autoAccept: 'any', downloadDir: await tempDir() });
    const { paths } = await files();
    const { code, t } = await run(['--to', bob.address, ...(await sender()), '--timeout', '30', ...paths]);
    expect(code, t.stderr()).toBe(0);
  });

  it('Ctrl-C while waiting for an answer: "Cancelled.", exit 130, and the receiver is told', async () => {
    const bob = await startNode('Bob');
    const { paths } = await files();
    const t = testIo();
    const done = sendCommand(['--to', bob.address, ...(await sender()), paths[0]!], t.io);
    await t.waitForOut('waiting for an answer', 'stderr');
    t.signal('SIGINT');
    expect(await done).toBe(130);
    expect(t.stderr().trim().split('\n').at(-1)).toBe('Cancelled.');
    expect(t.exits).toEqual([]);
    await bob.waitFor('transferUpdated', (x) => x.direction === 'in' && x.state === 'cancelled');
    expect(t.io.signals.listenerCount('SIGINT') + t.io.signals.listenerCount('SIGTERM')).toBe(0);
  });

  it('SIGTERM while waiting, --json: a CANCELLED error line with the id; a second signal exits at once', async () => {
    const bob = await startNode('Bob');
    const { paths } = await files();
    const t = testIo();
    const done = sendCommand(['--to', bob.address, ...(await sender()), '--json', paths[0]!], t.io);
    await t.waitForOut('"offered"');
    t.signal('SIGTERM');
    expect(t.exits).toEqual([]);
    t.signal('SIGINT');
    expect(t.exits).toEqual([130]);
    expect(await done).toBe(130);
    const id = t.jsonLines()[1]!.id;
    expect(t.jsonLines().at(-1)).toEqual({ event: 'error', code: 'CANCELLED', message: 'Cancelled.', id });
  });
});

/** An unfinished outgoing offer of `paths` to Bob in `dataDir`, made by a node that then stopped. */
async function unfinishedOffer(dataDir: string, bob: TestNode, paths: string[]): Promise<string> {
  const alice = await FerryNode.start({
    dataDir,
    name: 'Alice',
    host: '127.0.0.1',
    port: 0,
    discovery: false,
    ipmsg: false,
  });
  try {
    const peer = await alice.addPeer(bob.address);
    const offer = await alice.sendFiles(`direct:${peer.id}`, paths);
    await bob.waitFor('transferUpdated', (x) => x.id === offer.id && x.state === 'offered');
    return offer.id;
  } finally {
    await alice.stop();
  }
}

describe('ferry send: the same files again', () => {
  it('picks up the unfinished offer of the same files instead of offering them twice', async () => {
    const downloads = await tempDir('ferry-dl-');
    const bob = await startNode('Bob', { downloadDir: downloads });
    const { paths } = await files();
    const dataDir = await tempDir('ferry-sender-');
    const id = await unfinishedOffer(dataDir, bob, paths);
    const t = testIo();
    const done = sendCommand(['--to', bob.address, '--data-dir', dataDir, ...paths], t.io);
    await t.waitForOut('resuming', 'stderr');
    await bob.node.acceptTransfer(id);
    expect(await done, t.stderr()).toBe(0);
    expect(t.stderr()).toContain(
      'resuming the unfinished transfer of these files to Bob (0 % done, 0 B of 2.9 KiB); --new starts over\n',
    );
    expect(t.stderr()).not.toContain('offered');
    expect(t.stdout()).toBe('sent 2 item(s), 2.9 KiB to Bob; verified\n');
    expect((await bob.node.listTransfers()).map((x) => x.id)).toEqual([id]);
    expect(await tree(downloads)).toEqual(['a.bin', 'folder/', 'folder/sub/', 'folder/sub/b.txt']);
  });

  it('--json says which transfer it resumes', async () => {
    const bob = await startNode('Bob', { downloadDir: await tempDir() });
    const { paths } = await files();
    const dataDir = await tempDir('ferry-sender-');
    const id = await unfinishedOffer(dataDir, bob, [paths[0]!]);
    const t = testIo();
    const done = sendCommand(['--to', bob.address, '--data-dir', dataDir, '--json', paths[0]!], t.io);
    await t.waitForOut('"resuming"');
    await bob.node.acceptTransfer(id);
    expect(await done).toBe(0);
    expect(t.jsonLines()[1]).toEqual({ event: 'resuming', id, bytesDone: 0, totalBytes: 3000 });
  });

  it('--new cancels the unfinished offer and makes a fresh one', async () => {
    const bob = await startNode('Bob', { downloadDir: await tempDir() });
    const { paths } = await files();
    const dataDir = await tempDir('ferry-sender-');
    const old = await unfinishedOffer(dataDir, bob, paths);
    const t = testIo();
    const done = sendCommand(['--to', bob.address, '--data-dir', dataDir, '--new', ...paths], t.io);
    const fresh = await bob.waitFor('transferUpdated', (x) => x.id !== old && x.state === 'offered');
    await bob.node.acceptTransfer(fresh.id);
    expect(await done, t.stderr()).toBe(0);
    expect(t.stderr()).toContain('cancelled the unfinished transfer of these files; starting over (--new)\n');
    expect(t.stderr()).toContain('offered 2 item(s)');
    await bob.waitFor('transferUpdated', (x) => x.id === old && x.state === 'cancelled');
  });

  it('files that changed since: the old offer is cancelled and they are offered anew', async () => {
    const bob = await startNode('Bob', { downloadDir: await tempDir() });
    const { paths } = await files();
    const dataDir = await tempDir('ferry-sender-');
    const old = await unfinishedOffer(dataDir, bob, paths);
    await utimes(paths[0]!, new Date(2020, 0, 1), new Date(2020, 0, 1));
    const t = testIo();
    const done = sendCommand(['--to', bob.address, '--data-dir', dataDir, '--json', ...paths], t.io);
    const fresh = await bob.waitFor('transferUpdated', (x) => x.id !== old && x.state === 'offered');
    await bob.node.acceptTransfer(fresh.id);
    expect(await done).toBe(0);
    expect(t.jsonLines()[1]).toEqual({ event: 'restarted', cancelled: [old] });
    expect(t.jsonLines()[2]).toMatchObject({ event: 'offered', id: fresh.id });
  });

  it('other files, or the same files to another peer, are not taken for the unfinished transfer', async () => {
    const bob = await startNode('Bob', { downloadDir: await tempDir() });
    const carol = await startNode('Carol', { autoAccept: 'any', downloadDir: await tempDir() });
    const { paths } = await files();
    const dataDir = await tempDir('ferry-sender-');
    const old = await unfinishedOffer(dataDir, bob, paths);
    const t = testIo();
    const done = sendCommand(['--to', bob.address, '--data-dir', dataDir, paths[0]!], t.io);
    const fresh = await bob.waitFor('transferUpdated', (x) => x.id !== old && x.state === 'offered');
    await bob.node.acceptTransfer(fresh.id);
    expect(await done).toBe(0);
    expect(t.stderr()).not.toMatch(/resuming|starting over/u);
    const toCarol = await run(['--to', carol.address, '--data-dir', dataDir, ...paths]);
    expect(toCarol.code).toBe(0);
    expect(toCarol.t.stderr()).not.toMatch(/resuming|starting over/u);
    const bobsView = await bob.node.listTransfers();
    expect(bobsView.find((x) => x.id === old)?.state).toBe('offered');
  });
});

describe('ferry send: the peer goes away mid-transfer', () => {
  it('says "waiting for Bob to come back…", then "Bob is back; continuing", and finishes', async () => {
    const downloads = await tempDir('ferry-dl-');
    const bob = await startNode('Bob', { autoAccept: 'any', downloadDir: downloads });
    const src = await tempDir('ferry-src-');
    const file = await randomFile(path.join(src, 'big.bin'), 3 * 1024 * 1024);
    const proxy = await throttledProxy(Number(bob.address.split(':')[1]), 1024 * 1024);
    const t = testIo();
    const done = sendCommand(['--to', `127.0.0.1:${proxy.port}`, ...(await sender()), '--json', file], t.io);
    await bob.waitFor('transferProgress', (p) => p.bytesDone > 0, 20_000);
    expect(t.jsonLines().some((l) => l.event === 'waiting')).toBe(false);
    proxy.away();
    await waitUntil(() => t.jsonLines().some((l) => l.event === 'waiting'), { what: 'the waiting line' });
    proxy.unthrottle();
    proxy.back();
    expect(await done).toBe(0);
    const events = t
      .jsonLines()
      .map((l) => l.event)
      .filter((e) => e !== 'progress');
    expect(events).toEqual(['connected', 'offered', 'accepted', 'waiting', 'resumed', 'sent']);
    const id = t.jsonLines()[1]!.id;
    expect(t.jsonLines().find((l) => l.event === 'waiting')).toEqual({ event: 'waiting', id });
    expect(t.jsonLines().find((l) => l.event === 'resumed')).toEqual({ event: 'resumed', id });
    expect(await sha256(path.join(downloads, 'big.bin'))).toBe(await sha256(file));
  }, 60_000);
});
