import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../../shared/limits';
import { FerryError } from '../ferry-error';
import { encodeFrame, FrameDecoder, type DecodedFrame, type FrameRegistry, type RawHeader } from './frame-codec';
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

/** Built inside each test, not while the file loads, so a broken codec fails tests instead of collection. */
function sampleStream() {
  const stream = Buffer.concat(sampleFrames().map((f) => encodeFrame(f.header, f.body)));
  return { stream, expected: normalise(decodeAll([stream])) };
}

describe('frame codec', () => {
  it('decodes a whole stream in one read', () => {
    const { expected } = sampleStream();
    expect(expected.map((f) => f.type)).toEqual(['hello', 'message', 'ack', 'ping', 'message', 'read']);
    expect(Buffer.from(expected[1]!.body!, 'hex').toString()).toBe('你好, 世界 👋');
  });

  it('parses the stream split at every byte offset', () => {
    const { stream, expected } = sampleStream();
    for (let offset = 0; offset <= stream.length; offset++) {
      const got = decodeAll([stream.subarray(0, offset), stream.subarray(offset)]);
      expect(normalise(got)).toEqual(expected);
    }
  });

  it('parses the stream fed one byte at a time', () => {
    const { stream, expected } = sampleStream();
    const bytes = [...stream].map((b) => Buffer.from([b]));
    expect(normalise(decodeAll(bytes))).toEqual(expected);
  });

  it('parses random coalescing and splitting of reads', () => {
    const { stream, expected } = sampleStream();
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

/** A registry for any type name: parse is the function given, bodies up to 100 bytes. */
function anyType(parse: (h: unknown) => RawHeader = (h) => h as RawHeader, maxBody = 100): FrameRegistry<RawHeader> {
  return () => ({ parse, maxBody });
}

function frameOf(json: string, body = Buffer.alloc(0)): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(Buffer.byteLength(json));
  return Buffer.concat([prefix, Buffer.from(json), body]);
}

/** The FerryError a push throws. */
function pushError(decoder: FrameDecoder<RawHeader>, bytes: Buffer): FerryError {
  try {
    decoder.push(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(FerryError);
    return err as FerryError;
  }
  throw new Error('expected the decoder to refuse the input');
}

describe('frame codec: what each refusal says', () => {
  it.each([
    ['a zero header length', frameOf(''), 'BAD_FRAME', 'header length is 0'],
    [
      'a header length over the limit',
      Buffer.from([0, 1, 0, 1]),
      'FRAME_TOO_LARGE',
      `header length 65537 is over the 65536 byte limit`,
    ],
    ['a header that is not JSON', frameOf('{nope'), 'BAD_FRAME', 'header is not valid JSON'],
    ['a number', frameOf('5'), 'BAD_FRAME', 'header is not a JSON object'],
    ['null', frameOf('null'), 'BAD_FRAME', 'header is not a JSON object'],
    ['an array', frameOf('[]'), 'BAD_FRAME', 'header is not a JSON object'],
    ['a string', frameOf('"ping"'), 'BAD_FRAME', 'header is not a JSON object'],
    ['a numeric type', frameOf('{"type":7}'), 'BAD_FRAME', 'header has no "type"'],
    [
      'a string bodyLength',
      frameOf('{"type":"t","bodyLength":"5"}'),
      'BAD_FRAME',
      '"t" frame has an invalid bodyLength',
    ],
    [
      'a fractional bodyLength',
      frameOf('{"type":"t","bodyLength":1.5}'),
      'BAD_FRAME',
      '"t" frame has an invalid bodyLength',
    ],
    [
      'a negative bodyLength',
      frameOf('{"type":"t","bodyLength":-1}'),
      'BAD_FRAME',
      '"t" frame has an invalid bodyLength',
    ],
    [
      'an unsafe bodyLength',
      frameOf('{"type":"t","bodyLength":9007199254740993}'),
      'BAD_FRAME',
      '"t" frame has an invalid bodyLength',
    ],
    [
      'a body over the type limit',
      frameOf('{"type":"t","bodyLength":101}'),
      'FRAME_TOO_LARGE',
      '"t" frame declares a 101 byte body; the limit is 100',
    ],
  ])('%s', (_label, bytes, code, message) => {
    const err = pushError(new FrameDecoder(anyType()), bytes);
    expect({ code: err.code, message: err.message }).toEqual({ code, message });
  });

  it('accepts a body of exactly the type limit', () => {
    const frames = new FrameDecoder(anyType()).push(frameOf('{"type":"t","bodyLength":100}', Buffer.alloc(100, 7)));
    expect(frames).toHaveLength(1);
    expect(frames[0]!.body).toEqual(Buffer.alloc(100, 7));
  });

  it('names an unknown type, cut to 40 characters', () => {
    const long = 'x'.repeat(100);
    const err = pushError(new FrameDecoder(() => undefined), frameOf(`{"type":"${long}"}`));
    expect({ code: err.code, message: err.message }).toEqual({
      code: 'UNKNOWN_FRAME',
      message: `unknown frame type "${'x'.repeat(40)}"`,
    });
  });

  it('turns a registry that throws into BAD_FRAME', () => {
    const err = pushError(
      new FrameDecoder(() => {
        throw new Error('registry broke');
      }),
      frameOf('{"type":"t"}'),
    );
    expect({ code: err.code, message: err.message }).toEqual({ code: 'BAD_FRAME', message: 'registry broke' });
  });

  it.each([
    [
      'schema issues, at most three, with their paths',
      {
        issues: [
          { path: ['id'], message: 'required' },
          { path: ['files', 0, 'name'], message: 'too long' },
          { path: [], message: 'unknown key' },
          { path: ['fourth'], message: 'not shown' },
        ],
      },
      '"t" frame is malformed: id: required; files.0.name: too long; header: unknown key',
    ],
    ['an issue without a path', { issues: [{ message: 'bad' }] }, '"t" frame is malformed: header: bad'],
    ['a plain error', new Error('plain'), '"t" frame is malformed: plain'],
    ['an error with non-list issues', Object.assign(new Error('odd'), { issues: 'x' }), '"t" frame is malformed: odd'],
    ['a thrown string', 'just a string', '"t" frame is malformed: just a string'],
    ['a thrown null', null, '"t" frame is malformed: null'],
  ])('explains a header its type refuses: %s', (_label, thrown, message) => {
    const decoder = new FrameDecoder(
      anyType(() => {
        throw thrown;
      }),
    );
    const err = pushError(decoder, frameOf('{"type":"t"}'));
    expect({ code: err.code, message: err.message }).toEqual({ code: 'BAD_FRAME', message });
  });

  it('explains a real schema refusal with the field', () => {
    const err = pushError(
      new FrameDecoder(controlFrames) as unknown as FrameDecoder<RawHeader>,
      frameOf('{"type":"ack","id":42}'),
    );
    expect(err.code).toBe('BAD_FRAME');
    expect(err.message).toMatch(/^"ack" frame is malformed: id: /);
  });

  it('stays failed with the same error, drops what it held, and decodes nothing more', () => {
    const decoder = new FrameDecoder(anyType());
    const first = pushError(decoder, Buffer.concat([frameOf('[]'), frameOf('{"type":"t"}')]));
    const good = frameOf('{"type":"t"}');
    expect(decoder.decode(good)).toEqual({ frames: [], error: first });
    expect(decoder.bufferedBytes).toBe(0);
    expect(decoder.takeBuffered()).toEqual(Buffer.alloc(0));
    expect(pushError(decoder, good)).toBe(first);
  });

  it('hands back the good frames that came before a violation', () => {
    const decoder = new FrameDecoder(anyType());
    const { frames, error } = decoder.decode(
      Buffer.concat([frameOf('{"type":"a"}'), frameOf('{"type":"b"}'), frameOf('5')]),
    );
    expect(frames.map((f) => f.header.type)).toEqual(['a', 'b']);
    expect(error).toMatchObject({ code: 'BAD_FRAME', message: 'header is not a JSON object' });
  });
});

describe('frame codec: header size limit, both directions', () => {
  /** A JSON header of exactly `bytes` bytes. */
  const headerOf = (bytes: number) => {
    const json = `{"type":"t","pad":"${'p'.repeat(bytes - '{"type":"t","pad":""}'.length)}"}`;
    expect(Buffer.byteLength(json)).toBe(bytes);
    return json;
  };

  it('encodes and decodes a header of exactly the limit', () => {
    const json = headerOf(LIMITS.headerBytes);
    const bytes = encodeFrame(JSON.parse(json) as RawHeader);
    expect(bytes.readUInt32BE(0)).toBe(LIMITS.headerBytes);
    expect(new FrameDecoder(anyType()).push(bytes)).toHaveLength(1);
  });

  it('refuses one byte more, saying how big it was', () => {
    const json = headerOf(LIMITS.headerBytes + 1);
    const encodeErr = (() => {
      try {
        encodeFrame(JSON.parse(json) as RawHeader);
      } catch (err) {
        return err as FerryError;
      }
      throw new Error('encoded an oversized header');
    })();
    expect({ code: encodeErr.code, message: encodeErr.message }).toEqual({
      code: 'FRAME_TOO_LARGE',
      message: 'header is 65537 bytes, over the 65536 byte limit',
    });
  });
});

describe('frame codec: encoding the body length', () => {
  it('drops a stale bodyLength when there is no body, and writes the real one when there is', () => {
    const headerOfFrame = (b: Buffer) => JSON.parse(b.subarray(4, 4 + b.readUInt32BE(0)).toString()) as RawHeader;
    expect(headerOfFrame(encodeFrame({ type: 'ping', bodyLength: 5 }))).toEqual({ type: 'ping' });
    expect(headerOfFrame(encodeFrame({ type: 'ping', bodyLength: 5 }, Buffer.alloc(0)))).toEqual({ type: 'ping' });
    const withBody = encodeFrame({ type: 'message', bodyLength: 99 }, Buffer.from('hi'));
    expect(headerOfFrame(withBody)).toEqual({ type: 'message', bodyLength: 2 });
    expect(withBody.subarray(-2).toString()).toBe('hi');
    const header = { type: 'ping', ts: 1 };
    expect(headerOfFrame(encodeFrame(header))).toEqual(header);
  });
});

describe('frame codec: handing over buffered bytes', () => {
  it('returns the bytes after the last whole frame and starts clean', () => {
    const decoder = new FrameDecoder(anyType());
    const frames = decoder.push(Buffer.concat([frameOf('{"type":"a"}'), Buffer.from([1, 2, 3])]));
    expect(frames.map((f) => f.header.type)).toEqual(['a']);
    expect(decoder.bufferedBytes).toBe(3);
    expect(decoder.takeBuffered()).toEqual(Buffer.from([1, 2, 3]));
    expect(decoder.bufferedBytes).toBe(0);
    expect(decoder.takeBuffered()).toEqual(Buffer.alloc(0));
    expect(decoder.push(frameOf('{"type":"b"}')).map((f) => f.header.type)).toEqual(['b']);
  });

  it('forgets a frame whose body it was still waiting for', () => {
    const decoder = new FrameDecoder(anyType());
    expect(decoder.push(frameOf('{"type":"a","bodyLength":10}', Buffer.from('abcd')))).toEqual([]);
    expect(decoder.takeBuffered()).toEqual(Buffer.from('abcd'));
    const next = decoder.push(frameOf('{"type":"b","bodyLength":2}', Buffer.from('xy')));
    expect(next).toEqual([{ header: { type: 'b', bodyLength: 2 }, body: Buffer.from('xy') }]);
  });
});
