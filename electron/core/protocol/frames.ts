/**
 * Every frame type on the wire, its header schema and its body limit.
 * docs/PROTOCOL.md is the prose version of this file; keep them in step.
 */
import { z } from 'zod';
import { LIMITS } from '../../../shared/limits';
import type { FrameRegistry, FrameSpec } from './frame-codec';

/** Bumped on any incompatible change; peers with a different version refuse each other. */
export const PROTOCOL_VERSION = 1;

const utf8Bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const deviceId = z.string().regex(/^[0-9a-f]{64}$/);
const uuid = z.uuid();
const shortText = (max: number) => z.string().refine((s) => utf8Bytes(s) <= max, `over ${max} bytes`);
const bodyLength = z.number().int().min(0).optional();

export const helloHeader = z.object({
  type: z.literal('hello'),
  v: z.number().int().min(0),
  id: deviceId,
  name: shortText(LIMITS.nameBytes).pipe(z.string().min(1)),
  platform: shortText(32),
  port: z.number().int().min(0).max(65535),
  caps: z.array(shortText(32)).max(32),
  /** What this connection is for: the peer's one control link, or one transfer's data. */
  purpose: z.enum(['control', 'transfer']).default('control'),
  bodyLength,
});

export const messageHeader = z.object({
  type: z.literal('message'),
  id: uuid,
  sentAt: z.number().int().min(0),
  replyTo: uuid.nullable().optional(),
  bodyLength: z.number().int().min(1),
});

export const ackHeader = z.object({ type: z.literal('ack'), id: uuid, bodyLength });
export const readHeader = z.object({ type: z.literal('read'), ids: z.array(uuid).min(1).max(500), bodyLength });
export const pingHeader = z.object({ type: z.literal('ping'), ts: z.number().optional(), bodyLength });
export const pongHeader = z.object({ type: z.literal('pong'), ts: z.number().optional(), bodyLength });
export const errorHeader = z.object({
  type: z.literal('error'),
  code: shortText(64),
  message: shortText(1000),
  bodyLength,
});
export const byeHeader = z.object({ type: z.literal('bye'), reason: shortText(64), bodyLength });

const spec = <S extends z.ZodType>(schema: S, maxBody = 0): FrameSpec<z.infer<S>> => ({
  parse: (header) => schema.parse(header),
  maxBody,
});

const specs = {
  hello: spec(helloHeader),
  message: spec(messageHeader, LIMITS.chatTextBytes),
  ack: spec(ackHeader),
  read: spec(readHeader),
  ping: spec(pingHeader),
  pong: spec(pongHeader),
  error: spec(errorHeader),
  bye: spec(byeHeader),
};

export type FrameType = keyof typeof specs;

export type HelloHeader = z.infer<typeof helloHeader>;
export type MessageHeader = z.infer<typeof messageHeader>;
export type ControlHeader =
  | HelloHeader
  | MessageHeader
  | z.infer<typeof ackHeader>
  | z.infer<typeof readHeader>
  | z.infer<typeof pingHeader>
  | z.infer<typeof pongHeader>
  | z.infer<typeof errorHeader>
  | z.infer<typeof byeHeader>;

export const controlFrames: FrameRegistry<ControlHeader> = (type) =>
  Object.hasOwn(specs, type) ? (specs[type as FrameType] as FrameSpec<ControlHeader>) : undefined;
