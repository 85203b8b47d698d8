/**
 * IP Messenger's folder stream (the answer to GETDIRFILES): one header per item,
 * `hhhh:name:size:attr[:ext=val…]:`, where hhhh is the header's whole length in hex
 * (itself and the final colon included), then a regular file's bytes. It starts with
 * the folder itself, and each folder ends with a RETPARENT (`.`, attr 3); the last one
 * leaves the top folder. What a peer sends is checked strictly: hex fields, a header
 * of at most 512 bytes, depth, entry and byte caps; anything else stops the stream
 * (BAD_FRAME). Names are decoded here and made safe by the receiver.
 */
import { FerryError } from '../ferry-error';
import type { FolderItem } from '../transfer/pull-source';
import { FILE_ATTR } from './ipmsg-packet';

export const MAX_DIR_HEADER = 512;

export interface DirStreamLimits {
  /** Folders inside folders (the top one counts). */
  maxDepth: number;
  /** Files and folders in the stream. */
  maxEntries: number;
  /** Bytes of all files together. */
  maxBytes: number;
}

const COLON = 0x3a;
const HEX = /^[0-9a-fA-F]{1,16}$/;
const EXT = /^[0-9a-fA-F]{1,8}=[0-9a-fA-F]{0,16}$/;

/** One header, for serving a folder (name already in the peer's charset). */
export function encodeDirHeader(name: Buffer, size: number, attr: number, mtimeSeconds: number): Buffer {
  const escaped = Buffer.from(name.toString('latin1').replaceAll(':', '::'), 'latin1');
  const time = Math.max(0, Math.floor(mtimeSeconds)).toString(16);
  const rest = Buffer.concat([
    Buffer.from(':'),
    escaped,
    Buffer.from(`:${size.toString(16)}:${attr.toString(16)}:14=${time}:16=${time}:`, 'latin1'),
  ]);
  const length = 4 + rest.length;
  if (length > 0xffff) throw new FerryError('NAME_REJECTED', 'a name is too long for an IP Messenger folder stream');
  return Buffer.concat([Buffer.from(length.toString(16).padStart(4, '0'), 'latin1'), rest]);
}

const malformed = (why: string) => new FerryError('BAD_FRAME', `the sender's folder stream is malformed: ${why}`);

/** Buffers what a byte stream delivered, for reading exact amounts. */
class ByteReader {
  private buffered: Buffer = Buffer.alloc(0);
  private ended = false;

  constructor(private readonly source: AsyncIterator<Buffer>) {}

  get available(): number {
    return this.buffered.length;
  }

  /** Reads on until `n` bytes are buffered; false if the stream ended first. */
  async fill(n: number): Promise<boolean> {
    while (this.buffered.length < n) {
      if (this.ended) return false;
      const next = await this.source.next();
      if (next.done) this.ended = true;
      else this.buffered = this.buffered.length ? Buffer.concat([this.buffered, next.value]) : next.value;
    }
    return true;
  }

  take(n: number): Buffer {
    const out = this.buffered.subarray(0, n);
    this.buffered = this.buffered.subarray(n);
    return out;
  }

  /** Up to `max` bytes: what is buffered, else the next chunk; empty once the stream ended. */
  async some(max: number): Promise<Buffer> {
    if (this.buffered.length === 0 && !(await this.fill(1))) return Buffer.alloc(0);
    return this.take(Math.min(max, this.buffered.length));
  }
}

interface Header {
  name: Buffer;
  size: number;
  attr: number;
}

