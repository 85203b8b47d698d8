/**
 * What `ferry listen` shows a person at a terminal: a real node (Bob) with the
 * terminal attached, real peers (Alice, Carol) on 127.0.0.1 doing things to it,
 * and answers typed on the readline the terminal asks on.
 */
import net from 'node:net';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { TransferDto, TransferProgressDto } from '../../shared/dto';
import { testIo, type TestIo } from '../../test/helpers/cli-io';
import { throttledProxy } from '../../test/helpers/cli-process';
import { startNode, stopNode, type TestNode } from '../../test/helpers/nodes';
import { tempDir } from '../../test/helpers/temp-dir';
import { rawControl } from '../../test/helpers/raw-peer';
import { sendOffer } from '../../test/helpers/raw-offer';
import { randomFile } from '../../test/helpers/transfer';
import type { FerryNodeOptions } from '../core/ferry-node';
import { ListenTerminal } from './listen-terminal';
import { formatBytes } from './transfer-progress';

interface Screen {
  bob: TestNode;
  terminal: ListenTerminal;
  t: TestIo;
  /** The printed lines, without the line-clearing escape codes. */
  lines: () => string[];
  /** A line typed at the prompt. */
  answer: (text: string) => void;
  waitForLine: (match: string | RegExp, timeoutMs?: number) => Promise<void>;
}

const PROMPT = /Accept\? \[y\]es \/ \[n\]o \/ \[a\]ll from .* \(this run\): /gu;

async function screen(options: Partial<FerryNodeOptions> = {}, autoAccept?: 'verified' | 'any'): Promise<Screen> {
  const downloads = await tempDir('ferry-dl-');
  const bob = await startNode('Bob', { downloadDir: downloads, autoAccept, ...options });
  const t = testIo({ tty: true });
  const input = new PassThrough();
  const rl = createInterface({ input, output: t.io.stdout, terminal: false });
  const terminal = new ListenTerminal(
    bob.node,
    rl,
    { autoAccept, settings: await bob.node.getSettings() },
    t.io.stdout,
  );
  await terminal.start();
  rl.on('line', (line) => terminal.answer(line));
  const lines = () =>
    t
      .stdout()
      .replace(PROMPT, '')
      .split('\n')
      .map((l) => l.replaceAll('\r\u001b[K', ''))
      .filter((l) => l !== '');
  return {
    bob,
    terminal,
    t,
    lines,
    answer: (text) => void input.write(`${text}\n`),
    waitForLine: (match, timeoutMs) => t.waitForOut(match, 'stdout', timeoutMs),
  };
}

async function files(n: number, size = 1): Promise<string[]> {
  const dir = await tempDir('ferry-src-');
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const f = path.join(dir, `f${i}.txt`);
    await writeFile(f, 'x'.repeat(size));
    out.push(f);
  }
  return out;
}

async function offerFrom(alice: TestNode, bobAddress: string, paths: string[]): Promise<TransferDto> {
  const bob = await alice.node.addPeer(bobAddress);
  return alice.node.sendFiles(`direct:${bob.id}`, paths);
}

describe('ListenTerminal: where it listens', () => {
  it('names every address with the port, the name (made harmless) and the id', async () => {
    const s = await screen();
    s.terminal.listening({
      name: 'Bob\u001b]0;x\u0007',
      id: 'ferry:0123456789abcdef0123',
      port: 47820,
      addresses: ['127.0.0.1', '10.0.0.2'],
    });
    s.terminal.listening({ name: '', id: 'ferry:fedcba9876543210ffff', port: 5, addresses: [] });
    expect(s.lines()).toEqual([
      'Listening on 127.0.0.1:47820, 10.0.0.2:47820 as "Bob]0;x" (id ferry:0123456789abcdef…). Ctrl-C stops.',
      'Incoming files are asked about here; other computers add this one by the address above.',
      'Listening on port 5 as "?" (id ferry:fedcba9876543210…). Ctrl-C stops.',
      'Incoming files are asked about here; other computers add this one by the address above.',
    ]);
  });

  it('an API call’s result is printed as one JSON line, controls escaped', async () => {
    const s = await screen();
    s.terminal.callResult({ event: 'result', id: 1, ok: true, result: 'a\u009bb' });
    expect(s.lines()).toEqual(['{"event":"result","id":1,"ok":true,"result":"a\\u009bb"}']);
  });
});

