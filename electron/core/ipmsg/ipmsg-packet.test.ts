import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeAttachments,
  encodePacket,
  has,
  IpmsgFormatError,
  MAX_DATAGRAM,
  MODE,
  modeOf,
  OPT,
  parseAttachments,
  parsePacket,
} from './ipmsg-packet';

const bytes = (s: string) => Buffer.from(s, 'latin1');

describe('parsePacket: bytes seen on the wire (NOTES §2.3–2.5)', () => {
  it("iptux's BR_ENTRY: version, number, names, command, nick and the three extension sections", () => {
    const p = parsePacket(bytes('1_iptux 0.8.3:1:root:vm:257:iptux-peer\0QA\0icon-tux.png\0utf-8\0'));
    expect(p.version).toBe('1_iptux 0.8.3');
    expect(p.packetNo).toBe(1);
    expect(p.user.toString()).toBe('root');
    expect(p.host.toString()).toBe('vm');
    expect(p.command).toBe(0x101);
    expect(modeOf(p.command)).toBe(MODE.BR_ENTRY);
    expect(has(p.command, OPT.ABSENCE)).toBe(true);
    expect(p.extra.toString()).toBe('iptux-peer');
    expect(p.sections.map(String)).toEqual(['QA', 'icon-tux.png', 'utf-8']);
  });

  it("iptux's receipt: RECVMSG|SENDCHECKOPT with the acknowledged number as the extra", () => {
    const p = parsePacket(bytes('1_iptux 0.8.3:3:root:vm:289:1795463869\0'));
    expect(modeOf(p.command)).toBe(MODE.RECVMSG);
    expect(has(p.command, OPT.SENDCHECK)).toBe(true);
    expect(p.extra.toString()).toBe('1795463869');
    expect(p.sections).toEqual([]);
  });

  it('a BR_EXIT with an empty extra, and a packet with no NUL at all', () => {
    expect(parsePacket(bytes('1_iptux 0.8.3:8:root:vm:65538:\0'))).toMatchObject({ command: 0x10002, sections: [] });
    expect(parsePacket(bytes('1:9:u:h:1:nick')).extra.toString()).toBe('nick');
    // The last section needs no closing NUL.
    expect(parsePacket(bytes('1:9:u:h:1:nick\0group')).sections.map(String)).toEqual(['group']);
    const bare = parsePacket(bytes('1:9:u:h:2:'));
    expect(bare.extra.length).toBe(0);
    expect(bare.sections).toEqual([]);
  });

  it('has(): an option is there only when all its bits are; no option is never "there"', () => {
    expect(has(0x120, OPT.SENDCHECK)).toBe(true);
    expect(has(0x20, OPT.SENDCHECK)).toBe(false);
    expect(has(0x120, OPT.SENDCHECK | OPT.SECRET)).toBe(false);
    expect(has(0x120, 0)).toBe(false);
  });

  it('limits are inclusive: 8192 bytes, a 64-character version, 256-byte names, 16 sections pass', () => {
    const head = bytes('1:2:u:h:32:');
    expect(parsePacket(Buffer.concat([head, Buffer.alloc(MAX_DATAGRAM - head.length, 0x61)])).extra.length).toBe(
      MAX_DATAGRAM - head.length,
    );
    expect(parsePacket(bytes(`${'1'.repeat(64)}:2:u:h:32:x\0`)).version).toHaveLength(64);
    expect(parsePacket(bytes(`1:2:${'u'.repeat(256)}:${'h'.repeat(256)}:32:x\0`)).user.length).toBe(256);
    expect(parsePacket(bytes(`1:2:u:h:1:n${'\0s'.repeat(16)}\0`)).sections).toHaveLength(16);
  });

  it('only the first five colons split: the text keeps its colons', () => {
    expect(parsePacket(bytes('1:5:u:h:32:time: 12:30\0')).extra.toString()).toBe('time: 12:30');
  });

  it("FeiQ's version field, with its MAC between #", () => {
    expect(parsePacket(bytes('1_lbt6_0#128#00E04C123456#0#0#0#4001#9:7:u:h:32:hi\0')).version).toBe(
      '1_lbt6_0#128#00E04C123456#0#0#0#4001#9',
    );
  });

  it('GBK names and text stay bytes (no 0x3a is ever a GBK trail byte)', () => {
    const gbkNick = Buffer.from([0xb7, 0xc9, 0xc7, 0xef]); // 飞秋
    const p = parsePacket(Buffer.concat([bytes('1:1:'), gbkNick, bytes(':h:1:'), gbkNick, bytes('\0')]));
    expect(p.user.equals(gbkNick)).toBe(true);
    expect(p.extra.equals(gbkNick)).toBe(true);
  });

  it.each([
    ['fewer than six fields', '1:2:u:h:32', /fewer than 6 fields/],
    ['a packet number that is not decimal', '1:x2:u:h:32:hi\0', /bad packet number "x2"/],
    ['an empty packet number', '1::u:h:32:hi\0', /bad packet number ""/],
    ['a command over 32 bits', '1:2:u:h:4294967296:hi\0', /command out of range/],
    ['a negative command', '1:2:u:h:-1:hi\0', /bad command "-1"/],
    ['an empty version', ':2:u:h:32:hi\0', /bad version field/],
    ['a version ending in a control character', '1\x07:2:u:h:32:hi\0', /bad version field/],
    ['a version starting with a control character', '\x071:2:u:h:32:hi\0', /bad version field/],
    ['a version longer than 64', `${'1'.repeat(65)}:2:u:h:32:hi\0`, /bad version field/],
    ['17 sections', `1:2:u:h:1:n${'\0s'.repeat(17)}\0`, /too many sections/],
    ['many more sections', `1:2:u:h:1:n${'\0s'.repeat(40)}\0`, /too many sections/],
  ])('refuses %s', (_what, text, message) => {
    expect(() => parsePacket(bytes(text))).toThrow(IpmsgFormatError);
    expect(() => parsePacket(bytes(text))).toThrow(message);
  });

  it('refuses a datagram over 8192 bytes and a user or host name over 256', () => {
    const head = bytes('1:2:u:h:32:');
    expect(() => parsePacket(Buffer.concat([head, Buffer.alloc(MAX_DATAGRAM - head.length + 1)]))).toThrow(
      'datagram of 8193 bytes (limit 8192)',
    );
    expect(() => parsePacket(bytes(`1:2:${'u'.repeat(257)}:h:32:x\0`))).toThrow('user or host name too long');
    expect(() => parsePacket(bytes(`1:2:u:${'h'.repeat(257)}:32:x\0`))).toThrow('user or host name too long');
    const err = (() => {
      try {
        parsePacket(bytes('nope'));
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err?.name).toBe('IpmsgFormatError');
    expect(() => parsePacket(bytes(`1:${'9'.repeat(30)}:u:h:32:x\0`))).toThrow(`bad packet number "${'9'.repeat(24)}"`);
  });
});

describe('encodePacket', () => {
  it("builds the bytes iptux accepted from Ferry's probe", () => {
    const datagram = encodePacket({
      version: '1',
      packetNo: 1795463869,
      user: bytes('ferry'),
      host: bytes('ferryhost'),
      command: 0x800120,
      extra: Buffer.from('hello from ferry 你好'),
    });
    expect(datagram.equals(Buffer.from('1:1795463869:ferry:ferryhost:8388896:hello from ferry 你好\0'))).toBe(true);
  });

  it('puts sections after NULs and turns colons in names into semicolons', () => {
    const datagram = encodePacket({
      version: '1',
      packetNo: 2,
      user: bytes('a:b'),
      host: bytes('c:d'),
      command: MODE.BR_ENTRY,
      extra: bytes('nick'),
      sections: [bytes('group'), Buffer.alloc(0), bytes('utf-8')],
    });
    expect(datagram.toString('latin1')).toBe('1:2:a;b:c;d:1:nick\0group\0\0utf-8\0');
  });

  it('builds up to 8192 bytes and refuses one byte more', () => {
    const fits = (n: number) =>
      encodePacket({
        version: '1',
        packetNo: 1,
        user: bytes('u'),
        host: bytes('h'),
        command: 32,
        extra: Buffer.alloc(n, 0x61),
      });
    const overhead = fits(0).length;
    expect(fits(MAX_DATAGRAM - overhead).length).toBe(MAX_DATAGRAM);
    expect(() => fits(MAX_DATAGRAM - overhead + 1)).toThrow(`packet of ${MAX_DATAGRAM + 1} bytes exceeds 8192`);
  });

  it('refuses to build a datagram over 8192 bytes', () => {
    expect(() =>
      encodePacket({
        version: '1',
        packetNo: 1,
        user: bytes('u'),
        host: bytes('h'),
        command: 32,
        extra: Buffer.alloc(8200, 0x61),
      }),
    ).toThrow(IpmsgFormatError);
  });

  it('round-trips any fields (property)', () => {
    const noColonNul = fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a.filter((b) => b !== 0x3a && b !== 0)));
    const noNul = fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a.filter((b) => b !== 0)));
    fc.assert(
      fc.property(
        fc.stringMatching(/^[\x20-\x39\x3b-\x7e]{1,20}$/),
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        noColonNul,
        noColonNul,
        fc.nat({ max: 0xffffffff }),
        noNul,
        fc.array(
          noNul.filter((b) => b.length > 0),
          { maxLength: 5 },
        ),
        (version, packetNo, user, host, command, extra, sections) => {
          const p = parsePacket(encodePacket({ version, packetNo, user, host, command, extra, sections }));
          expect(p).toEqual({ version, packetNo, user, host, command, extra, sections });
        },
      ),
    );
  });
});

