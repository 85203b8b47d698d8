/**
 * Ferry's PeerSession on a real control connection (a FramedConnection on a TLS pair on
 * 127.0.0.1): the frames the peer receives for each intent, and the inbox calls the
 * peer's frames turn into.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { rawEnd, tlsPair, type RawEnd, type TlsPair } from '../../../test/helpers/tls-pair';
import { testFile } from '../../../test/helpers/transfer-records';
import { waitUntil } from '../../../test/helpers/wait';
import type { TransferState } from '../../../shared/dto';
import { FerryError } from '../ferry-error';
import { FramedConnection } from '../net/framed-connection';
import type { PeerLink } from '../net/connection-manager';
import { controlFrames, type ControlHeader, type OfferHeader } from '../protocol/frames';
import type { Transfer } from '../store/transfer-repo';
import { FerrySession, MAX_WIRE_MESSAGE, readOffer } from './ferry-session';
import type { PeerInbox } from './peer-session';

const ID = '0b7c3a6e-3f0e-4c55-9f4e-2d6f3b1a9c10';
const FINGERPRINT = 'a'.repeat(64);
const PEER = `ferry:${FINGERPRINT}`;

let pairs: TlsPair[] = [];
afterEach(async () => {
  await Promise.all(pairs.map((p) => p.close()));
  pairs = [];
});

/** Our end of a control link (a real FramedConnection) and the peer's raw end. */
async function link(): Promise<{ link: PeerLink; peer: RawEnd }> {
  const pair = await tlsPair();
  pairs.push(pair);
  const conn = new FramedConnection<ControlHeader>(pair.client, controlFrames, {
    pingIntervalMs: 60_000,
    idleTimeoutMs: 60_000,
  });
  const hello = {
    type: 'hello',
    v: 1,
    id: FINGERPRINT,
    name: 'Bob',
    platform: 'linux',
    port: 0,
    caps: [],
    purpose: 'control',
  };
  return {
    link: { peerId: PEER, hello: hello as PeerLink['hello'], conn, direction: 'out', listenAddress: null },
    peer: rawEnd(pair.server, controlFrames),
  };
}

/** Proves everything sent before it arrived: the peer has read a resume sent last. */
async function flushed(l: PeerLink, peer: RawEnd): Promise<RawEnd['frames']> {
  new FerrySession(l).askResume(ID);
  await waitUntil(() => peer.frames.some((f) => f.type === 'transfer-resume'), { what: 'the marker frame' });
  return peer.frames.slice(0, -1);
}

function transfer(state: TransferState, over: Partial<Transfer> = {}): Transfer {
  return {
    id: ID,
    peerId: PEER,
    direction: 'in',
    state,
    createdAt: 1234,
    updatedAt: 1234,
    totalBytes: 30,
    saveDir: null,
    error: null,
    files: [testFile(0), testFile(1)],
    ...over,
  };
}