describe('ListenTerminal: peers and messages', () => {
  it('says when a peer comes online (verified or not) and goes offline, and nothing for a mere update', async () => {
    const s = await screen();
    const alice = await startNode('Alice');
    const bobAsSeen = await alice.node.addPeer(s.bob.address);
    await s.waitForLine('Alice is online');
    const aliceId = (await alice.node.getSelf()).id;
    await s.bob.node.renamePeer(aliceId, 'Ally');
    await s.bob.node.setPeerVerified(aliceId, true);
    await stopNode(alice);
    // Renamed here: the new name is used from then on.
    await s.waitForLine('Ally went offline');
    expect(s.lines()).toEqual(['Alice is online', 'Ally went offline']);
    expect(bobAsSeen.name).toBe('Bob');
    // Verified, back online: it says so.
    const again = await startNode('Alice', { dataDir: alice.dataDir });
    await again.node.addPeer(s.bob.address);
    await s.waitForLine('Ally is online (verified)');
  });

  it('a peer known from before that comes online is announced; the first sighting offline is not', async () => {
    const dataDir = await tempDir();
    const first = await startNode('Bob', { dataDir });
    const alice = await startNode('Alice');
    await alice.node.addPeer(first.address);
    await alice.waitFor('peerUpdated', (p) => p.online);
    await stopNode(first);
    await alice.waitFor('peerUpdated', (p) => !p.online);
    const s = await screen({ dataDir });
    await alice.node.addPeer(s.bob.address);
    await s.waitForLine('Alice is online');
    expect(s.lines()).toEqual(['Alice is online']);
  });

  it('prints messages both ways with the time, keeping lines and dropping escapes', async () => {
    const s = await screen();
    const alice = await startNode('Alice');
    const bob = await alice.node.addPeer(s.bob.address);
    const sent = await alice.node.sendMessage(`direct:${bob.id}`, 'one\ntwo\u001b[2J');
    await s.waitForLine('two[2J');
    const aliceId = (await alice.node.getSelf()).id;
    const reply = await s.bob.node.sendMessage(`direct:${aliceId}`, 'hi\tthere');
    await s.waitForLine('you →');
    const hhmm = (t: number) => new Date(t).toTimeString().slice(0, 5);
    expect(s.lines().filter((l) => l.startsWith('[') || l.startsWith('    '))).toEqual([
      `[${hhmm(sent.sentAt)}] Alice: one`,
      '    two[2J',
      `[${hhmm(reply.sentAt)}] you → Alice: hi    there`,
    ]);
  });

  it('notices are sentences (with their level unless info); connect/disconnect notices are not repeated', async () => {
    const s = await screen();
    await s.bob.node.updateSettings({ port: 1 });
    await s.waitForLine('The new port is used after Ferry restarts.');
    const alice = await startNode('Alice');
    await alice.node.addPeer(s.bob.address);
    await s.waitForLine('Alice is online');
    expect(s.lines()).toEqual(['The new port is used after Ferry restarts.', 'Alice is online']);
    // A stranger speaking garbage to the port: a warning.
    const junk = net.connect(Number(s.bob.address.split(':')[1]), '127.0.0.1');
    junk.write('GET / HTTP/1.0\r\n\r\n');
    await s.waitForLine(/\n[^\n]*(warn|error): [A-Z][^\n]*[.?!…]\n/u);
    junk.destroy();
  });
});

