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
/**
 * "I recall my message `id`" (capability `recall/1`, docs/PROTOCOL.md §6): the receiver
 * removes its text if the message is the sender's own and was stored here at most
 * 2 minutes (+30 s of clock allowance) ago; otherwise it ignores the frame. Never answered.
 */
export const recallHeader = z.object({ type: z.literal('recall'), id: uuid, bodyLength });
export const byeHeader = z.object({ type: z.literal('bye'), reason: shortText(64), bodyLength });

// ── file transfer (docs/PROTOCOL.md §9) ──────────────────────────────────

/** Largest offer body: the JSON list of files (10 000 entries with long paths fit). */
export const OFFER_BODY_MAX = 8 * 1024 * 1024;
const byteCount = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const transferError = { code: shortText(64), message: shortText(1000) };

/** Control link: "I'd like to send you these files"; body = JSON array of OfferEntry. */
export const offerHeader = z.object({
  type: z.literal('offer'),
  id: uuid,
  fileCount: z.number().int().min(1).max(10_000),
  totalBytes: byteCount,
  createdAt: z.number().int().min(0),
  bodyLength: z.number().int().min(2),
});
/** One entry of an offer body. Paths are '/'-separated and relative; the receiver sanitises them. */
export const offerEntry = z
  .object({
    // Any string: an empty, overlong or unsafe path costs only its own entry (NAME_REJECTED,
    // docs/PROTOCOL.md §9), never the offer or the control link. The 8 MiB body bounds it.
    path: z.string(),
    size: byteCount,
    mtime: z.number().int(),
    dir: z.boolean(),
  })
  .strict();
export const offerBody = z.array(offerEntry).min(1).max(10_000);
export type OfferEntry = z.infer<typeof offerEntry>;

/** Control link: the receiver's answer; `rejected` lists entries it refused by name. */
export const offerAnswerHeader = z.object({
  type: z.literal('offer-answer'),
  id: uuid,
  accept: z.boolean(),
  rejected: z
    .array(z.object({ index: z.number().int().min(0), ...transferError }))
    .max(10_000)
    .optional(),
  bodyLength,
});
/** Control link: either side stopped the transfer (cancel, failure, expiry) and says why. */
export const transferStopHeader = z.object({
  type: z.literal('transfer-stop'),
  id: uuid,
  state: z.enum(['cancelled', 'failed', 'expired', 'declined']),
  ...transferError,
  bodyLength,
});
/** Largest `offer-preview` body: a small picture, not the picture. */
export const PREVIEW_BODY_MAX = 48 * 1024;

/** Control link, sender → receiver, to peers that announce `preview/1`: a small picture of offered picture `index` (the body). */
export const offerPreviewHeader = z.object({
  type: z.literal('offer-preview'),
  id: uuid,
  index: z.number().int().min(0),
  mime: z.enum(['image/png', 'image/jpeg', 'image/webp']),
  bodyLength,
});

/** Control link, receiver → sender: "please (re)open the data connection" (manual resume). */
export const transferResumeHeader = z.object({ type: z.literal('transfer-resume'), id: uuid, bodyLength });

/** Data connection, sender → receiver: about to send file `index`; the receiver answers data-ready. */
export const dataOpenHeader = z.object({
  type: z.literal('data-open'),
  id: uuid,
  index: z.number().int().min(0).max(9_999),
  size: byteCount,
  bodyLength,
});
/** Data connection, receiver → sender: send from `offset`; then exactly size − offset raw bytes follow. */
export const dataReadyHeader = z.object({
  type: z.literal('data-ready'),
  id: uuid,
  index: z.number().int().min(0),
  offset: byteCount,
  bodyLength,
});
/** Data connection, sender → receiver, right after the raw bytes: the whole file's SHA-256. */
export const dataEndHeader = z.object({
  type: z.literal('data-end'),
  id: uuid,
  index: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bodyLength,
});
/** Data connection, receiver → sender: the file is saved (ok) or refused/failed with a code. */
export const dataResultHeader = z.object({
  type: z.literal('data-result'),
  id: uuid,
  index: z.number().int().min(0),
  ok: z.boolean(),
  code: shortText(64).optional(),
  message: shortText(1000).optional(),
  bodyLength,
});

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
  recall: spec(recallHeader),
  offer: spec(offerHeader, OFFER_BODY_MAX),
  'offer-answer': spec(offerAnswerHeader),
  'transfer-stop': spec(transferStopHeader),
  'transfer-resume': spec(transferResumeHeader),
  'offer-preview': spec(offerPreviewHeader, PREVIEW_BODY_MAX),
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
  | z.infer<typeof byeHeader>
  | z.infer<typeof recallHeader>
  | OfferHeader
  | OfferAnswerHeader
  | TransferStopHeader
  | z.infer<typeof transferResumeHeader>
  | z.infer<typeof offerPreviewHeader>;

export type OfferHeader = z.infer<typeof offerHeader>;
export type OfferAnswerHeader = z.infer<typeof offerAnswerHeader>;
export type TransferStopHeader = z.infer<typeof transferStopHeader>;

export const controlFrames: FrameRegistry<ControlHeader> = (type) =>
  Object.hasOwn(specs, type) ? (specs[type as FrameType] as FrameSpec<ControlHeader>) : undefined;

/** Frames of a data connection (after the hello): no bodies; file bytes travel raw between data-ready and data-end. */
const dataSpecs = {
  'data-open': spec(dataOpenHeader),
  'data-ready': spec(dataReadyHeader),
  'data-end': spec(dataEndHeader),
  'data-result': spec(dataResultHeader),
  error: spec(errorHeader),
  bye: spec(byeHeader),
};
export type DataHeader =
  | z.infer<typeof dataOpenHeader>
  | z.infer<typeof dataReadyHeader>
  | z.infer<typeof dataEndHeader>
  | z.infer<typeof dataResultHeader>
  | z.infer<typeof errorHeader>
  | z.infer<typeof byeHeader>;

export const dataFrames: FrameRegistry<DataHeader> = (type) =>
  Object.hasOwn(dataSpecs, type) ? (dataSpecs[type as keyof typeof dataSpecs] as FrameSpec<DataHeader>) : undefined;