/** `:name:size:attr[:ext…]:` (after the four hex digits). */
function parseHeader(body: Buffer): Header {
  if (body[0] !== COLON || body[body.length - 1] !== COLON) throw malformed('a header not framed by colons');
  // The name runs to the first single colon ("::" is a colon in it).
  let i = 1;
  const name: number[] = [];
  for (; i < body.length; i++) {
    if (body[i] !== COLON) name.push(body[i]!);
    else if (body[i + 1] === COLON && i + 1 < body.length - 1) {
      name.push(COLON);
      i++;
    } else break;
  }
  if (name.length === 0) throw malformed('an empty name');
  const fields = body
    .subarray(i + 1, body.length - 1)
    .toString('latin1')
    .split(':');
  const [size, attr, ...ext] = fields;
  if (size === undefined || attr === undefined || !HEX.test(size) || !HEX.test(attr))
    throw malformed('a size or attribute that is not hex');
  if (ext.some((e) => !EXT.test(e))) throw malformed('an extended attribute that is not hex');
  const value = parseInt(size, 16);
  if (!Number.isSafeInteger(value)) throw malformed('a size out of range');
  return { name: Buffer.from(name), size: value, attr: parseInt(attr, 16) };
}

/**
 * Reads a GETDIRFILES answer: the items inside the top folder (not the folder itself),
 * until the sender leaves it. A regular file's `bytes` yield exactly its size; the
 * stream ending sooner is SIZE_MISMATCH. Returning early closes the source.
 */
export async function* readDirStream(
  source: AsyncIterable<Buffer>,
  decodeName: (raw: Buffer) => string,
  limits: DirStreamLimits,
): AsyncGenerator<FolderItem> {
  const iterator = source[Symbol.asyncIterator]();
  const reader = new ByteReader(iterator);
  let depth = 0;
  let entries = 0;
  let total = 0;
  try {
    for (;;) {
      if (!(await reader.fill(4))) throw malformed('it ended inside a folder');
      const lengthText = reader.take(4).toString('latin1');
      if (!/^[0-9a-fA-F]{4}$/.test(lengthText)) throw malformed('a header length that is not 4 hex digits');
      const length = parseInt(lengthText, 16);
      if (length > MAX_DIR_HEADER) throw malformed(`a header of ${length} bytes (at most ${MAX_DIR_HEADER})`);
      if (length < 4 + 7) throw malformed('a header too short to hold its fields');
      if (!(await reader.fill(length - 4))) throw malformed('it ended inside a header');
      const header = parseHeader(reader.take(length - 4));
      const kind = header.attr & 0xff;
      if (depth === 0 && kind !== FILE_ATTR.DIR) throw malformed('it does not start with a folder');
      if (kind === FILE_ATTR.RETPARENT) {
        depth--;
        if (depth === 0) return; // left the top folder: done
        yield { kind: 'up' };
        continue;
      }
      if (++entries > limits.maxEntries) throw malformed(`more than ${limits.maxEntries} files and folders`);
      if (kind === FILE_ATTR.DIR) {
        if (++depth > limits.maxDepth) throw malformed(`folders nested deeper than ${limits.maxDepth}`);
        if (depth > 1) yield { kind: 'dir', name: decodeName(header.name) };
        continue;
      }
      if (kind !== FILE_ATTR.REGULAR) throw malformed(`an entry of kind ${kind} (only files and folders are taken)`);
      total += header.size;
      if (total > limits.maxBytes) throw malformed(`more than ${limits.maxBytes} bytes in all`);
      let left = header.size;
      const name = decodeName(header.name);
      const bytes = (async function* () {
        while (left > 0) {
          const chunk = await reader.some(left);
          if (chunk.length === 0) {
            throw new FerryError(
              'SIZE_MISMATCH',
              `${name}: the folder stream ended ${left} bytes short of the ${header.size} it announced; not saved`,
            );
          }
          left -= chunk.length;
          yield chunk;
        }
      })();
      yield { kind: 'file', name, size: header.size, bytes };
      // The receiver stopped reading early (it refused the file): skip what is left of it.
      while (left > 0) {
        const chunk = await reader.some(left);
        if (chunk.length === 0) throw malformed('it ended inside a file');
        left -= chunk.length;
      }
    }
  } finally {
    await iterator.return?.();
  }
}