describe('ListenTerminal: incoming offers', () => {
  it('asks with the names (8 at most) and sizes; y accepts and it tells what arrived where', async () => {
    const s = await screen();
    const alice = await startNode('Alice');
    const src = await files(10);
    const offer = await offerFrom(alice, s.bob.address, src);
    await s.waitForLine('… and 2 more');
    expect(s.t.stdout()).toContain('Accept? [y]es / [n]o / [a]ll from Alice (this run): ');
    expect(s.lines().slice(1, 11)).toEqual([
      'Alice offers 10 item(s), 10 B:',
      ...[0, 1, 2, 3, 4, 5, 6, 7].map((i) => `  f${i}.txt (1 B)`),
      '  … and 2 more',
    ]);
    s.answer(' Y ');
    const done = await s.bob.waitFor('transferUpdated', (t) => t.id === offer.id && t.state === 'done');
    await s.waitForLine('received f9.txt');
    const dl = done.saveDir!;
    expect(s.lines()).toContain(`receiving 10 item(s), 10 B from Alice into ${dl}`);
    expect(s.lines()).toContain(`received f0.txt from Alice → ${path.join(dl, 'f0.txt')}`);
    expect(s.lines().filter((l) => l.startsWith('received '))).toHaveLength(10);
  });

  it('a folder is shown with a slash; exactly 8 names need no "more" line', async () => {
    const s = await screen();
    const alice = await startNode('Alice');
    const dir = await tempDir();
    await mkdir(path.join(dir, 'docs', 'empty'), { recursive: true });
    for (let i = 0; i < 7; i++) await writeFile(path.join(dir, 'docs', `d${i}`), 'ab');
    await offerFrom(alice, s.bob.address, [path.join(dir, 'docs')]);
    await s.waitForLine('Accept?');
    expect(s.lines()).toContain('Alice offers 8 item(s), 14 B:');
    expect(s.lines()).toContain('  docs/empty/');
    expect(s.lines()).toContain('  docs/d0 (2 B)');
    expect(s.lines().join('\n')).not.toContain('more');
    // Accepted: each file is told as received, the folders are not.
    s.answer('y');
    await s.waitForLine('received docs/d6 from Alice');
    expect(s.lines().filter((l) => l.startsWith('received '))).toHaveLength(7);
  });

  it('n declines; other words ask again; "no", "yes", "all" are answers too', async () => {
    const s = await screen();
    const alice = await startNode('Alice');
    const first = await offerFrom(alice, s.bob.address, await files(1));
    await s.waitForLine('Accept?');
    s.answer('maybe');
    await s.waitForLine('Please answer y (accept), n (decline) or a (accept all from this peer).');
    s.answer('n');
    await s.bob.waitFor('transferUpdated', (t) => t.id === first.id && t.state === 'declined');
    await s.waitForLine('declined 1 item(s), 1 B from Alice');
    const second = await offerFrom(alice, s.bob.address, await files(1, 3));
    await s.bob.waitFor('transferUpdated', (t) => t.id === second.id && t.state === 'offered');
    await s.waitForLine('Alice offers 1 item(s), 3 B:');
    s.answer('no');
    await s.bob.waitFor('transferUpdated', (t) => t.id === second.id && t.state === 'declined');
    const third = await offerFrom(alice, s.bob.address, await files(1, 4));
    await s.waitForLine('Alice offers 1 item(s), 4 B:');
    s.answer('yes');
    await s.bob.waitFor('transferUpdated', (t) => t.id === third.id && t.state === 'done');
  });

  it('a accepts this offer and every later one from that peer, but not from others', async () => {
    const s = await screen();
    const alice = await startNode('Alice');
    const first = await offerFrom(alice, s.bob.address, await files(1));
    await s.waitForLine('Accept?');
    s.answer('a');
    await s.bob.waitFor('transferUpdated', (t) => t.id === first.id && t.state === 'done');
    const second = await offerFrom(alice, s.bob.address, await files(2));
    await s.bob.waitFor('transferUpdated', (t) => t.id === second.id && t.state === 'done');
    expect(s.lines()).toContain('Alice offers 2 item(s), 2 B; accepting (you chose all from Alice)');
    const carol = await startNode('Carol');
    await offerFrom(carol, s.bob.address, await files(1));
    await s.waitForLine('Accept? [y]es / [n]o / [a]ll from Carol');
    s.answer('all');
    await s.waitForLine(/received f0\.txt from Carol/u);
  });

  it('offers wait in line: the second is asked about once the first is answered', async () => {
    const s = await screen();
    const alice = await startNode('Alice');
    const carol = await startNode('Carol');
    const a = await offerFrom(alice, s.bob.address, await files(1));
    await s.waitForLine('Alice offers');
    const c = await offerFrom(carol, s.bob.address, await files(1));
    await s.bob.waitFor('transferUpdated', (t) => t.id === c.id && t.state === 'offered');
    expect(s.t.stdout()).not.toContain('Carol offers');
    s.answer('n');
    await s.waitForLine('Carol offers 1 item(s), 1 B:');
    s.answer('y');
    await s.bob.waitFor('transferUpdated', (t) => t.id === c.id && t.state === 'done');
    await s.bob.waitFor('transferUpdated', (t) => t.id === a.id && t.state === 'declined');
  });

  it('an offer withdrawn while asked about is no longer asked about', async () => {
    const s = await screen();
    const alice = await startNode('Alice');
    const offer = await offerFrom(alice, s.bob.address, await files(1));
    await s.waitForLine('Accept?');
    await alice.node.cancelTransfer(offer.id);
    await s.waitForLine('the transfer of 1 item(s), 1 B from Alice was cancelled');
    s.answer('y');
    await s.waitForLine('Nothing to answer right now (API calls are JSON lines starting with "{").');
    // An empty line when nothing is asked says nothing.
    const before = s.lines().length;
    s.answer('');
    s.answer('?');
    await s.waitForLine(/Nothing to answer[^]*Nothing to answer/u);
    expect(s.lines().length).toBe(before + 1);
  });

  it('an offer that expires unanswered is said to have expired', async () => {
    const s = await screen({ offerTtlMs: 300 });
    const alice = await startNode('Alice');
    await offerFrom(alice, s.bob.address, await files(1));
    await s.waitForLine('the offer of 1 item(s), 1 B from Alice expired unanswered');
  });

  it('an offer that fails here is said to have failed, with the reason, and is not asked about', async () => {
    const s = await screen();
    const raw = await rawControl(s.bob.node.listeningPort);
    // Every name refused: the engine fails the offer at once.
    sendOffer(raw, [{ path: '..', size: 1 }]);
    await s.waitForLine(' failed: ');
    expect(s.lines().filter((l) => l.includes(' failed: '))).toEqual([
      'receiving 1 item(s), 1 B from raw failed: Every name in the offer was refused: refused the name "..": it climbs out of its folder ("." or "..").',
    ]);
    expect(s.t.stdout()).not.toContain('Accept?');
  });

  it('accepting into a download folder that cannot be made says why', async () => {
    const blocker = path.join(await tempDir(), 'file');
    await writeFile(blocker, 'not a folder');
    const s = await screen({ downloadDir: path.join(blocker, 'sub') });
    const alice = await startNode('Alice');
    await offerFrom(alice, s.bob.address, await files(1));
    await s.waitForLine('Accept?');
    s.answer('y');
    await s.waitForLine(/Could not accept: [A-Z][^\n]*[.?!…]\n/u);
  });
});