const offerHeader = (fileCount: number, totalBytes: number): OfferHeader => ({
  type: 'offer',
  id: ID,
  fileCount,
  totalBytes,
  createdAt: 1,
  bodyLength: 0,
});
const body = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('transfer frames we send', () => {
  it('offers every file with its path, size, mtime and kind, counted in the header', async () => {
    const { link: l, peer } = await link();
    const dir = testFile(2, { path: 'empty', size: 0, isDirectory: true });
    new FerrySession(l).offer(transfer('offered', { direction: 'out', files: [testFile(0), testFile(1), dir] }));
    await waitUntil(() => peer.frames.length === 1, { what: 'the offer' });
    expect(peer.frames[0]).toMatchObject({ type: 'offer', id: ID, fileCount: 3, totalBytes: 30, createdAt: 1234 });
    expect(JSON.parse(peer.bodies[0]!.toString())).toEqual([
      { path: 'f0.txt', size: 10, mtime: 1000, dir: false },
      { path: 'f1.txt', size: 20, mtime: 1001, dir: false },
      { path: 'empty', size: 0, mtime: 1002, dir: true },
    ]);
  });

  it('stops with the state, code and message, the message cut to fit the frame', async () => {
    const { link: l, peer } = await link();
    new FerrySession(l).stop(ID, 'cancelled', new FerryError('CANCELLED', 'the sender cancelled the transfer'));
    new FerrySession(l).stop(ID, 'failed', { code: 'DISK_FULL', message: 'x'.repeat(2000) });
    const frames = await flushed(l, peer);
    expect(frames).toEqual([
      {
        type: 'transfer-stop',
        id: ID,
        state: 'cancelled',
        code: 'CANCELLED',
        message: 'the sender cancelled the transfer',
      },
      { type: 'transfer-stop', id: ID, state: 'failed', code: 'DISK_FULL', message: 'x'.repeat(MAX_WIRE_MESSAGE) },
    ]);
    expect(MAX_WIRE_MESSAGE).toBe(900);
  });

  it('sends nothing for an offer still waiting for the user', async () => {
    const { link: l, peer } = await link();
    new FerrySession(l).answer(transfer('offered'));
    expect(await flushed(l, peer)).toEqual([]);
  });

  it('answers a finished transfer with a stop: an id is used once', async () => {
    const { link: l, peer } = await link();
    new FerrySession(l).answer(transfer('done', { saveDir: '/tmp' }));
    expect(await flushed(l, peer)).toEqual([
      {
        type: 'transfer-stop',
        id: ID,
        state: 'failed',
        code: 'BAD_FRAME',
        message: 'this transfer already finished; offer the files again under a new id',
      },
    ]);
  });

  it('answers a declined offer with accept: false', async () => {
    const { link: l, peer } = await link();
    new FerrySession(l).answer(
      transfer('declined', { error: { code: 'OFFER_DECLINED', message: 'you declined this offer' } }),
    );
    expect(await flushed(l, peer)).toEqual([{ type: 'offer-answer', id: ID, accept: false }]);
  });

  it('answers an ended offer with a stop carrying its state and reason (or CANCELLED and the state)', async () => {
    const { link: l, peer } = await link();
    new FerrySession(l).answer(transfer('expired', { error: { code: 'OFFER_EXPIRED', message: 'nobody answered' } }));
    new FerrySession(l).answer(transfer('cancelled'));
    new FerrySession(l).answer(
      transfer('failed', { error: { code: 'NAME_REJECTED', message: 'every name was refused' } }),
    );
    expect(await flushed(l, peer)).toEqual([
      { type: 'transfer-stop', id: ID, state: 'expired', code: 'OFFER_EXPIRED', message: 'nobody answered' },
      { type: 'transfer-stop', id: ID, state: 'cancelled', code: 'CANCELLED', message: 'cancelled' },
      { type: 'transfer-stop', id: ID, state: 'failed', code: 'NAME_REJECTED', message: 'every name was refused' },
    ]);
  });

  it('accepts, listing only the names refused here, with their reason cut to fit', async () => {
    const { link: l, peer } = await link();
    const files = [
      testFile(0, { state: 'failed', error: { code: 'NAME_REJECTED', message: 'n'.repeat(1500) } }),
      testFile(1, { state: 'failed', error: { code: 'HASH_MISMATCH', message: 'damaged' } }),
      testFile(2, { state: 'done' }),
    ];
    new FerrySession(l).answer(transfer('active', { saveDir: '/tmp', files }));
    new FerrySession(l).answer(transfer('paused', { saveDir: '/tmp' }));
    const frames = await flushed(l, peer);
    expect(frames).toEqual([
      {
        type: 'offer-answer',
        id: ID,
        accept: true,
        rejected: [{ index: 0, code: 'NAME_REJECTED', message: 'n'.repeat(MAX_WIRE_MESSAGE) }],
      },
      { type: 'offer-answer', id: ID, accept: true },
    ]);
    expect(Object.hasOwn(frames[1]!, 'rejected')).toBe(false);
  });

  it('answers an accepted transfer that failed here with accept, then the failure', async () => {
    const { link: l, peer } = await link();
    new FerrySession(l).answer(
      transfer('failed', { saveDir: '/tmp', error: { code: 'DISK_FULL', message: 'disk full' } }),
    );
    new FerrySession(l).answer(transfer('failed', { saveDir: '/tmp' }));
    expect(await flushed(l, peer)).toEqual([
      { type: 'offer-answer', id: ID, accept: true },
      { type: 'transfer-stop', id: ID, state: 'failed', code: 'DISK_FULL', message: 'disk full' },
      { type: 'offer-answer', id: ID, accept: true },
      { type: 'transfer-stop', id: ID, state: 'failed', code: 'INTERNAL', message: 'failed' },
    ]);
  });
});

