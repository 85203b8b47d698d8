/**
 * The IP Messenger packet (FeiQ 飞秋, IP Messenger, iptux): one UDP datagram,
 * `ver:packetNo:user:host:command:extra[\0section…]`, on port 2425. Only the
 * bytes are handled here; what the text says (and in which charset) is
 * ipmsg-text.ts's business. Everything a peer sends is checked: a malformed
 * packet is an IpmsgFormatError, never a crash.
 */

/** The port is fixed by the protocol. */
export const IPMSG_PORT = 2425;
/** iptux's MAX_UDPLEN: we never send more, and refuse more. */
export const MAX_DATAGRAM = 8192;

/** Command modes (the low 8 bits of `command`). */
export const MODE = {
  NOOPERATION: 0x00,
  BR_ENTRY: 0x01,
  BR_EXIT: 0x02,
  ANSENTRY: 0x03,
  BR_ABSENCE: 0x04,
  SENDMSG: 0x20,
  RECVMSG: 0x21,
  READMSG: 0x30,
  DELMSG: 0x31,
  ANSREADMSG: 0x32,
  GETINFO: 0x40,
  SENDINFO: 0x41,
  GETABSENCEINFO: 0x50,
  SENDABSENCEINFO: 0x51,
  GETFILEDATA: 0x60,
  RELEASEFILES: 0x61,
  GETDIRFILES: 0x62,
} as const;

/** Option flags (the high 24 bits of `command`). Send options share values with entry options. */
export const OPT = {
  ABSENCE: 0x100,
  DIALUP: 0x10000,
  FILEATTACH: 0x200000,
  ENCRYPT: 0x400000,
  UTF8: 0x800000,
  CAPUTF8: 0x1000000,
  SENDCHECK: 0x100,
  SECRET: 0x200,
  BROADCAST: 0x400,
  MULTICAST: 0x800,
  AUTORET: 0x2000,
  PASSWORD: 0x8000,
  NOLOG: 0x20000,
  NOADDLIST: 0x80000,
  READCHECK: 0x100000,
} as const;

export class IpmsgFormatError extends Error {
  override readonly name = 'IpmsgFormatError';
}

export interface IpmsgPacket {
  /** `1`, `1_iptux 0.8.3`, FeiQ's `1_lbt6_0#128#<MAC>#…`: printable ASCII. */
  version: string;
  packetNo: number;
  /** Login name and host name, in the sender's charset (no `:` inside). */
  user: Buffer;
  host: Buffer;
  command: number;
  /** Up to the first NUL: message text, nickname, a packet number… */
  extra: Buffer;
  /** What follows the first NUL, split on NUL (a trailing empty one dropped). */
  sections: Buffer[];
}

export const modeOf = (command: number): number => command & 0xff;
export const has = (command: number, option: number): boolean => (command & option) === option && option !== 0;

const COLON = 0x3a;
const MAX_VERSION = 64;
const MAX_NAME_BYTES = 256;
/** More sections than any client sends (iptux: 4, IPMsg: 3). */
const MAX_SECTIONS = 16;

/**
 * Splits a datagram into its fields. Only the first five colons separate fields
 * (the extra may hold colons); a colon is never a trail byte of GBK or Shift_JIS,
 * so splitting bytes is safe before any decoding.
 */
export function parsePacket(datagram: Buffer): IpmsgPacket {
  if (datagram.length > MAX_DATAGRAM)
    throw new IpmsgFormatError(`datagram of ${datagram.length} bytes (limit ${MAX_DATAGRAM})`);
  const cuts: number[] = [];
  for (let i = 0; i < datagram.length && cuts.length < 5; i++) if (datagram[i] === COLON) cuts.push(i);
  if (cuts.length < 5) throw new IpmsgFormatError('not an IP Messenger packet (fewer than 6 fields)');
  const [c1, c2, c3, c4, c5] = cuts as [number, number, number, number, number];
  const version = datagram.subarray(0, c1).toString('latin1');
  if (!version || version.length > MAX_VERSION || !/^[\x20-\x7e]+$/.test(version))
    throw new IpmsgFormatError('bad version field');
  const packetNo = decimal(datagram.subarray(c1 + 1, c2), 'packet number', Number.MAX_SAFE_INTEGER);
  const user = datagram.subarray(c2 + 1, c3);
  const host = datagram.subarray(c3 + 1, c4);
  if (user.length > MAX_NAME_BYTES || host.length > MAX_NAME_BYTES)
    throw new IpmsgFormatError('user or host name too long');
  const command = decimal(datagram.subarray(c4 + 1, c5), 'command', 0xffffffff);
  const rest = datagram.subarray(c5 + 1);
  const parts = splitNul(rest);
  if (parts.length > 1 && parts[parts.length - 1]!.length === 0) parts.pop();
  if (parts.length - 1 > MAX_SECTIONS) throw new IpmsgFormatError('too many sections');
  return { version, packetNo, user, host, command, extra: parts[0]!, sections: parts.slice(1) };
}

function decimal(field: Buffer, what: string, max: number): number {
  const text = field.toString('latin1');
  if (!/^\d{1,20}$/.test(text)) throw new IpmsgFormatError(`bad ${what} "${text.slice(0, 24)}"`);
  const value = Number(text);
  if (value > max) throw new IpmsgFormatError(`${what} out of range`);
  return value;
}