describe('ListenTerminal: what the engine accepts by itself is not asked about', () => {
  it('--accept-from any: no question, it just arrives', async () => {
    const s = await screen({}, 'any');
    const alice = await startNode('Alice');
    const offer = await offerFrom(alice, s.bob.address, await files(1));
    await s.bob.waitFor('transferUpdated', (t) => t.id === offer.id && t.state === 'done');
    await s.waitForLine('received f0.txt from Alice');
    expect(s.t.stdout()).not.toContain('Accept?');
  });

  it('--accept (verified): a verified peer is not asked about, an unverified one is', async () => {
    const s = await screen({}, 'verified');
    const alice = await startNode('Alice');
    const carol = await startNode('Carol');
    await alice.node.addPeer(s.bob.address);
    await s.waitForLine('Alice is online');
    await s.bob.node.setPeerVerified((await alice.node.getSelf()).id, true);
    const a = await offerFrom(alice, s.bob.address, await files(1));
    await s.bob.waitFor('transferUpdated', (t) => t.id === a.id && t.state === 'done');
    await offerFrom(carol, s.bob.address, await files(1));
    await s.waitForLine('Carol offers');
    expect(s.t.stdout()).not.toContain('Alice offers');
  });

  it('the "accept from verified peers" setting, also when changed while running', async () => {
    const s = await screen();
    const alice = await startNode('Alice');
    await alice.node.addPeer(s.bob.address);
    await s.waitForLine('Alice is online');
    await s.bob.node.setPeerVerified((await alice.node.getSelf()).id, true);
    const first = await offerFrom(alice, s.bob.address, await files(1));
    await s.waitForLine('Alice offers');
    s.answer('n');
    await s.bob.waitFor('transferUpdated', (t) => t.id === first.id && t.state === 'declined');
    await s.bob.node.updateSettings({ autoAcceptVerified: true });
    const second = await offerFrom(alice, s.bob.address, await files(2));
    await s.bob.waitFor('transferUpdated', (t) => t.id === second.id && t.state === 'done');
    expect(s.t.stdout().match(/Alice offers/gu)).toHaveLength(1);
  });
});

