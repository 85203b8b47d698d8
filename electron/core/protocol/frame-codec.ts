/**
 * Framing: `u32 BE header length | UTF-8 JSON header | body of header.bodyLength bytes`.
 *
 * TCP delivers a byte stream, not messages: one read may hold half a frame or
 * several frames (the 黏包/拆包 problem). FrameDecoder buffers just enough to
 * complete the current frame and never more than the limits allow.
 */
import { LIMITS } from '../../../shared/limits';
import { FerryError } from '../ferry-error';

export const LENGTH_PREFIX_BYTES = 4;
/** Headers are decoded strictly: invalid UTF-8 is BAD_FRAME (docs/PROTOCOL.md §7), never U+FFFD. */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

export interface RawHeader {
  type: string;
  bodyLength?: number;
  [key: string]: unknown;
}

export interface DecodedFrame<H = RawHeader> {
  header: H;
  /** Null when the header declares no body. */
  body: Buffer | null;
}

/** How the decoder learns what a frame type looks like. */
export interface FrameSpec<H> {
  /** Validates a parsed header; throws on a bad one. */
  parse(header: unknown): H;
  /** Largest body this type may declare. */
  maxBody: number;
}

export type FrameRegistry<H> = (type: string) => FrameSpec<H> | undefined;

/** Encodes one frame. The body length is written into the header for you. */
export function encodeFrame(header: RawHeader, body?: Uint8Array | null): Buffer {
  const bodyLength = body?.byteLength ?? 0;
  const json = Buffer.from(
    JSON.stringify(bodyLength > 0 ? { ...header, bodyLength } : withoutBodyLength(header)),
    'utf8',
  );
  if (json.byteLength > LIMITS.headerBytes) {
    throw new FerryError(
      'FRAME_TOO_LARGE',
      `header is ${json.byteLength} bytes, over the ${LIMITS.headerBytes} byte limit`,
    );
  }
  const out = Buffer.allocUnsafe(LENGTH_PREFIX_BYTES + json.byteLength + bodyLength);
  out.writeUInt32BE(json.byteLength, 0);
  json.copy(out, LENGTH_PREFIX_BYTES);
  if (body && bodyLength > 0) out.set(body, LENGTH_PREFIX_BYTES + json.byteLength);
  return out;
}

function withoutBodyLength(header: RawHeader): RawHeader {
  if (!('bodyLength' in header)) return header;
  const copy = { ...header };
  delete copy.bodyLength;
  return copy;
}

/**
 * Streaming decoder. Feed it whatever the socket produced; it returns every frame
 * completed so far. Throws FerryError (FRAME_TOO_LARGE, BAD_FRAME, UNKNOWN_FRAME)
 * on a violation; after that the stream is unusable and the caller closes it.
 */
export class FrameDecoder<H extends { bodyLength?: number } = RawHeader> {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Header of the frame whose body we are waiting for. */
  private pending: { header: H; bodyLength: number } | null = null;
  private failed: FerryError | null = null;

  constructor(private readonly registry: FrameRegistry<H>) {}

  /** Bytes held waiting for the rest of a frame. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /**
   * Hands over the bytes buffered after the last complete frame (a connection
   * switching to another protocol, e.g. raw file data). The decoder is empty afterwards.
   */
  takeBuffered(): Buffer {
    const out = Buffer.concat(this.chunks);
    this.chunks = [];
    this.buffered = 0;
    this.pending = null;
    return out;
  }

  /** Returns the frames completed so far; throws on a violation (frames before it are lost). */
  push(chunk: Buffer): DecodedFrame<H>[] {
    const { frames, error } = this.decode(chunk);
    if (error) throw error;
    return frames;
  }

  /**
   * Like push(), but hands back the good frames that came before a violation
   * together with the error, so a connection can act on them and then close.
   */
  decode(chunk: Buffer): { frames: DecodedFrame<H>[]; error: FerryError | null } {
    if (this.failed) return { frames: [], error: this.failed };
    if (chunk.byteLength > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.byteLength;
    }
    const frames: DecodedFrame<H>[] = [];
    try {
      for (;;) {
        const frame = this.next();
        if (!frame) break;
        frames.push(frame);
      }
    } catch (err) {
      this.failed = FerryError.from(err, 'BAD_FRAME');
      this.chunks = [];
      this.buffered = 0;
    }
    return { frames, error: this.failed };
  }