function splitNul(buffer: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = buffer.indexOf(0); i !== -1; i = buffer.indexOf(0, start)) {
    parts.push(buffer.subarray(start, i));
    start = i + 1;
    if (parts.length > MAX_SECTIONS + 1) throw new IpmsgFormatError('too many sections');
  }
  parts.push(buffer.subarray(start));
  return parts;
}

/** Builds a datagram; user and host must hold no `:` (replaced by `;` as IP Messenger does). */
export function encodePacket(p: Omit<IpmsgPacket, 'sections'> & { sections?: Buffer[] }): Buffer {
  const head = Buffer.from(`${p.version}:${p.packetNo}:`, 'latin1');
  const noColon = (b: Buffer) => Buffer.from(b.map((byte) => (byte === COLON ? 0x3b : byte)));
  const parts: Buffer[] = [
    head,
    noColon(p.user),
    Buffer.from(':'),
    noColon(p.host),
    Buffer.from(`:${p.command >>> 0}:`, 'latin1'),
    p.extra,
    Buffer.from([0]),
  ];
  for (const section of p.sections ?? []) parts.push(section, Buffer.from([0]));
  const datagram = Buffer.concat(parts);
  if (datagram.length > MAX_DATAGRAM)
    throw new IpmsgFormatError(`packet of ${datagram.length} bytes exceeds ${MAX_DATAGRAM}`);
  return datagram;
}

/** File attributes of an attachment entry (low byte). */
export const FILE_ATTR = { REGULAR: 1, DIR: 2, RETPARENT: 3, SYMLINK: 4, CLIPBOARD: 0x20 } as const;

/** One entry of a file offer: `fileID:name:size:mtime:attr[:ext=val…]:`. */
export interface AttachmentEntry {
  fileId: number;
  /** Raw name bytes in the sender's charset, `::` already undone. */
  name: Buffer;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  attr: number;
}

/** Offers with more entries than this are refused (one datagram cannot honestly hold more). */
export const MAX_ATTACHMENTS = 256;

/**
 * The attachment list of a SENDMSG|FILEATTACHOPT (the section after the text):
 * entries separated by BEL (`\a`), each optionally preceded by `:`; fileID decimal,
 * size/mtime/attr hex, `::` is a colon inside a name.
 */
export function parseAttachments(section: Buffer): AttachmentEntry[] {
  const entries: AttachmentEntry[] = [];
  for (let raw of splitOn(section, 0x07)) {
    if (raw.length && raw[0] === COLON) raw = raw.subarray(1);
    if (raw.length === 0) continue;
    if (entries.length >= MAX_ATTACHMENTS) throw new IpmsgFormatError(`more than ${MAX_ATTACHMENTS} attachments`);
    const fields = splitFields(raw);
    if (fields.length < 5) throw new IpmsgFormatError('attachment entry with fewer than 5 fields');
    const [id, name, size, mtime, attr] = fields as [Buffer, Buffer, Buffer, Buffer, Buffer];
    if (name.length === 0) throw new IpmsgFormatError('attachment without a name');
    entries.push({
      fileId: decimal(id, 'file id', 0xffffffff),
      name,
      size: hex(size, 'file size', Number.MAX_SAFE_INTEGER),
      mtime: hex(mtime, 'file time', 0xffffffffff),
      attr: hex(attr, 'file attribute', 0xffffffff),
    });
  }
  return entries;
}

/** Builds an attachment list (names already in the peer's charset). */
export function encodeAttachments(entries: AttachmentEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const name = Buffer.from(e.name.toString('latin1').replaceAll(':', '::'), 'latin1');
    parts.push(
      Buffer.from(`${e.fileId}:`, 'latin1'),
      name,
      Buffer.from(`:${e.size.toString(16)}:${e.mtime.toString(16)}:${e.attr.toString(16)}:\x07`, 'latin1'),
    );
  }
  return Buffer.concat(parts);
}

/** Fields of one entry: split on single colons, `::` kept as a colon in the field. */
function splitFields(raw: Buffer): Buffer[] {
  const fields: Buffer[] = [];
  let current: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i]!;
    if (byte !== COLON) {
      current.push(byte);
    } else if (raw[i + 1] === COLON && fields.length === 1) {
      current.push(COLON); // only the name (field 2) escapes colons
      i++;
    } else {
      fields.push(Buffer.from(current));
      current = [];
    }
  }
  if (current.length) fields.push(Buffer.from(current));
  return fields;
}

function splitOn(buffer: Buffer, byte: number): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = buffer.indexOf(byte); i !== -1; i = buffer.indexOf(byte, start)) {
    parts.push(buffer.subarray(start, i));
    start = i + 1;
  }
  parts.push(buffer.subarray(start));
  return parts;
}

function hex(field: Buffer, what: string, max: number): number {
  const text = field.toString('latin1');
  if (!/^[0-9a-fA-F]{1,16}$/.test(text)) throw new IpmsgFormatError(`bad ${what} "${text.slice(0, 24)}"`);
  const value = parseInt(text, 16);
  if (value > max) throw new IpmsgFormatError(`${what} out of range`);
  return value;
}