describe('ListenTerminal: outgoing transfers and progress', () => {
  it('sent, declined by the peer, and progress of a receive', async () => {
    const s = await screen();
    const alice = await startNode('Alice', { autoAccept: 'any' });
    const carol = await startNode('Carol');
    const aliceAsSeen = await s.bob.node.addPeer(alice.address);
    const out = await s.bob.node.sendFiles(`direct:${aliceAsSeen.id}`, await files(3, 2));
    await s.bob.waitFor('transferUpdated', (t) => t.id === out.id && t.state === 'done');
    await s.waitForLine('sent 3 item(s), 6 B to Alice');
    // Progress of a send names no sender.
    expect(s.lines().filter((l) => l.includes(' % of '))).toEqual([
      expect.stringMatching(/^ {2}\d{1,3} % of 6 B \(\d+ B\/s\)$/u),
    ]);
    const carolAsSeen = await s.bob.node.addPeer(carol.address);
    const declined = await s.bob.node.sendFiles(`direct:${carolAsSeen.id}`, await files(1));
    const atCarol = await carol.waitFor('transferUpdated', (t) => t.id === declined.id && t.state === 'offered');
    await carol.node.declineTransfer(atCarol.id);
    await s.waitForLine('sending to Carol: declined');
    expect(s.lines().join('\n')).not.toMatch(/sending to \w+: (offered|active)/u);
  });

  it('receiving shows a progress line with the share done, the size, the sender and the speed', async () => {
    const s = await screen({}, 'any');
    const alice = await startNode('Alice');
    const offer = await offerFrom(alice, s.bob.address, await files(1, 200_000));
    await s.bob.waitFor('transferUpdated', (t) => t.id === offer.id && t.state === 'done');
    await s.waitForLine('received');
    const progress = s.lines().filter((l) => l.includes(' % of '));
    expect(progress.length).toBeGreaterThan(0);
    for (const l of progress)
      expect(l).toMatch(/^ {2}\d{1,3} % of 195\.3 KiB from Alice \(\d+(\.\d)? (B|KiB|MiB|GiB)\/s\)$/u);
  });

  it('at most one progress line per transfer every 5 s; the share and speed are the first event’s', async () => {
    const s = await screen({}, 'any');
    const seen: { at: number; p: TransferProgressDto }[] = [];
    s.bob.node.subscribe((e) => {
      if (e.name === 'transferProgress') seen.push({ at: Date.now(), p: e.payload as TransferProgressDto });
    });
    const alice = await startNode('Alice');
    // Slowed down so that one transfer gives many progress events (≤ 10 a second).
    const proxy = await throttledProxy(Number(s.bob.address.split(':')[1]), 2 * 1024 * 1024);
    const file = await randomFile(path.join(await tempDir(), 'one.bin'), 1024 * 1024);
    const offer = await offerFrom(alice, `127.0.0.1:${proxy.port}`, [file]);
    await s.bob.waitFor('transferUpdated', (t) => t.id === offer.id && t.state === 'done', 30_000);
    await s.waitForLine('received one.bin');
    const events = seen.filter((e) => e.p.id === offer.id);
    expect(events.length).toBeGreaterThan(2);
    const span = events.at(-1)!.at - events[0]!.at;
    const progress = s.lines().filter((l) => l.includes(' % of '));
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.length).toBeLessThanOrEqual(1 + Math.floor(span / 5_000));
    const first = events[0]!.p;
    expect(first.bytesDone).toBeLessThan(first.totalBytes);
    expect(progress[0]).toBe(
      `  ${Math.floor((first.bytesDone / first.totalBytes) * 100)} % of 1.0 MiB from Alice (${formatBytes(first.speed)}/s)`,
    );
  }, 60_000);
  it('a terminal started during a transfer shows the share already done', async () => {
    const s = await screen({}, 'any');
    // A short redial backoff: on a loaded machine the default (1 s doubling to 30 s) can outlast the wait below.
    const alice = await startNode('Alice', { redialBackoffMs: { min: 100, max: 1_000 } });
    const proxy = await throttledProxy(Number(s.bob.address.split(':')[1]), 512 * 1024);
    const file = await randomFile(path.join(await tempDir(), 'mid.bin'), 1024 * 1024);
    const offer = await offerFrom(alice, `127.0.0.1:${proxy.port}`, [file]);
    await s.bob.waitFor('transferProgress', (p) => p.id === offer.id && p.bytesDone > 0, 20_000);
    // A second terminal on the same engine (as after a restart that resumed the transfer).
    const t = testIo({ tty: true });
    const late = new ListenTerminal(
      s.bob.node,
      createInterface({ input: new PassThrough(), output: t.io.stdout, terminal: false }),
      { autoAccept: 'any', settings: await s.bob.node.getSettings() },
      t.io.stdout,
    );
    await late.start();
    const seen: TransferProgressDto[] = [];
    s.bob.node.subscribe((e) => {
      if (e.name === 'transferProgress') seen.push(e.payload as TransferProgressDto);
    });
    await t.waitForOut(' % of ');
    proxy.unthrottle();
    const first = seen.find((p) => p.id === offer.id)!;
    expect(first.bytesDone).toBeGreaterThan(0);
    expect(first.bytesDone).toBeLessThan(first.totalBytes);
    const share = Math.floor((first.bytesDone / first.totalBytes) * 100);
    expect(t.stdout()).toContain(`  ${share} % of 1.0 MiB (${formatBytes(first.speed)}/s)\n`);
  }, 60_000);
});