  private next(): DecodedFrame<H> | null {
    if (!this.pending) {
      if (this.buffered < LENGTH_PREFIX_BYTES) return null;
      const headerLength = this.peekUInt32();
      if (headerLength === 0) throw new FerryError('BAD_FRAME', 'header length is 0');
      if (headerLength > LIMITS.headerBytes) {
        throw new FerryError(
          'FRAME_TOO_LARGE',
          `header length ${headerLength} is over the ${LIMITS.headerBytes} byte limit`,
        );
      }
      if (this.buffered < LENGTH_PREFIX_BYTES + headerLength) return null;
      this.take(LENGTH_PREFIX_BYTES);
      const header = this.parseHeader(this.take(headerLength));
      const bodyLength = header.bodyLength ?? 0;
      if (bodyLength === 0) return { header, body: null };
      this.pending = { header, bodyLength };
    }
    if (this.buffered < this.pending.bodyLength) return null;
    const { header, bodyLength } = this.pending;
    this.pending = null;
    return { header, body: this.take(bodyLength) };
  }

  private parseHeader(bytes: Buffer): H {
    let text: string;
    try {
      text = STRICT_UTF8.decode(bytes);
    } catch {
      throw new FerryError('BAD_FRAME', 'header is not valid UTF-8');
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new FerryError('BAD_FRAME', 'header is not valid JSON');
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new FerryError('BAD_FRAME', 'header is not a JSON object');
    }
    const type = (json as { type?: unknown }).type;
    if (typeof type !== 'string') throw new FerryError('BAD_FRAME', 'header has no "type"');
    const spec = this.registry(type);
    if (!spec) throw new FerryError('UNKNOWN_FRAME', `unknown frame type "${type.slice(0, 40)}"`);
    const declared = (json as { bodyLength?: unknown }).bodyLength ?? 0;
    if (typeof declared !== 'number' || !Number.isSafeInteger(declared) || declared < 0) {
      throw new FerryError('BAD_FRAME', `"${type}" frame has an invalid bodyLength`);
    }
    if (declared > spec.maxBody) {
      throw new FerryError(
        'FRAME_TOO_LARGE',
        `"${type}" frame declares a ${declared} byte body; the limit is ${spec.maxBody}`,
      );
    }
    try {
      return spec.parse(json);
    } catch (err) {
      throw new FerryError('BAD_FRAME', `"${type}" frame is malformed: ${describe(err)}`);
    }
  }

  private peekUInt32(): number {
    const first = this.chunks[0]!;
    if (first.byteLength >= LENGTH_PREFIX_BYTES) return first.readUInt32BE(0);
    return Buffer.concat(this.chunks, LENGTH_PREFIX_BYTES).readUInt32BE(0);
  }

  /** Removes and returns the next n buffered bytes (zero-copy when they sit in one chunk). */
  private take(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0]!;
    if (first.byteLength === n) {
      this.chunks.shift();
      return first;
    }
    if (first.byteLength > n) {
      this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0]!;
      const want = n - filled;
      if (chunk.byteLength <= want) {
        chunk.copy(out, filled);
        filled += chunk.byteLength;
        this.chunks.shift();
      } else {
        chunk.copy(out, filled, 0, want);
        this.chunks[0] = chunk.subarray(want);
        filled += want;
      }
    }
    return out;
  }
}

function describe(err: unknown): string {
  if (err && typeof err === 'object' && 'issues' in err && Array.isArray(err.issues)) {
    return err.issues
      .slice(0, 3)
      .map((i: { path?: unknown[]; message?: string }) => `${(i.path ?? []).join('.') || 'header'}: ${i.message}`)
      .join('; ');
  }
  return err instanceof Error ? err.message : String(err);
}
