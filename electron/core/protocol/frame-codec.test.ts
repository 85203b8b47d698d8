import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../../shared/limits';
import { FerryError } from '../ferry-error';
import { encodeFrame, FrameDecoder, type DecodedFrame, type RawHeader } from './frame-codec';
import { controlFrames, type ControlHeader } from './frames';

const ID = 'a'.repeat(64);
const UUID = '0b7c3a6e-3f0e-4c55-9f4e-2d6f3b1a9c10';

function sampleFrames(): { header: RawHeader; body?: Buffer }[] {
  return [
    {
      header: {
        type: 'hello',
        v: 1,
        id: ID,
        name: '小明的电脑',
        platform: 'win32',
        port: 47820,
        caps: ['chat/1'],
        purpose: 'control',
      },
    },
    { header: { type: 'message', id: UUID, sentAt: 1_700_000_000_000 }, body: Buffer.from('你好, 世界 👋') },
    { header: { type: 'ack', id: UUID } },
    { header: { type: 'ping', ts: 5 } },
    { header: { type: 'message', id: UUID, sentAt: 1, replyTo: UUID }, body: Buffer.alloc(3000, 0x61) },
    { header: { type: 'read', ids: [UUID] } },
  ];
}

function decodeAll(chunks: Buffer[]): DecodedFrame<ControlHeader>[] {
  const decoder = new FrameDecoder(controlFrames);
  return chunks.flatMap((c) => decoder.push(c));
}

function normalise(frames: DecodedFrame<ControlHeader>[]) {
  return frames.map((f) => ({ type: f.header.type, body: f.body?.toString('hex') ?? null }));
}

