/**
 * DataChannel on a real TLS socket pair on 127.0.0.1: frames and raw runs of bytes
 * in one stream, the errors a peer can cause, backpressure, and closing.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { tlsPair, type TlsPair } from '../../../test/helpers/tls-pair';
import { waitUntil } from '../../../test/helpers/wait';
import { FerryError } from '../ferry-error';
import { encodeFrame } from '../protocol/frame-codec';
import { DataChannel } from './data-channel';
import { rejection } from '../../../test/helpers/rejection';

const ID = '0b7c3a6e-3f0e-4c55-9f4e-2d6f3b1a9c10';
const open = { type: 'data-open', id: ID, index: 2, size: 10 };

let pairs: TlsPair[] = [];
afterEach(async () => {
  await Promise.all(pairs.map((p) => p.close()));
  pairs = [];
});

async function setup(leftover = Buffer.alloc(0), idleTimeoutMs?: number) {
  const pair = await tlsPair();
  pairs.push(pair);
  const reader = new DataChannel(pair.server, leftover, idleTimeoutMs);
  const writer = new DataChannel(pair.client, Buffer.alloc(0));
  return { pair, reader, writer };
}

/** A frame with a hand-written header (any JSON text). */
function rawFrame(json: string): Buffer {
  const bytes = Buffer.from(json);
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(bytes.byteLength);
  return Buffer.concat([prefix, bytes]);
}

describe('DataChannel frames', () => {
  it('reads the frames the other side writes, in order, also from leftover bytes', async () => {
    const first = encodeFrame(open);
    // The hello's leftover holds the first frame and half of the second.
    const second = encodeFrame({ type: 'data-ready', id: ID, index: 2, offset: 4 });
    const { reader, pair } = await setup(Buffer.concat([first, second.subarray(0, 7)]));
    pair.client.write(second.subarray(7));
    expect(await reader.expect('data-open')).toEqual(open);
    expect(await reader.readFrame()).toEqual({ type: 'data-ready', id: ID, index: 2, offset: 4 });
  });

  it('writeFrame() goes to the peer, without local paths', async () => {
    const { reader, writer } = await setup();
    expect(
      writer.writeFrame({ type: 'data-result', id: ID, index: 1, ok: false, code: 'X', message: 'at /root/secret' }),
    ).toBe(true);
    expect(await reader.readFrame()).toEqual({
      type: 'data-result',
      id: ID,
      index: 1,
      ok: false,
      code: 'X',
      message: 'at <local path>',
    });
  });

  it('expect() refuses another frame type', async () => {
    const { reader, writer } = await setup();
    writer.writeFrame(open);
    const err = await rejection<FerryError>(reader.expect('data-ready'));
    expect(err).toBeInstanceOf(FerryError);
    expect(err).toMatchObject({ code: 'BAD_FRAME', message: 'expected "data-ready", got "data-open"' });
  });

  it.each([
    ['a zero header length', Buffer.alloc(4), 'FRAME_TOO_LARGE', 'header length 0 is out of range'],
    [
      'a header length over 64 KiB',
      Buffer.from([0, 1, 0, 1]),
      'FRAME_TOO_LARGE',
      'header length 65537 is out of range',
    ],
    ['a header that is not JSON', rawFrame('{nope'), 'BAD_FRAME', 'header is not valid JSON'],
    ['a JSON null header', rawFrame('null'), 'UNKNOWN_FRAME', 'unexpected "undefined" frame on a data connection'],
    [
      'a header without a type',
      rawFrame('{"id":1}'),
      'UNKNOWN_FRAME',
      'unexpected "undefined" frame on a data connection',
    ],
    ['a numeric type', rawFrame('{"type":7}'), 'UNKNOWN_FRAME', 'unexpected "7" frame on a data connection'],
    [
      'a control-link frame',
      encodeFrame({ type: 'message', id: ID, sentAt: 1 }),
      'UNKNOWN_FRAME',
      'unexpected "message" frame on a data connection',
    ],
    [
      'an overlong unknown type',
      encodeFrame({ type: 'x'.repeat(100) }),
      'UNKNOWN_FRAME',
      `unexpected "${'x'.repeat(40)}" frame on a data connection`,
    ],
    [
      'a frame with a body',
      rawFrame(JSON.stringify({ ...open, bodyLength: 3 })),
      'BAD_FRAME',
      'data-connection frames carry no body',
    ],
    [
      'a malformed data-open',
      encodeFrame({ type: 'data-open', id: 'nope' }),
      'BAD_FRAME',
      '"data-open" frame is malformed',
    ],
    ['an error frame', encodeFrame({ type: 'error', code: 'DISK_FULL', message: 'full' }), 'DISK_FULL', 'peer: full'],
    [
      'an error frame with a code we do not know',
      encodeFrame({ type: 'error', code: 'BOGUS', message: 'huh' }),
      'INTERNAL',
      'peer: huh',
    ],
    ['a bye', encodeFrame({ type: 'bye', reason: 'done' }), 'PEER_GONE', 'the peer closed the data connection (done)'],
  ])('refuses %s with a coded error', async (_label, bytes, code, message) => {
    const { reader, pair } = await setup();
    pair.client.write(bytes);
    const err = await rejection<FerryError>(reader.readFrame());
    expect(err).toBeInstanceOf(FerryError);
    expect({ code: err.code, message: err.message }).toEqual({ code, message });
  });

  it('takes a header of exactly 64 KiB and a zero bodyLength', async () => {
    const json = JSON.stringify({ ...open, bodyLength: 0 });
    const { reader, pair } = await setup();
    pair.client.write(rawFrame(json.padEnd(64 * 1024, ' ')));
    expect(await reader.readFrame()).toEqual({ ...open, bodyLength: 0 });
  });
});