describe('parsePacket on hostile input (property)', () => {
  it('anything at all either parses or is an IpmsgFormatError; never another exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 9000 }), (raw) => {
        try {
          parsePacket(Buffer.from(raw));
        } catch (err) {
          expect(err).toBeInstanceOf(IpmsgFormatError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('near-valid packets (a valid head, random tail) never throw anything else either', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.constantFrom('1:1:u:h:', '1:1:u:h:32:', '1:1:u:h:2097184:x\0'),
        (tail, head) => {
          try {
            const p = parsePacket(Buffer.concat([bytes(head), Buffer.from(tail)]));
            for (const s of p.sections) if (s.length) parseAttachments(s);
          } catch (err) {
            expect(err).toBeInstanceOf(IpmsgFormatError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('attachments', () => {
  it("iptux's offers: a file and a folder (decimal id, hex size, time and attribute)", () => {
    expect(parseAttachments(bytes('20000:bot_file.txt:17:6b049b36:1:\x07'))).toEqual([
      { fileId: 20000, name: bytes('bot_file.txt'), size: 0x17, mtime: 0x6b049b36, attr: 1 },
    ]);
    expect(parseAttachments(bytes('20001:botdir:0:6b049b36:2:\x07'))[0]).toMatchObject({ fileId: 20001, attr: 2 });
  });

  it("the shared-files list: several entries, ':' after the BEL, extended attributes ignored", () => {
    const entries = parseAttachments(bytes('1:hello.txt:b:0:1:14=6b049ae7:\x07:2:dir:3:0:2:\x07'));
    expect(entries.map((e) => [e.fileId, e.name.toString(), e.size, e.attr])).toEqual([
      [1, 'hello.txt', 11, 1],
      [2, 'dir', 3, 2],
    ]);
  });

  it("'::' is a colon inside a name, and encoding doubles it back", () => {
    const [entry] = parseAttachments(bytes('0:a::b.txt:5:0:1:\x07'));
    expect(entry!.name.toString()).toBe('a:b.txt');
    expect(encodeAttachments([entry!]).toString('latin1')).toBe('0:a::b.txt:5:0:1:\x07');
  });

  it('an entry without its closing colon still has all five fields', () => {
    expect(parseAttachments(bytes('3:last.bin:a:0:1'))).toEqual([
      { fileId: 3, name: bytes('last.bin'), size: 10, mtime: 0, attr: 1 },
    ]);
  });

  it.each([
    ['fewer than five fields', '0:name:5:\x07', 'attachment entry with fewer than 5 fields'],
    ['a hex file id', '0x1:name:5:0:1:\x07', 'bad file id "0x1"'],
    ['a size that is not hex', '0:name:zz:0:1:\x07', 'bad file size "zz"'],
    ['a size with junk after it', '0:name:5zz:0:1:\x07', 'bad file size "5zz"'],
    ['a size with junk before it', '0:name:zz5:0:1:\x07', 'bad file size "zz5"'],
    ['a time that is not hex', '0:name:5:t:1:\x07', 'bad file time "t"'],
    ['an attribute that is not hex', '0:name:5:0:x:\x07', 'bad file attribute "x"'],
    ['a file id over 32 bits', '4294967296:name:5:0:1:\x07', 'file id out of range'],
    ['an attribute over 32 bits', '0:name:5:0:100000000:\x07', 'file attribute out of range'],
    ['an empty name', '0::5:0:1:\x07', 'attachment without a name'],
  ])('refuses %s', (_what, text, message) => {
    expect(() => parseAttachments(bytes(text))).toThrow(IpmsgFormatError);
    expect(() => parseAttachments(bytes(text))).toThrow(message);
  });

  it('names keep their bytes (GBK) through encoding and parsing', () => {
    const gbk = Buffer.from([0xb1, 0xa8, 0xb8, 0xe6, 0x3a, 0x31]); // 报告:1
    const [entry] = parseAttachments(encodeAttachments([{ fileId: 0, name: gbk, size: 1, mtime: 0, attr: 1 }]));
    expect(entry!.name.equals(gbk)).toBe(true);
  });

  it('quotes at most 24 characters of a bad field', () => {
    expect(() => parseAttachments(bytes(`0:n:${'z'.repeat(40)}:0:1:`))).toThrow(`bad file size "${'z'.repeat(24)}"`);
  });

  it('takes the largest values that fit', () => {
    expect(parseAttachments(bytes('4294967295:n:1fffffffffffff:ffffffffff:ffffffff:'))[0]).toMatchObject({
      fileId: 0xffffffff,
      size: Number.MAX_SAFE_INTEGER,
      mtime: 0xffffffffff,
      attr: 0xffffffff,
    });
  });

  it('refuses more than 256 entries in one offer', () => {
    const many = Array.from({ length: 257 }, (_, i) => `${i}:f${i}:1:0:1:\x07`).join('');
    expect(() => parseAttachments(bytes(many))).toThrow(/256/);
  });
});