describe('frame codec', () => {
  const frames = sampleFrames();
  const stream = Buffer.concat(frames.map((f) => encodeFrame(f.header, f.body)));
  const expected = normalise(decodeAll([stream]));

  it('decodes a whole stream in one read', () => {
    expect(expected.map((f) => f.type)).toEqual(['hello', 'message', 'ack', 'ping', 'message', 'read']);
    expect(Buffer.from(expected[1]!.body!, 'hex').toString()).toBe('你好, 世界 👋');
  });

  it('parses the stream split at every byte offset', () => {
    for (let offset = 0; offset <= stream.length; offset++) {
      const got = decodeAll([stream.subarray(0, offset), stream.subarray(offset)]);
      expect(normalise(got)).toEqual(expected);
    }
  });

  it('parses the stream fed one byte at a time', () => {
    const bytes = [...stream].map((b) => Buffer.from([b]));
    expect(normalise(decodeAll(bytes))).toEqual(expected);
  });

  it('parses random coalescing and splitting of reads', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 60 }), (sizes) => {
        const chunks: Buffer[] = [];
        let at = 0;
        for (let i = 0; at < stream.length; i++) {
          const size = sizes[i % sizes.length]!;
          chunks.push(stream.subarray(at, at + size));
          at += size;
        }
        expect(normalise(decodeAll(chunks))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips random frames (property)', () => {
    const frameArb = fc.record({
      text: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 }),
      sentAt: fc.nat(),
      replyTo: fc.option(fc.uuid({ version: 4 }), { nil: undefined }),
      id: fc.uuid({ version: 4 }),
    });
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 64 }), (msgs, cut) => {
        const encoded = Buffer.concat(
          msgs.map((m) =>
            encodeFrame({ type: 'message', id: m.id, sentAt: m.sentAt, replyTo: m.replyTo }, Buffer.from(m.text)),
          ),
        );
        const chunks: Buffer[] = [];
        for (let i = 0; i < encoded.length; i += cut) chunks.push(encoded.subarray(i, i + cut));
        const decoded = decodeAll(chunks);
        expect(decoded).toHaveLength(msgs.length);
        decoded.forEach((f, i) => {
          expect(f.header).toMatchObject({ type: 'message', id: msgs[i]!.id, sentAt: msgs[i]!.sentAt });
          expect(f.body!.toString()).toBe(msgs[i]!.text);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('writes the worked example from docs/PROTOCOL.md byte for byte', () => {
    const bytes = encodeFrame({ type: 'ack', id: UUID });
    const json = `{"type":"ack","id":"${UUID}"}`;
    expect(bytes.readUInt32BE(0)).toBe(json.length);
    expect(bytes.subarray(0, 4).toString('hex')).toBe('0000003a');
    expect(bytes.subarray(4).toString()).toBe(json);
    const withBody = encodeFrame({ type: 'message', id: UUID, sentAt: 1 }, Buffer.from('hi'));
    expect(withBody.subarray(-2).toString()).toBe('hi');
    expect(JSON.parse(withBody.subarray(4, -2).toString())).toMatchObject({ bodyLength: 2 });
  });
});

describe('frame codec limits and bad input', () => {
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(FerryError);
      return (err as FerryError).code;
    }
    return 'no error';
  };
  const prefix = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const raw = (json: string) => Buffer.concat([prefix(Buffer.byteLength(json)), Buffer.from(json)]);

  it('refuses a header length of 0xFFFFFFFF without buffering it', () => {
    const decoder = new FrameDecoder(controlFrames);
    expect(code(() => decoder.push(prefix(0xffffffff)))).toBe('FRAME_TOO_LARGE');
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('refuses a header one byte over the limit, and stays failed', () => {
    const decoder = new FrameDecoder(controlFrames);
    expect(code(() => decoder.push(prefix(LIMITS.headerBytes + 1)))).toBe('FRAME_TOO_LARGE');
    expect(code(() => decoder.push(raw('{"type":"ping"}')))).toBe('FRAME_TOO_LARGE');
  });

  it('refuses a zero-length header', () => {
    expect(code(() => new FrameDecoder(controlFrames).push(prefix(0)))).toBe('BAD_FRAME');
  });

  it.each([
    ['not JSON', 'hello there', 'BAD_FRAME'],
    ['a JSON array', '[1,2]', 'BAD_FRAME'],
    ['no type', '{"id":1}', 'BAD_FRAME'],
    ['an unknown type', '{"type":"exec","cmd":"rm -rf /"}', 'UNKNOWN_FRAME'],
    ['a prototype key as type', '{"type":"constructor"}', 'UNKNOWN_FRAME'],
    ['a negative body length', '{"type":"ping","bodyLength":-1}', 'BAD_FRAME'],
    ['a body on a type that has none', '{"type":"ping","bodyLength":10}', 'FRAME_TOO_LARGE'],
    [
      'a chat body over 64 KiB',
      `{"type":"message","id":"${UUID}","sentAt":1,"bodyLength":${64 * 1024 + 1}}`,
      'FRAME_TOO_LARGE',
    ],
    ['a message without its text', `{"type":"message","id":"${UUID}","sentAt":1}`, 'BAD_FRAME'],
    [
      'a hello with a bad id',
      '{"type":"hello","v":1,"id":"../../etc","name":"x","platform":"x","port":1,"caps":[]}',
      'BAD_FRAME',
    ],
    [
      'a hello with a 300-byte name',
      `{"type":"hello","v":1,"id":"${ID}","name":"${'名'.repeat(100)}","platform":"x","port":1,"caps":[]}`,
      'BAD_FRAME',
    ],
  ])('refuses %s', (_label, json, expected) => {
    expect(code(() => new FrameDecoder(controlFrames).push(raw(json)))).toBe(expected);
  });

  it('treats bytes beyond the declared body as the next frame, and refuses them when they are not one', () => {
    const frame = encodeFrame({ type: 'message', id: UUID, sentAt: 1 }, Buffer.from('abc'));
    const decoder = new FrameDecoder(controlFrames);
    const extra = Buffer.from('trailing garbage that is not a frame');
    // "trai" read as a header length is 0x74726169 bytes: far over the 64 KiB limit.
    const { frames, error } = decoder.decode(Buffer.concat([frame, extra]));
    expect(frames.map((f) => [f.header.type, f.body?.toString()])).toEqual([['message', 'abc']]);
    expect(error?.code).toBe('FRAME_TOO_LARGE');
  });

  it('refuses to encode a header over the limit', () => {
    expect(code(() => encodeFrame({ type: 'error', code: 'X', message: 'x'.repeat(LIMITS.headerBytes) }))).toBe(
      'FRAME_TOO_LARGE',
    );
  });
});