describe('offers we read', () => {
  const entries = [
    { path: 'a.txt', size: 5, mtime: 1, dir: false },
    { path: 'folder', size: 0, mtime: 2, dir: true },
    { path: 'folder/b.txt', size: 7, mtime: 3, dir: false },
  ];

  it('returns the entries and their total when they add up to the header', () => {
    expect(readOffer(offerHeader(3, 12), body(entries))).toEqual({ entries, totalBytes: 12 });
  });

  it.each([
    ['no body', null, 'the offer body is not a valid file list; refused'],
    ['not JSON', Buffer.from('[{'), 'the offer body is not a valid file list; refused'],
    ['not a file list', body([{ path: 1 }]), 'the offer body is not a valid file list; refused'],
  ])('refuses %s with BAD_FRAME', (_what, raw, message) => {
    const e = readOffer(offerHeader(3, 12), raw) as FerryError;
    expect(e).toBeInstanceOf(FerryError);
    expect(e.toDto()).toEqual({ code: 'BAD_FRAME', message });
  });

  it.each([
    ['another file count', offerHeader(2, 12), entries],
    ['another total', offerHeader(3, 13), entries],
    ['a folder with a size', offerHeader(3, 12), [entries[0], { ...entries[1], size: 4 }, entries[2]]], // sizes still add up to 12,
  ])('refuses an offer with %s', (_what, header, list) => {
    const e = readOffer(header, body(list)) as FerryError;
    expect(e.toDto()).toEqual({
      code: 'BAD_FRAME',
      message: 'the offer does not add up (file count, sizes or folders with a size); refused',
    });
  });
});

/** An inbox that records every call, and the session each came from. */
function recorder() {
  const calls: [string, ...unknown[]][] = [];
  const from = new Set<unknown>();
  const handler: PeerInbox = {
    chat: {
      message: (s, m) => (from.add(s), calls.push(['message', m])),
      delivered: (s, id) => (from.add(s), calls.push(['delivered', id])),
      read: (s, ids) => (from.add(s), calls.push(['read', ids])),
      recalled: (s, id) => (from.add(s), calls.push(['recalled', id])),
    },
    transfers: {
      offered: (s, offer) => (from.add(s), calls.push(['offered', offer.id, offer.entries, offer.totalBytes])),
      answered: (s, answer) => (from.add(s), calls.push(['answered', answer])),
      stopped: (s, id, state, error) => (from.add(s), calls.push(['stopped', id, state, error.toDto()])),
      resumeAsked: (s, id) => (from.add(s), calls.push(['resumeAsked', id])),
      pulled: (s, id, index) => (from.add(s), calls.push(['pulled', id, index])),
    },
  };
  return { calls, handler, from };
}

describe('transfer frames we receive', () => {
  it('hands each transfer frame to its handler, and nothing else', async () => {
    const { link: l } = await link();
    const { calls, handler } = recorder();
    const list = [{ path: 'a.txt', size: 5, mtime: 1, dir: false }];
    const answer = { type: 'offer-answer', id: ID, accept: true } as const;
    expect(new FerrySession(l).receive({ header: offerHeader(1, 5), body: body(list) }, handler)).toBe(true);
    expect(new FerrySession(l).receive({ header: answer, body: null }, handler)).toBe(true);
    const resume = { type: 'transfer-resume', id: ID } as const;
    expect(new FerrySession(l).receive({ header: resume, body: null }, handler)).toBe(true);
    const ping = { type: 'ping', ts: 1 } as unknown as ControlHeader;
    expect(new FerrySession(l).receive({ header: ping, body: null }, handler)).toBe(false);
    expect(calls).toEqual([
      ['offered', ID, list, 5],
      ['answered', { id: ID, accept: true }],
      ['resumeAsked', ID],
    ]);
  });

  it('passes on the names the receiver refused with its answer, and leaves the list out when there is none', async () => {
    const { link: l } = await link();
    const { calls, handler } = recorder();
    const rejected = [{ index: 1, code: 'NAME_REJECTED', message: 'CON is a reserved name' }];
    new FerrySession(l).receive(
      { header: { type: 'offer-answer', id: ID, accept: true, rejected }, body: null },
      handler,
    );
    new FerrySession(l).receive({ header: { type: 'offer-answer', id: ID, accept: false }, body: null }, handler);
    expect(calls).toEqual([
      ['answered', { id: ID, accept: true, rejected }],
      ['answered', { id: ID, accept: false }],
    ]);
    expect(Object.hasOwn(calls[1]![1] as object, 'rejected')).toBe(false);
  });

  it("reads a stop's code with errorCodeFrom: ours kept, anything else INTERNAL, the message kept", async () => {
    const { link: l } = await link();
    const { calls, handler } = recorder();
    const stop = (code: string) =>
      ({ type: 'transfer-stop', id: ID, state: 'failed', code, message: `peer said ${code}` }) as const;
    expect(new FerrySession(l).receive({ header: stop('DISK_FULL'), body: null }, handler)).toBe(true);
    new FerrySession(l).receive({ header: stop('SOMETHING_NEW'), body: null }, handler);
    new FerrySession(l).receive({ header: stop('toString'), body: null }, handler);
    expect(calls).toEqual([
      ['stopped', ID, 'failed', { code: 'DISK_FULL', message: 'peer said DISK_FULL' }],
      ['stopped', ID, 'failed', { code: 'INTERNAL', message: 'peer said SOMETHING_NEW' }],
      ['stopped', ID, 'failed', { code: 'INTERNAL', message: 'peer said toString' }],
    ]);
  });

  it('closes the link with BAD_FRAME for an offer that does not add up, and hands nothing on', async () => {
    const { link: l, peer } = await link();
    const { calls, handler } = recorder();
    const list = [{ path: 'a.txt', size: 5, mtime: 1, dir: false }];
    expect(new FerrySession(l).receive({ header: offerHeader(1, 6), body: body(list) }, handler)).toBe(true);
    await waitUntil(() => peer.ended(), { what: 'the link to close' });
    expect(calls).toEqual([]);
    expect(peer.frames).toEqual([
      {
        type: 'error',
        code: 'BAD_FRAME',
        message: 'the offer does not add up (file count, sizes or folders with a size); refused',
      },
    ]);
  });
});

