/**
 * The one contract between the UI and the engine. Every request (name → argument
 * schema → result type) and every pushed event is declared here once; the
 * preload, the IPC adapter, the WebSocket bridge and the renderer client are
 * all generic over it.
 */
import { z } from 'zod';
import type {
  ConversationDto,
  MessageDto,
  MessagePage,
  NoticeDto,
  PeerDto,
  FileHit,
  ImageBytesDto,
  SearchHit,
  SelfDto,
  SettingsDto,
  TransferDto,
  TransferFileDto,
  TransferProgressDto,
} from './dto';
import { CONVERSATION_ID } from './conversation-id';
import { PEER_ID } from './peer-id';
import { LIMITS } from './limits';

const encoder = new TextEncoder();
const utf8Length = (s: string) => encoder.encode(s).length;

const deviceId = z
  .string()
  .regex(PEER_ID, 'a peer id is "ferry:" and 64 lower-case hex characters, or "ipmsg:" and an IPv4 address');
const conversationId = z.string().regex(CONVERSATION_ID, 'a conversation id is "direct:" and a peer id');
const messageId = z.uuid();
const text = z
  .string()
  .min(1)
  .refine((s) => utf8Length(s) <= LIMITS.chatTextBytes, 'message text is over 64 KiB');
const address = z.string().trim().min(1).max(300);
const alias = z
  .string()
  .trim()
  .min(1)
  .refine((s) => utf8Length(s) <= LIMITS.nameBytes, 'name is over 255 bytes');
const transferId = z.uuid();

export const settingsPatch = z
  .object({
    displayName: z
      .string()
      .trim()
      .min(1)
      .refine((s) => utf8Length(s) <= LIMITS.nameBytes, 'name is over 255 bytes'),
    downloadDir: z
      .string()
      .min(1)
      .max(4096)
      .refine(
        (s) => /^(\/|[A-Za-z]:[\\/]|\\\\)/.test(s) && !s.includes('\0'),
        'the download folder must be a full path',
      ),
    port: z.number().int().min(0).max(65535),
    discovery: z.boolean(),
    ipmsg: z.boolean(),
    autoAcceptVerified: z.boolean(),
    language: z.enum(['system', 'en', 'zh-CN']),
    theme: z.enum(['system', 'light', 'dark']),
    closeToTray: z.boolean(),
  })
  .partial()
  .strict();

/** Declares a request: its argument tuple (validated at every edge) and its result type. */
export function request<A extends z.ZodTuple>(args: A) {
  return { returns: <R>() => ({ args, result: undefined as unknown as R }) };
}

