/**
 * The UDP presence packet: `FERRY1 ` (7 ASCII bytes) followed by a UTF-8 JSON
 * object. A claim, not proof: the TLS handshake decides who a peer is.
 */
import { z } from 'zod';
import { LIMITS } from '../../../shared/limits';

export const MAGIC = Buffer.from('FERRY1 ', 'ascii');
/** Datagrams over this size are dropped unread (a real announce is ~300 bytes). */
export const MAX_PACKET_BYTES = 1024;

const shortText = (max: number) => z.string().refine((s) => Buffer.byteLength(s, 'utf8') <= max, `over ${max} bytes`);

export const announceSchema = z.object({
  /** announce: periodic; reply: unicast answer to a newcomer; goodbye: clean shutdown. */
  kind: z.enum(['announce', 'reply', 'goodbye']),
  v: z.number().int().min(0),
  id: z.string().regex(/^[0-9a-f]{64}$/),
  name: shortText(LIMITS.nameBytes).pipe(z.string().min(1)),
  platform: shortText(32),
  /** TCP port the node listens on. */
  port: z.number().int().min(1).max(65535),
});

export type Announce = z.infer<typeof announceSchema>;

export type DecodeResult =
  { ok: true; packet: Announce } | { ok: false; reason: 'oversized' | 'foreign' | 'malformed' };

export function encodeAnnounce(packet: Announce): Buffer {
  return Buffer.concat([MAGIC, Buffer.from(JSON.stringify(packet), 'utf8')]);
}

export function decodeAnnounce(data: Buffer): DecodeResult {
  if (data.length > MAX_PACKET_BYTES) return { ok: false, reason: 'oversized' };
  if (data.length < MAGIC.length || !data.subarray(0, MAGIC.length).equals(MAGIC))
    return { ok: false, reason: 'foreign' };
  try {
    const parsed = announceSchema.safeParse(JSON.parse(data.subarray(MAGIC.length).toString('utf8')));
    return parsed.success ? { ok: true, packet: parsed.data } : { ok: false, reason: 'malformed' };
  } catch {
    return { ok: false, reason: 'malformed' };
  }
}