describe('DataChannel raw bytes', () => {
  it('yields exactly n bytes in chunks of at most 1 MiB, then the next frame', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 5);
    const { reader, pair } = await setup();
    pair.client.write(Buffer.concat([data, encodeFrame(open)]));
    const chunks: Buffer[] = [];
    for await (const chunk of reader.raw(data.byteLength)) chunks.push(Buffer.from(chunk));
    expect(chunks.every((c) => c.byteLength > 0 && c.byteLength <= 1024 * 1024)).toBe(true);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    expect(await reader.readFrame()).toEqual(open);
  });

  it('cuts one big buffered run into chunks of at most 1 MiB', async () => {
    const data = randomBytes(2 * 1024 * 1024 + 3);
    const { reader } = await setup(Buffer.concat([data, encodeFrame(open)]));
    const sizes: number[] = [];
    const got: Buffer[] = [];
    for await (const chunk of reader.raw(data.byteLength)) {
      sizes.push(chunk.byteLength);
      got.push(Buffer.from(chunk));
    }
    expect(sizes).toEqual([1024 * 1024, 1024 * 1024, 3]);
    expect(Buffer.concat(got).equals(data)).toBe(true);
    expect(await reader.readFrame()).toEqual(open);
  });

  it('raw(0) yields nothing and leaves the next frame in place', async () => {
    const { reader, writer } = await setup();
    writer.writeFrame(open);
    const chunks: Buffer[] = [];
    for await (const chunk of reader.raw(0)) chunks.push(chunk);
    expect(chunks).toEqual([]);
    expect(await reader.readFrame()).toEqual(open);
  });

  it('pauses the socket past 4 MiB unread and resumes as it is read; writeRaw waits meanwhile', async () => {
    const data = randomBytes(12 * 1024 * 1024);
    const { reader, writer, pair } = await setup();
    let written = false;
    const writing = (async () => {
      for (let i = 0; i < data.byteLength; i += 256 * 1024) await writer.writeRaw(data.subarray(i, i + 256 * 1024));
      written = true;
    })();
    // Nobody reads: the receiving socket stops reading, the sender stops writing.
    await waitUntil(() => pair.server.isPaused(), { what: 'the reader pauses its socket' });
    expect(pair.server.bytesRead).toBeGreaterThanOrEqual(4 * 1024 * 1024);
    expect(written).toBe(false);
    const got: Buffer[] = [];
    for await (const chunk of reader.raw(data.byteLength)) {
      got.push(Buffer.from(chunk));
      if (got.length === 1) expect(pair.server.isPaused()).toBe(true); // 1 MiB read: still over 2 MiB queued
    }
    await writing;
    expect(Buffer.concat(got).equals(data)).toBe(true);
    expect(pair.server.isPaused()).toBe(false);
  });
});