export const requests = {
  getSelf: request(z.tuple([])).returns<SelfDto>(),
  listPeers: request(z.tuple([])).returns<PeerDto[]>(),
  /** Dial `IP`, `IP:port` or `hostname[:port]`; resolves with the peer once the hello is done. */
  addPeer: request(z.tuple([address])).returns<PeerDto>(),
  /** `id` lets the UI retry a request without sending twice. */
  sendMessage: request(
    z.tuple([
      conversationId,
      text,
      z.object({ id: messageId.optional(), replyTo: messageId.optional() }).strict().optional(),
    ]),
  ).returns<MessageDto>(),
  listMessages: request(
    z.tuple([
      conversationId,
      z
        .object({
          before: z.number().int().optional(),
          limit: z.number().int().min(1).max(500).optional(),
        })
        .strict()
        .optional(),
    ]),
  ).returns<MessagePage>(),
  searchMessages: request(z.tuple([z.string().max(200)])).returns<SearchHit[]>(),
  /** Files and folders sent or received whose name contains the text (newest first, at most 50). */
  searchFiles: request(z.tuple([z.string().max(200)])).returns<FileHit[]>(),
  /** Every conversation with something in it, most recent activity first. */
  listConversations: request(z.tuple([])).returns<ConversationDto[]>(),
  markRead: request(z.tuple([conversationId])).returns<void>(),
  /** Muted conversations raise no notifications (unread counts still grow). */
  setConversationMuted: request(z.tuple([conversationId, z.boolean()])).returns<ConversationDto>(),
  /** Deletes a message here only ("delete for me"); the other side keeps its copy. */
  deleteMessage: request(z.tuple([conversationId, messageId])).returns<void>(),
  /**
   * Recalls one of our messages on both sides, within 2 minutes of sending it (Ferry peers
   * only): its text is removed here and at the peer, a "recalled" line stays. Refused with
   * RECALL_TOO_LATE, NOT_YOURS, NOT_FOUND, PEER_UNSUPPORTED (IP Messenger) or PEER_OFFLINE.
   */
  recallMessage: request(z.tuple([conversationId, messageId])).returns<MessageDto>(),
  /** What the user was writing in a conversation ('' when nothing); kept across restarts. */
  getDraft: request(z.tuple([conversationId])).returns<string>(),
  setDraft: request(
    z.tuple([
      conversationId,
      z.string().refine((s) => utf8Length(s) <= LIMITS.chatTextBytes, 'the draft is over 64 KiB'),
    ]),
  ).returns<void>(),
  /** 12 digits both users see identically; read aloud to confirm no one is in between. */
  getVerificationCode: request(z.tuple([deviceId])).returns<string>(),
  setPeerVerified: request(z.tuple([deviceId, z.boolean()])).returns<PeerDto>(),
  /** A local name for the peer (null restores the name it announces). */
  renamePeer: request(z.tuple([deviceId, alias.nullable()])).returns<PeerDto>(),
  /** Blocking drops its connections, ignores its announcements and refuses it. */
  setPeerBlocked: request(z.tuple([deviceId, z.boolean()])).returns<PeerDto>(),
  /** Removes the peer and its pinned certificate (history stays and returns if it does). */
  forgetPeer: request(z.tuple([deviceId])).returns<void>(),
  getSettings: request(z.tuple([])).returns<SettingsDto>(),
  updateSettings: request(z.tuple([settingsPatch])).returns<SettingsDto>(),

  /** Offers files and folders (absolute local paths) in a conversation. */
  sendFiles: request(
    z.tuple([conversationId, z.array(z.string().min(1).max(4096)).min(1).max(10_000)]),
  ).returns<TransferDto>(),
  /** Accepts an incoming offer, optionally into another folder than the download folder. */
  acceptTransfer: request(
    z.tuple([
      transferId,
      z
        .object({ saveDir: z.string().min(1).max(4096).optional() })
        .strict()
        .optional(),
    ]),
  ).returns<TransferDto>(),
  declineTransfer: request(z.tuple([transferId])).returns<TransferDto>(),
  /** Cancels from either side at any moment; the other side is told. */
  cancelTransfer: request(z.tuple([transferId])).returns<TransferDto>(),
  /** Resumes a paused transfer by hand (it also resumes by itself on reconnect). */
  resumeTransfer: request(z.tuple([transferId])).returns<TransferDto>(),
  /** Offers the files of an outgoing transfer that ended without arriving (failed, declined, cancelled, expired) again, as a new transfer. */
  resendTransfer: request(z.tuple([transferId])).returns<TransferDto>(),
  /**
   * Transfers, newest first; with a conversation id, only that conversation's. A page of
   * `limit` (default 100) created before `before`; offers that expired or were
   * declined here only with `includeEnded`. Each carries its first 100 files:
   * the rest come from listTransferFiles.
   */
  listTransfers: request(
    z.tuple([
      conversationId.optional(),
      z
        .object({
          before: z.number().int().optional(),
          limit: z.number().int().min(1).max(500).optional(),
          includeEnded: z.boolean().optional(),
        })
        .strict()
        .optional(),
    ]),
  ).returns<TransferDto[]>(),
  /**
   * A transferred picture (a file whose TransferFileDto has `image`): `full` is its bytes
   * (at most 32 MiB), `thumbnail` the one the UI saved with saveThumbnail, or null if none yet.
   */
  readImage: request(
    z.tuple([transferId, z.number().int().min(0), z.enum(['full', 'thumbnail'])]),
  ).returns<ImageBytesDto | null>(),
  /** Caches the UI's thumbnail of a transferred picture: PNG, JPEG or WebP, ≤ 640 px a side, ≤ 256 KiB (base64). */
  saveThumbnail: request(
    z.tuple([
      transferId,
      z.number().int().min(0),
      z
        .string()
        .min(1)
        .max(Math.ceil((256 * 1024) / 3) * 4),
    ]),
  ).returns<void>(),
  /** One page of a transfer's files (`offset` from 0, `limit` ≤ 1000, default 500). */
  listTransferFiles: request(
    z.tuple([
      transferId,
      z
        .object({ offset: z.number().int().min(0).optional(), limit: z.number().int().min(1).max(1000).optional() })
        .strict()
        .optional(),
    ]),
  ).returns<TransferFileDto[]>(),
};

/** Events the engine pushes to the UI (one channel; payload per name). */
export interface FerryEvents {
  peerUpdated: PeerDto;
  peerRemoved: { id: string };
  messageAdded: MessageDto;
  messageUpdated: MessageDto;
  /** A message was deleted here ("delete for me"); the peer keeps its copy. */
  messageRemoved: { conversationId: string; id: string };
  /** A conversation's unread count, last message or last activity changed. */
  conversationUpdated: ConversationDto;
  /** Unread incoming messages in every conversation: the tray and title badge. */
  unreadTotal: { count: number };
  settingsUpdated: SettingsDto;
  /** A transfer was created or changed state (offer, accept, file done, failure…). */
  transferUpdated: TransferDto;
  transferProgress: TransferProgressDto;
  notice: NoticeDto;
}

export type RequestName = keyof typeof requests;
export type RequestArgs<K extends RequestName> = z.infer<(typeof requests)[K]['args']>;
export type RequestResult<K extends RequestName> = (typeof requests)[K]['result'];

/** What the renderer sees as `window.ferry` (minus host extras), and what the engine implements. */
export type FerryApi = {
  [K in RequestName]: (...args: RequestArgs<K>) => Promise<RequestResult<K>>;
};

export type EventName = keyof FerryEvents;
/**
 * A pushed event. Without a type argument it is the union of every event, discriminated
 * by `name`: `if (e.name === 'messageAdded') e.payload.text` needs no cast.
 */
export type FerryEvent<K extends EventName = EventName> = { [N in K]: { name: N; payload: FerryEvents[N] } }[K];

export const requestNames = Object.keys(requests) as RequestName[];

/** Validates untrusted arguments for request `name`; throws a ZodError when they don't fit. */
export function parseArgs<K extends RequestName>(name: K, args: unknown): RequestArgs<K> {
  return requests[name].args.parse(args) as RequestArgs<K>;
}
