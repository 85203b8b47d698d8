import { describe, expect, it } from 'vitest';
import { encodeDirHeader, MAX_DIR_HEADER, readDirStream, type DirStreamLimits } from './ipmsg-dir-stream';

const LIMITS: DirStreamLimits = { maxDepth: 8, maxEntries: 100, maxBytes: 1_000_000 };
const DIR = 2;
const FILE = 1;
const UP = 3;
const h = (name: string, size: number, attr: number) => encodeDirHeader(Buffer.from(name), size, attr, 0x6b049ae7);

async function* chunks(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

/** Reads a stream to the end: items, with each file's bytes as text. */
async function read(data: Buffer, chunkSize = 7, limits = LIMITS): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const item of readDirStream(chunks(data, chunkSize), (b) => b.toString('utf8'), limits)) {
    if (item.kind !== 'file') {
      out.push(item);
      continue;
    }
    const parts: Buffer[] = [];
    for await (const c of item.bytes) parts.push(c);
    out.push({ kind: 'file', name: item.name, size: item.size, text: Buffer.concat(parts).toString() });
  }
  return out;
}

async function failure(data: Buffer, limits = LIMITS): Promise<{ code: string; message: string }> {
  try {
    await read(data, 5, limits);
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error('the stream was taken');
}

/** top/ { sub/ { b.bin }, top.txt } — the shape iptux sends. */
const tree = Buffer.concat([
  h('top', 0, DIR),
  h('sub', 0, DIR),
  h('b.bin', 2, FILE),
  Buffer.from('BB'),
  h('.', 0, UP),
  h('top.txt', 5, FILE),
  Buffer.from('hello'),
  h('.', 0, UP),
]);

describe('encodeDirHeader', () => {
  it('writes the bytes iptux writes: the whole length in 4 hex digits, then name, size, attribute, times', () => {
    expect(encodeDirHeader(Buffer.from('dir'), 0, DIR, 0x6b049ae7).toString('latin1')).toBe(
      '0025:dir:0:2:14=6b049ae7:16=6b049ae7:',
    );
    expect(encodeDirHeader(Buffer.from('a:b'), 17, FILE, 0).toString('latin1')).toBe('0019:a::b:11:1:14=0:16=0:');
  });

  it('refuses a name too long for a header', () => {
    expect(() => encodeDirHeader(Buffer.alloc(0x10000, 0x61), 0, FILE, 0)).toThrow(
      expect.objectContaining({ code: 'NAME_REJECTED' }),
    );
  });
});

describe('readDirStream', () => {
  it('reads the folders and files inside the top folder, in order, and stops when it is left', async () => {
    const expected = [
      { kind: 'dir', name: 'sub' },
      { kind: 'file', name: 'b.bin', size: 2, text: 'BB' },
      { kind: 'up' },
      { kind: 'file', name: 'top.txt', size: 5, text: 'hello' },
    ];
    expect(await read(tree)).toEqual(expected);
    expect(await read(tree, 1)).toEqual(expected); // one byte at a time
    expect(await read(Buffer.concat([tree, Buffer.from('trailing junk is never read')]))).toEqual(expected);
  });

  it("reads iptux's own header (9-digit padded size) and '::' inside a name", async () => {
    const iptux = Buffer.from('002d:dir:000000000:2:14=6b049ae7:16=6b049ae7:', 'latin1');
    const file = Buffer.from('0016:a::b:000000001:1:', 'latin1');
    const items = await read(Buffer.concat([iptux, file, Buffer.from('x'), h('.', 0, UP)]));
    expect(items).toEqual([{ kind: 'file', name: 'a:b', size: 1, text: 'x' }]);
  });

  it('a file the receiver stops reading is skipped, and the stream goes on', async () => {
    const names: string[] = [];
    for await (const item of readDirStream(chunks(tree, 3), (b) => b.toString(), LIMITS)) {
      if (item.kind === 'file') names.push(item.name); // bytes never read
    }
    expect(names).toEqual(['b.bin', 'top.txt']);
  });

  it('a file that ends short is SIZE_MISMATCH', async () => {
    const short = Buffer.concat([h('top', 0, DIR), h('f', 10, FILE), Buffer.from('abc')]);
    expect(await failure(short)).toMatchObject({
      code: 'SIZE_MISMATCH',
      message: 'f: the folder stream ended 7 bytes short of the 10 it announced; not saved',
    });
  });

  it.each([
    ['a header length that is not hex', Buffer.from('zz12:top:0:2:'), 'a header length that is not 4 hex digits'],
    [
      'a header over 512 bytes',
      Buffer.from(`${(MAX_DIR_HEADER + 1).toString(16).padStart(4, '0')}:x:0:2:`),
      'a header of 513 bytes (at most 512)',
    ],
    ['a header too short', Buffer.from('000a:x:0:2:'), 'a header too short to hold its fields'],
    ['an end inside a header', Buffer.from('0029:dir:0:2:'), 'it ended inside a header'],
    ['an end inside the top folder', h('top', 0, DIR), 'it ended inside a folder'],
    ['a first item that is a file', h('f', 0, FILE), 'it does not start with a folder'],
    ['a symbolic link', Buffer.concat([h('top', 0, DIR), h('link', 0, 4)]), 'an entry of kind 4'],
    [
      'a size that is not hex',
      Buffer.concat([h('top', 0, DIR), Buffer.from('0011:f:zz:1:14=0:')]),
      'a size or attribute that is not hex',
    ],
    [
      'an extension that is not hex',
      Buffer.concat([h('top', 0, DIR), Buffer.from('0011:f:1:1:14=zz:')]),
      'an extended attribute that is not hex',
    ],
    ['an empty name', Buffer.concat([h('top', 0, DIR), Buffer.from('000f::1:1:14=0:')]), 'an empty name'],
    [
      'a header not ending in a colon',
      Buffer.concat([h('top', 0, DIR), Buffer.from('000f:f:1:1:14=0')]),
      'a header not framed by colons',
    ],
    [
      'a size beyond 2^53',
      Buffer.concat([h('top', 0, DIR), Buffer.from('001a:f:ffffffffffffffff:1:')]),
      'a size out of range',
    ],
  ])('refuses %s (BAD_FRAME)', async (_what, data, message) => {
    const err = await failure(data);
    expect(err.code).toBe('BAD_FRAME');
    expect(err.message).toContain(message);
  });

  it('holds the caps on entries, depth and bytes (the limit itself is allowed)', async () => {
    const files = (n: number) =>
      Buffer.concat([h('top', 0, DIR), ...Array.from({ length: n }, (_, i) => h(`f${i}`, 0, FILE)), h('.', 0, UP)]);
    expect(await read(files(2), 7, { ...LIMITS, maxEntries: 3 })).toHaveLength(2); // the top folder counts
    expect((await failure(files(3), { ...LIMITS, maxEntries: 3 })).message).toContain('more than 3 files and folders');

    const nested = (n: number) =>
      Buffer.concat([
        ...Array.from({ length: n }, (_, i) => h(`d${i}`, 0, DIR)),
        ...Array.from({ length: n }, () => h('.', 0, UP)),
      ]);
    expect(await read(nested(3), 7, { ...LIMITS, maxDepth: 3 })).toHaveLength(4);
    expect((await failure(nested(4), { ...LIMITS, maxDepth: 3 })).message).toContain('folders nested deeper than 3');

    const bytes = (n: number) =>
      Buffer.concat([h('top', 0, DIR), h('f', n, FILE), Buffer.alloc(n, 0x61), h('.', 0, UP)]);
    expect(await read(bytes(10), 7, { ...LIMITS, maxBytes: 10 })).toHaveLength(1);
    expect((await failure(bytes(11), { ...LIMITS, maxBytes: 10 })).message).toContain('more than 10 bytes in all');
  });
});