describe('ListenTerminal: a peer that goes away mid-transfer', () => {
  it('receiving: paused while the sender is away, then finished', async () => {
    const s = await screen({}, 'any');
    // A short redial backoff: on a loaded machine the default (1 s doubling to 30 s) can outlast the wait below.
    const alice = await startNode('Alice', { redialBackoffMs: { min: 100, max: 1_000 } });
    const proxy = await throttledProxy(Number(s.bob.address.split(':')[1]), 512 * 1024);
    const file = await randomFile(path.join(await tempDir(), 'big.bin'), 2 * 1024 * 1024);
    const offer = await offerFrom(alice, `127.0.0.1:${proxy.port}`, [file]);
    await s.bob.waitFor('transferProgress', (p) => p.id === offer.id && p.bytesDone > 0, 20_000);
    const states: string[] = [];
    s.bob.node.subscribe((e) => {
      if (e.name === 'transferUpdated' && e.payload.id === offer.id) states.push(e.payload.state);
    });
    proxy.away();
    await s.waitForLine('receiving from Alice paused; waiting for Alice to come back…');
    proxy.unthrottle();
    proxy.back();
    await s.bob.waitFor('transferUpdated', (t) => t.id === offer.id && t.state === 'done', 60_000);
    await s.waitForLine('received big.bin from Alice');
    // The resume was announced as such, before the end.
    const lines = s.lines();
    // The engine said so at once: paused, then active again, then done (never paused → done).
    expect(states[0]).toBe('paused');
    expect(states.indexOf('active')).toBeGreaterThan(0);
    expect(states.at(-1)).toBe('done');
    expect(lines.indexOf('receiving from Alice again')).toBeGreaterThan(
      lines.indexOf('receiving from Alice paused; waiting for Alice to come back…'),
    );
    expect(lines.indexOf('receiving from Alice again')).toBeLessThan(
      lines.findIndex((l) => l.startsWith('received big.bin')),
    );
    // Told once that it started (a resume is not a new start).
    expect(s.lines().filter((l) => l.startsWith('receiving 1 item(s)'))).toHaveLength(1);
  }, 90_000);
});