describe('DataChannel closing', () => {
  it('reports a peer that closes mid-read as PEER_GONE', async () => {
    const { reader, pair } = await setup();
    pair.client.write(Buffer.from([0, 0]));
    const reading = rejection<FerryError>(reader.readFrame());
    pair.client.end();
    const err = await reading;
    expect(err).toMatchObject({ code: 'PEER_GONE', message: 'the peer closed the data connection' });
    expect(reader.closed).toBe(true);
    // Later reads fail the same way at once.
    expect(await rejection<FerryError>(reader.readFrame())).toMatchObject({ code: 'PEER_GONE' });
  });

  it('reports a socket error as PEER_GONE with its cause, and keeps it for later calls', async () => {
    const { reader, pair } = await setup();
    const reading = rejection<FerryError>(reader.readFrame());
    pair.server.destroy(new Error('boom'));
    const err = await reading;
    expect(err).toMatchObject({ code: 'PEER_GONE', message: 'data connection lost: boom' });
    expect(err.cause).toBeInstanceOf(Error);
    expect(await rejection<FerryError>(reader.writeRaw(Buffer.from('x')))).toBe(err);
    expect(reader.writeFrame(open)).toBe(false);
  });

  it('writeRaw() on a closed channel fails with PEER_GONE', async () => {
    const { writer } = await setup();
    writer.close();
    expect(writer.closed).toBe(true);
    expect(await rejection<FerryError>(writer.writeRaw(Buffer.from('x')))).toMatchObject({
      code: 'PEER_GONE',
      message: 'the data connection is closed',
    });
  });

  it('writeRaw() waiting for a full socket fails when the socket closes', async () => {
    const { writer, pair } = await setup();
    pair.server.pause();
    let waiting: Promise<void> | null = null;
    for (let i = 0; i < 1000 && !waiting; i++) {
      const p = writer.writeRaw(Buffer.alloc(256 * 1024));
      if (pair.client.writableNeedDrain) waiting = p;
      else await p;
    }
    expect(waiting).not.toBeNull();
    pair.client.destroy();
    expect(await rejection<FerryError>(waiting!)).toMatchObject({
      code: 'PEER_GONE',
      message: 'the data connection closed while sending',
    });
  });

  it('ends a pending read when its socket is destroyed under it', async () => {
    const { reader, pair } = await setup();
    const reading = rejection<FerryError>(reader.readFrame());
    pair.server.destroy();
    expect(await reading).toMatchObject({ code: 'PEER_GONE', message: 'the peer closed the data connection' });
  });

  it('leaves no listeners behind after waiting to write', async () => {
    const { writer, pair } = await setup();
    const before = [pair.client.listenerCount('drain'), pair.client.listenerCount('close')];
    pair.server.pause();
    let waiting: Promise<void> | null = null;
    for (let i = 0; i < 1000 && !waiting; i++) {
      const p = writer.writeRaw(Buffer.alloc(256 * 1024));
      if (pair.client.writableNeedDrain) waiting = p;
      else await p;
    }
    expect(waiting).not.toBeNull();
    pair.server.resume();
    await waiting;
    expect([pair.client.listenerCount('drain'), pair.client.listenerCount('close')]).toEqual(before);
  });

  it('cuts a peer that never reads its goodbye or error, after 2 s', async () => {
    const cut = async (how: (c: DataChannel) => void) => {
      const { writer, pair } = await setup();
      pair.server.pause();
      for (let i = 0; i < 1000 && !pair.client.writableNeedDrain; i++)
        void writer.writeRaw(Buffer.alloc(256 * 1024)).catch(() => {});
      how(writer);
      await waitUntil(() => pair.client.destroyed, { what: 'the socket is cut', timeoutMs: 8_000 });
    };
    await Promise.all([cut((c) => c.close()), cut((c) => c.fail(new FerryError('INTERNAL', 'x')))]);
  });

  it('fail() sends the code and message (at most 900 chars) and ends the connection', async () => {
    const { reader, writer } = await setup();
    writer.fail(new FerryError('DISK_FULL', `full ${'y'.repeat(2000)}`));
    expect(writer.closed).toBe(true);
    const err = await rejection<FerryError>(reader.readFrame());
    expect(err.code).toBe('DISK_FULL');
    expect(err.message.startsWith('peer: full yyy')).toBe(true);
    expect(err.message.length).toBe('peer: '.length + 900);
    expect(await rejection<FerryError>(reader.readFrame())).toMatchObject({ code: 'PEER_GONE' });
    expect(await rejection<FerryError>(writer.writeRaw(Buffer.from('x')))).toMatchObject({ code: 'DISK_FULL' });
  });

  it('close() says bye, and the peer sees a clean end', async () => {
    const { reader, writer, pair } = await setup();
    writer.close();
    expect(await rejection<FerryError>(reader.readFrame())).toMatchObject({
      code: 'PEER_GONE',
      message: 'the peer closed the data connection (done)',
    });
    await waitUntil(() => pair.server.readableEnded, { what: 'end of stream' });
  });

  it('destroy() cuts the connection without a word', async () => {
    const { reader, writer, pair } = await setup();
    writer.destroy();
    expect(writer.closed).toBe(true);
    expect(await rejection<FerryError>(reader.readFrame())).toMatchObject({
      code: 'PEER_GONE',
      message: 'the peer closed the data connection',
    });
    expect(pair.client.destroyed).toBe(true);
    writer.close(); // nothing left to say: no throw
    writer.fail(new FerryError('INTERNAL', 'late'));
  });

  it('gives up on a silent peer after the idle timeout', async () => {
    const { reader, pair } = await setup(Buffer.alloc(0), 500);
    const err = await rejection<FerryError>(reader.readFrame());
    expect(err).toMatchObject({ code: 'PEER_GONE', message: 'no data from the peer for 1 s' });
    await waitUntil(() => pair.server.destroyed, { what: 'socket destroyed' });
  });

  it('keeps a peer that keeps sending past the idle timeout', async () => {
    // Frames back to back for 2.5 idle timeouts: the gaps between them are a round trip.
    const { reader, writer } = await setup(Buffer.alloc(0), 1_000);
    const started = Date.now();
    let n = 0;
    while (Date.now() - started < 2_500) {
      writer.writeFrame({ ...open, index: n % 1000 });
      expect(await reader.readFrame()).toMatchObject({ index: n++ % 1000 });
    }
    expect(reader.closed).toBe(false);
  });
});
