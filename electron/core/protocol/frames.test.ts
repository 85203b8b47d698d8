/**
 * The frame schemas as a peer meets them: every frame type docs/PROTOCOL.md lists is
 * decoded with its fields (and defaults), and one step past each documented limit
 * is refused as BAD_FRAME (or FRAME_TOO_LARGE for a body) with a message naming the field.
 */
import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder, type FrameRegistry, type RawHeader } from './frame-codec';
import { controlFrames, dataFrames, OFFER_BODY_MAX, PROTOCOL_VERSION } from './frames';

const ID = 'ab'.repeat(32);
const UUID = '0b7c3a6e-3f0e-4c55-9f4e-2d6f3b1a9c10';
const UUID2 = '1c8d4b7f-4a1f-4d66-8a5f-3e7a4c2b0d21';
const SHA = 'cd'.repeat(32);

function decode(registry: FrameRegistry<RawHeader>, header: RawHeader, body?: Buffer) {
  const frames = new FrameDecoder(registry).push(encodeFrame(header, body));
  expect(frames).toHaveLength(1);
  return frames[0]!;
}

function refusal(registry: FrameRegistry<RawHeader>, header: RawHeader, body?: Buffer) {
  try {
    new FrameDecoder(registry).push(encodeFrame(header, body));
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error(`accepted ${JSON.stringify(header)}`);
}

/**
 * Decodes a header alone, bodyLength and all (encodeFrame only writes the bodyLength of a
 * body it has): the error, or null when the decoder accepted it and waits for the body.
 */
function headerOnly(registry: FrameRegistry<RawHeader>, header: RawHeader) {
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(json.length);
  try {
    new FrameDecoder(registry).push(Buffer.concat([prefix, json]));
  } catch (err) {
    return err as { code: string; message: string };
  }
  return null;
}

const control = controlFrames as FrameRegistry<RawHeader>;
const data = dataFrames as FrameRegistry<RawHeader>;

const hello = (over: Record<string, unknown> = {}): RawHeader => ({
  type: 'hello',
  v: 1,
  id: ID,
  name: 'Ann',
  platform: 'linux',
  port: 53317,
  caps: ['chat/1'],
  purpose: 'control',
  ...over,
});
const offer = (over: Record<string, unknown> = {}): RawHeader => ({
  type: 'offer',
  id: UUID,
  fileCount: 1,
  totalBytes: 3,
  createdAt: 5,
  ...over,
});
const entry = (over: Record<string, unknown> = {}) => ({ path: 'a.txt', size: 3, mtime: 7, dir: false, ...over });
const offerBody = (entries: unknown[]) => Buffer.from(JSON.stringify(entries));

describe('control frames', () => {
  it('is protocol version 1', () => {
    expect(PROTOCOL_VERSION).toBe(1);
  });

  it('decodes a hello with every field, its purpose defaulting to control', () => {
    expect(decode(control, hello()).header).toEqual(hello());
    expect(decode(control, hello({ purpose: 'transfer' })).header).toMatchObject({ purpose: 'transfer' });
    const { purpose: _, ...noPurpose } = hello();
    expect(decode(control, noPurpose).header).toEqual(hello());
    expect(decode(control, hello({ v: 0, port: 0, caps: [] })).header).toMatchObject({ v: 0, port: 0, caps: [] });
    expect(decode(control, hello({ port: 65535 })).header).toMatchObject({ port: 65535 });
  });

  it('takes names up to their byte limits, counted in UTF-8', () => {
    const name = '名'.repeat(85); // 255 bytes
    expect(decode(control, hello({ name })).header).toMatchObject({ name });
    expect(decode(control, hello({ platform: 'p'.repeat(32), caps: ['c'.repeat(32)] })).header).toMatchObject({
      platform: 'p'.repeat(32),
    });
    expect(refusal(control, hello({ name: `${name}x` }))).toMatchObject({
      code: 'BAD_FRAME',
      message: '"hello" frame is malformed: name: over 255 bytes',
    });
    expect(refusal(control, hello({ platform: 'p'.repeat(33) })).message).toBe(
      '"hello" frame is malformed: platform: over 32 bytes',
    );
    expect(refusal(control, hello({ platform: 'é'.repeat(17) })).message).toContain('platform: over 32 bytes');
    expect(refusal(control, hello({ caps: ['c'.repeat(33)] })).message).toContain('caps.0: over 32 bytes');
  });

  it.each([
    ['an empty name', { name: '' }, 'name'],
    ['a short id', { id: ID.slice(1) }, 'id'],
    ['a long id', { id: `${ID}a` }, 'id'],
    ['an upper-case id', { id: ID.toUpperCase() }, 'id'],
    ['an id with junk before it', { id: `x${ID.slice(1)}` }, 'id'],
    ['an id with junk after it', { id: `${ID.slice(1)}x` }, 'id'],
    ['a non-hex id', { id: 'g'.repeat(64) }, 'id'],
    ['a negative version', { v: -1 }, 'v'],
    ['a fractional version', { v: 1.5 }, 'v'],
    ['port 65536', { port: 65536 }, 'port'],
    ['port -1', { port: -1 }, 'port'],
    ['33 capabilities', { caps: Array.from({ length: 33 }, () => 'c') }, 'caps'],
    ['an unknown purpose', { purpose: 'gossip' }, 'purpose'],
    ['a name that is not text', { name: 5 }, 'name'],
  ])('refuses a hello with %s', (_what, over, field) => {
    const err = refusal(control, hello(over));
    expect(err.code).toBe('BAD_FRAME');
    expect(err.message).toMatch(new RegExp(`^"hello" frame is malformed: ${field}(\\.\\d+)?: `));
  });

  it('decodes a message with its text body, optional reply and the chat text limit', () => {
    const body = Buffer.from('你好');
    const frame = decode(control, { type: 'message', id: UUID, sentAt: 0, replyTo: UUID2 }, body);
    expect(frame.header).toEqual({ type: 'message', id: UUID, sentAt: 0, replyTo: UUID2, bodyLength: 6 });
    expect(frame.body?.toString()).toBe('你好');
    expect(decode(control, { type: 'message', id: UUID, sentAt: 1, replyTo: null }, body).header).toMatchObject({
      replyTo: null,
    });
    expect(decode(control, { type: 'message', id: UUID, sentAt: 1 }, body).header).not.toHaveProperty('replyTo');
    expect(controlFrames('message')!.maxBody).toBe(64 * 1024);
    const big = Buffer.alloc(64 * 1024, 0x61);
    expect(decode(control, { type: 'message', id: UUID, sentAt: 1 }, big).body).toHaveLength(64 * 1024);
    expect(refusal(control, { type: 'message', id: UUID, sentAt: 1 }, Buffer.alloc(64 * 1024 + 1))).toMatchObject({
      code: 'FRAME_TOO_LARGE',
    });
  });

  it.each([
    ['no body', { type: 'message', id: UUID, sentAt: 1 }, 'bodyLength'],
    ['a bad id', { type: 'message', id: 'nope', sentAt: 1 }, 'id'],
    ['a negative time', { type: 'message', id: UUID, sentAt: -1 }, 'sentAt'],
    ['a bad reply id', { type: 'message', id: UUID, sentAt: 1, replyTo: 'x' }, 'replyTo'],
    ['an ack with a bad id', { type: 'ack', id: 'x' }, 'id'],
    ['a read receipt for nothing', { type: 'read', ids: [] }, 'ids'],
    ['a read receipt for 501 messages', { type: 'read', ids: Array.from({ length: 501 }, () => UUID) }, 'ids'],
    ['a read receipt with a bad id', { type: 'read', ids: ['x'] }, 'ids'],
    ['a ping with a text time', { type: 'ping', ts: 'now' }, 'ts'],
    ['a pong with a text time', { type: 'pong', ts: 'now' }, 'ts'],
    ['an error code over 64 bytes', { type: 'error', code: 'c'.repeat(65), message: 'm' }, 'code'],
    ['an error message over 1000 bytes', { type: 'error', code: 'c', message: 'm'.repeat(1001) }, 'message'],
    ['an error without a message', { type: 'error', code: 'c' }, 'message'],
    ['a bye reason over 64 bytes', { type: 'bye', reason: 'r'.repeat(65) }, 'reason'],
    ['a resume with a bad id', { type: 'transfer-resume', id: 'x' }, 'id'],
    ['a recall with a bad id', { type: 'recall', id: 'not-a-uuid' }, 'id'],
    ['a recall without an id', { type: 'recall' }, 'id'],
    ['a recall with a numeric id', { type: 'recall', id: 7 }, 'id'],
  ])('refuses a frame with %s', (_what, header, field) => {
    const err = refusal(
      control,
      header,
      header.type === 'message' && field !== 'bodyLength' ? Buffer.from('x') : undefined,
    );
    expect(err.code).toBe('BAD_FRAME');
    expect(err.message).toMatch(new RegExp(`^"${header.type}" frame is malformed: ${field}(\\.\\d+)?: `));
  });

  it.each([
    [{ type: 'ack', id: UUID }],
    [{ type: 'read', ids: [UUID, UUID2] }],
    [{ type: 'read', ids: Array.from({ length: 500 }, () => UUID) }],
    [{ type: 'ping', ts: 5 }],
    [{ type: 'ping' }],
    [{ type: 'pong', ts: 6 }],
    [{ type: 'pong' }],
    [{ type: 'error', code: 'c'.repeat(64), message: 'm'.repeat(1000) }],
    [{ type: 'bye', reason: 'r'.repeat(64) }],
    [{ type: 'transfer-resume', id: UUID }],
    [{ type: 'recall', id: UUID }],
    [{ type: 'offer-answer', id: UUID, accept: false }],
    [
      {
        type: 'offer-answer',
        id: UUID,
        accept: true,
        rejected: [{ index: 0, code: 'NAME_REJECTED', message: 'reserved name' }],
      },
    ],
  ])('decodes %j as it is', (header) => {
    expect(decode(control, header).header).toEqual(header);
  });

  it('decodes an offer and its entries, up to 8 MiB of body', () => {
    const body = offerBody([entry(), entry({ path: 'd', size: 0, dir: true })]);
    const frame = decode(control, offer({ fileCount: 2, totalBytes: Number.MAX_SAFE_INTEGER, createdAt: 0 }), body);
    expect(frame.header).toEqual(
      offer({ fileCount: 2, totalBytes: Number.MAX_SAFE_INTEGER, createdAt: 0, bodyLength: body.length }),
    );
    expect(controlFrames('offer')!.maxBody).toBe(8 * 1024 * 1024);
    expect(OFFER_BODY_MAX).toBe(8 * 1024 * 1024);
    expect(decode(control, offer({ fileCount: 10_000 }), body).header).toMatchObject({ fileCount: 10_000 });
    expect(decode(control, offer(), Buffer.from('[]')).body?.toString()).toBe('[]');
  });

  it.each([
    ['no files', { fileCount: 0 }, 'fileCount'],
    ['10 001 files', { fileCount: 10_001 }, 'fileCount'],
    ['a negative size', { totalBytes: -1 }, 'totalBytes'],
    ['an unsafe size', { totalBytes: Number.MAX_SAFE_INTEGER + 2 }, 'totalBytes'],
    ['a negative time', { createdAt: -1 }, 'createdAt'],
    ['a bad id', { id: 'x' }, 'id'],
  ])('refuses an offer with %s', (_what, over, field) => {
    const err = refusal(control, offer(over), offerBody([entry()]));
    expect(err.message).toMatch(new RegExp(`^"offer" frame is malformed: ${field}: `));
  });

  it('refuses an offer with a body under 2 bytes or over 8 MiB', () => {
    expect(refusal(control, offer(), Buffer.from('1')).message).toMatch(/^"offer" frame is malformed: bodyLength: /);
    expect(refusal(control, offer()).message).toMatch(/^"offer" frame is malformed: bodyLength: /);
    expect(headerOnly(control, offer({ bodyLength: 8 * 1024 * 1024 + 1 }))).toMatchObject({ code: 'FRAME_TOO_LARGE' });
    expect(headerOnly(control, offer({ bodyLength: 8 * 1024 * 1024 }))).toBeNull();
    expect(headerOnly(control, offer({ bodyLength: 1 }))?.message).toMatch(/^"offer" frame is malformed: bodyLength: /);
  });

  it('refuses offer answers with bad rejected entries', () => {
    const answer = (rejected: unknown) => ({ type: 'offer-answer', id: UUID, accept: true, rejected });
    expect(refusal(control, answer([{ index: -1, code: 'c', message: 'm' }])).message).toContain('rejected.0.index');
    expect(refusal(control, answer([{ index: 0, code: 'c'.repeat(65), message: 'm' }])).message).toContain(
      'rejected.0.code: over 64 bytes',
    );
    expect(refusal(control, answer([{ index: 0, code: 'c', message: 'm'.repeat(1001) }])).message).toContain(
      'rejected.0.message: over 1000 bytes',
    );
    expect(refusal(control, answer([{ index: 0, code: 'c' }])).message).toContain('rejected.0.message: ');
    expect(refusal(control, { type: 'offer-answer', id: UUID, accept: 'yes' }).message).toContain('accept: ');
  });

  it.each(['cancelled', 'failed', 'expired', 'declined'])('decodes a transfer-stop of state %s', (state) => {
    const header = { type: 'transfer-stop', id: UUID, state, code: 'CANCELLED', message: 'by the user' };
    expect(decode(control, header).header).toEqual(header);
  });

  it('refuses a transfer-stop with another state or an overlong reason', () => {
    const stop = { type: 'transfer-stop', id: UUID, state: 'failed', code: 'X', message: 'm' };
    expect(refusal(control, { ...stop, state: 'done' }).message).toContain('state: ');
    expect(refusal(control, { ...stop, code: 'c'.repeat(65) }).message).toContain('code: over 64 bytes');
    expect(refusal(control, { ...stop, message: 'm'.repeat(1001) }).message).toContain('message: over 1000 bytes');
  });

  it('takes a recall with no body, and ignores fields it does not know (§2)', () => {
    expect(controlFrames('recall')?.maxBody).toBe(0);
    expect(refusal(control, { type: 'recall', id: UUID }, Buffer.from('x'))).toMatchObject({ code: 'FRAME_TOO_LARGE' });
    expect(decode(control, { type: 'recall', id: UUID, reason: 'typo', at: 5 }).header).toEqual({
      type: 'recall',
      id: UUID,
    });
  });

  it('knows exactly the control frame types, and only bodies of messages and offers', () => {
    for (const type of [
      'hello',
      'ack',
      'read',
      'ping',
      'pong',
      'error',
      'bye',
      'recall',
      'offer-answer',
      'transfer-stop',
    ]) {
      expect(controlFrames(type)?.maxBody).toBe(0);
    }
    expect(controlFrames('transfer-resume')?.maxBody).toBe(0);
    for (const type of [
      'data-open',
      'data-ready',
      'data-end',
      'data-result',
      'toString',
      '__proto__',
      'hasOwnProperty',
      '',
    ]) {
      expect(controlFrames(type)).toBeUndefined();
    }
    expect(refusal(control, { type: 'ack', id: UUID }, Buffer.from('x'))).toMatchObject({ code: 'FRAME_TOO_LARGE' });
  });
});

describe('offer entries and answers', () => {
  it('refuse over 10 000 rejected entries (more than a 64 KiB header holds anyway)', async () => {
    const { offerAnswerHeader } = await import('./frames');
    const many = Array.from({ length: 10_001 }, (_v, index) => ({ index, code: 'c', message: 'm' }));
    const answer = { type: 'offer-answer', id: UUID, accept: true };
    expect(() => offerAnswerHeader.parse({ ...answer, rejected: many })).toThrow();
    expect(offerAnswerHeader.parse({ ...answer, rejected: many.slice(1) }).rejected).toHaveLength(10_000);
  });

  it('are strict: a known shape and nothing else', async () => {
    const { offerBody: schema, offerEntry } = await import('./frames');
    expect(schema.parse([entry(), entry({ path: '', size: 0, mtime: -5, dir: true })])).toEqual([
      entry(),
      entry({ path: '', size: 0, mtime: -5, dir: true }),
    ]);
    expect(() => offerEntry.parse(entry({ extra: 1 }))).toThrow();
    expect(() => offerEntry.parse(entry({ size: -1 }))).toThrow();
    expect(() => offerEntry.parse(entry({ mtime: 1.5 }))).toThrow();
    expect(() => offerEntry.parse(entry({ dir: 'no' }))).toThrow();
    expect(() => offerEntry.parse(entry({ path: 5 }))).toThrow();
    expect(() => schema.parse([])).toThrow();
    expect(() => schema.parse(Array.from({ length: 10_001 }, () => entry()))).toThrow();
    expect(schema.parse(Array.from({ length: 10_000 }, () => entry()))).toHaveLength(10_000);
  });
});

describe('data frames', () => {
  it.each([
    [{ type: 'data-open', id: UUID, index: 9_999, size: 0 }],
    [{ type: 'data-ready', id: UUID, index: 0, offset: 5 }],
    [{ type: 'data-end', id: UUID, index: 3, sha256: SHA }],
    [{ type: 'data-result', id: UUID, index: 3, ok: true }],
    [{ type: 'data-result', id: UUID, index: 3, ok: false, code: 'c'.repeat(64), message: 'm'.repeat(1000) }],
    [{ type: 'error', code: 'X', message: 'm' }],
    [{ type: 'bye', reason: 'done' }],
  ])('decodes %j as it is', (header) => {
    expect(decode(data, header).header).toEqual(header);
    expect(dataFrames(String(header.type))!.maxBody).toBe(0);
  });

  it.each([
    [{ type: 'data-open', id: UUID, index: 10_000, size: 0 }, 'index'],
    [{ type: 'data-open', id: UUID, index: -1, size: 0 }, 'index'],
    [{ type: 'data-open', id: UUID, index: 0, size: -1 }, 'size'],
    [{ type: 'data-open', id: 'x', index: 0, size: 0 }, 'id'],
    [{ type: 'data-ready', id: UUID, index: -1, offset: 0 }, 'index'],
    [{ type: 'data-ready', id: UUID, index: 0, offset: -1 }, 'offset'],
    [{ type: 'data-ready', id: 'x', index: 0, offset: 0 }, 'id'],
    [{ type: 'data-end', id: UUID, index: -1, sha256: SHA }, 'index'],
    [{ type: 'data-end', id: UUID, index: 0, sha256: SHA.toUpperCase() }, 'sha256'],
    [{ type: 'data-end', id: UUID, index: 0, sha256: `${SHA}0` }, 'sha256'],
    [{ type: 'data-end', id: UUID, index: 0, sha256: SHA.slice(1) }, 'sha256'],
    [{ type: 'data-end', id: UUID, index: 0, sha256: `x${SHA.slice(1)}` }, 'sha256'],
    [{ type: 'data-end', id: UUID, index: 0, sha256: `${SHA.slice(1)}x` }, 'sha256'],
    [{ type: 'data-end', id: 'x', index: 0, sha256: SHA }, 'id'],
    [{ type: 'data-result', id: UUID, index: -1, ok: true }, 'index'],
    [{ type: 'data-result', id: UUID, index: 0, ok: 1 }, 'ok'],
    [{ type: 'data-result', id: UUID, index: 0, ok: false, code: 'c'.repeat(65) }, 'code'],
    [{ type: 'data-result', id: UUID, index: 0, ok: false, message: 'm'.repeat(1001) }, 'message'],
    [{ type: 'data-result', id: 'x', index: 0, ok: true }, 'id'],
  ])('refuses %j', (header, field) => {
    const err = refusal(data, header);
    expect(err.code).toBe('BAD_FRAME');
    expect(err.message).toMatch(new RegExp(`^"${header.type}" frame is malformed: ${field}: `));
  });

  it('knows exactly the data frame types', () => {
    for (const type of ['hello', 'message', 'offer', 'ack', 'ping', 'toString', '__proto__', '']) {
      expect(dataFrames(type)).toBeUndefined();
    }
    expect(refusal(data, { type: 'bye', reason: 'x' }, Buffer.from('x'))).toMatchObject({ code: 'FRAME_TOO_LARGE' });
  });
});