describe('the session', () => {
  it('is the peer of its link, over Ferry, with the capabilities its hello lists', async () => {
    const { link: l } = await link();
    const bare = new FerrySession(l);
    expect([bare.peerId, bare.name, bare.protocol]).toEqual([PEER, 'Bob', 'ferry']);
    expect(bare.capabilities).toMatchObject({ encrypted: true, verifiable: true, chat: false, files: false });
    l.hello.caps = ['chat/1', 'transfer/1'];
    expect(new FerrySession(l).capabilities).toMatchObject({ chat: true, files: true, resume: true });
  });
});

describe('chat frames we send', () => {
  it('sends a message as its header and UTF-8 text, an ack, and read receipts 500 ids a frame', async () => {
    const { link: l, peer } = await link();
    const session = new FerrySession(l);
    session.sendMessage({ id: ID, sentAt: 42, replyTo: null, text: '你好 👋' });
    session.acknowledge(ID);
    const ids = Array.from({ length: 1001 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    session.markedRead(ids);
    session.markedRead([]);
    const frames = await flushed(l, peer);
    expect(frames.map((f) => f.type)).toEqual(['message', 'ack', 'read', 'read', 'read']);
    expect(frames[0]).toMatchObject({ type: 'message', id: ID, sentAt: 42, replyTo: null });
    expect(peer.bodies[0]!.toString('utf8')).toBe('你好 👋');
    expect(frames[1]).toEqual({ type: 'ack', id: ID });
    expect(frames.slice(2).map((f) => f.ids)).toEqual([ids.slice(0, 500), ids.slice(500, 1000), ids.slice(1000)]);
  });
});

describe('chat frames we receive', () => {
  const message = (replyTo?: string) =>
    ({ type: 'message', id: ID, sentAt: 7, bodyLength: 1, ...(replyTo ? { replyTo } : {}) }) as ControlHeader;

  it('hands a message (text, wire size, reply-to), an ack and a read receipt to the chat inbox', async () => {
    const { link: l } = await link();
    const { calls, handler, from } = recorder();
    const session = new FerrySession(l);
    const text = Buffer.from('héllo', 'utf8');
    expect(session.receive({ header: message(), body: text }, handler)).toBe(true);
    expect(session.receive({ header: message(ID), body: text }, handler)).toBe(true);
    expect(session.receive({ header: { type: 'ack', id: ID }, body: null }, handler)).toBe(true);
    expect(session.receive({ header: { type: 'read', ids: [ID] }, body: null }, handler)).toBe(true);
    expect(calls).toEqual([
      ['message', { id: ID, sentAt: 7, replyTo: null, text: 'héllo', bytes: 6 }],
      ['message', { id: ID, sentAt: 7, replyTo: ID, text: 'héllo', bytes: 6 }],
      ['delivered', ID],
      ['read', [ID]],
    ]);
    expect([...from]).toEqual([session]);
  });

  it('closes the link with BAD_FRAME for text that is not UTF-8, and hands nothing on', async () => {
    const { link: l, peer } = await link();
    const { calls, handler } = recorder();
    expect(new FerrySession(l).receive({ header: message(), body: Buffer.from([0x61, 0xff]) }, handler)).toBe(true);
    await waitUntil(() => peer.ended(), { what: 'the link to close' });
    expect(calls).toEqual([]);
    expect(peer.frames).toEqual([{ type: 'error', code: 'BAD_FRAME', message: 'message text is not valid UTF-8' }]);
  });
});
