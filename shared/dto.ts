/** Plain data that crosses the IPC / WebSocket boundary. No classes, no functions. */
import type { ErrorDto, NoticeCode } from './errors';

/** A peer id: `ferry:<certificate fingerprint>` or `ipmsg:<IPv4 address>` (shared/peer-id.ts). */
export type DeviceId = string;

export interface SelfDto {
  id: DeviceId;
  name: string;
  platform: string;
  port: number;
  /** Addresses this device listens on, for "tell the other side my address". */
  addresses: string[];
  protocolVersion: number;
}

/** What can be done with a peer: from its protocol and what its last hello announced. */
export interface PeerCapabilities {
  /** Everything exchanged is encrypted (Ferry: TLS 1.3, pinned certificates). */
  encrypted: boolean;
  /** Its identity can be confirmed by comparing a code read aloud. */
  verifiable: boolean;
  /** Text messages. */
  chat: boolean;
  /** Delivered and read receipts for messages. */
  receipts: boolean;
  files: boolean;
  folders: boolean;
  /** An interrupted transfer continues where it stopped. */
  resume: boolean;
  groups: boolean;
  /** Its author may recall a message within 2 minutes (Ferry's `recall/1`; IP Messenger has no recall). */
  recall: boolean;
}

export interface PeerDto {
  id: DeviceId;
  /** The wire protocol it speaks: Ferry's own, or IP Messenger (FeiQ 飞秋, IP Messenger, iptux). */
  protocol: 'ferry' | 'ipmsg';
  capabilities: PeerCapabilities;
  /** Alias if the user set one, else the name the peer announced. */
  name: string;
  announcedName: string;
  alias: string | null;
  platform: string;
  online: boolean;
  /** ms since epoch; null if never connected. */
  lastSeen: number | null;
  /** host:port pairs this peer has been reached at, newest first. */
  addresses: string[];
  verified: boolean;
  blocked: boolean;
  /** A certificate other than the pinned one was presented for this peer. */
  certChanged: boolean;
  /** Added by hand (persisted and re-dialed). */
  manual: boolean;
  /** What an IP Messenger peer says of itself while it is present: its login, computer and group. */
  ipmsg?: { user: string; host: string; group: string };
}

export type MessageState = 'queued' | 'sent' | 'delivered' | 'read' | 'failed';

export interface MessageDto {
  id: string;
  /** Local insertion order; also the cursor for paging (`listMessages(..., { before: seq })`). */
  seq: number;
  /** The conversation it belongs to (`direct:<peer id>`). */
  conversationId: string;
  /** The peer it was exchanged with (in a direct conversation, the other side). */
  peerId: DeviceId;
  direction: 'in' | 'out';
  text: string;
  replyTo: string | null;
  /** Sender's clock, ms since epoch. */
  sentAt: number;
  /** Local clock when stored, ms since epoch. */
  storedAt: number;
  state: MessageState;
  /**
   * Set when its author recalled it (local clock, ms since epoch): its text is gone ('') and
   * the conversation shows "… recalled a message" in its place. Absent otherwise.
   */
  recalledAt?: number;
}

/**
 * A conversation's summary, as the sidebar shows it. The engine is its only source:
 * it pushes `conversationUpdated` whenever a message or file offer in it changes or it
 * is read, and `unreadTotal` for the badge.
 */
export interface ConversationDto {
  /** `direct:<peer id>` for the conversation with one peer. */
  id: string;
  kind: 'direct';
  peerId: DeviceId;
  /** Incoming messages not read yet. */
  unread: number;
  /** No notifications for new messages (the unread count still grows). */
  muted: boolean;
  /** ms since epoch of the newest message or file offer; null while there is none. */
  lastActivity: number | null;
  lastMessage: MessageDto | null;
}

export interface MessagePage {
  messages: MessageDto[];
  /** True when older messages exist before the first one returned. */
  hasMore: boolean;
}

/** A file or folder whose name matched a search, and the transfer that carried it. */
export interface FileHit {
  transfer: TransferDto;
  /** Its path inside the transfer ('/'-separated). */
  path: string;
  isDir: boolean;
}

export interface SearchHit {
  message: MessageDto;
  /** Text with matches wrapped in \u0001 … \u0002 markers (the UI renders them). */
  snippet: string;
}

export type Theme = 'system' | 'light' | 'dark';
export type Language = 'system' | 'en' | 'zh-CN';

export interface SettingsDto {
  displayName: string;
  downloadDir: string;
  port: number;
  discovery: boolean;
  /** Also talk to IP Messenger / FeiQ 飞秋 / iptux users (port 2425, unencrypted). */
  ipmsg: boolean;
  autoAcceptVerified: boolean;
  language: Language;
  theme: Theme;
  closeToTray: boolean;
}

export type LogLevel = 'info' | 'warn' | 'error';

export interface NoticeDto {
  level: LogLevel;
  code: NoticeCode;
  message: string;
  peerId?: DeviceId;
}

// ── file transfers ───────────────────────────────────────────────────────────

export type TransferState =
  /** Outgoing: offer sent, waiting for the peer's answer. Incoming: waiting for the user. */
  | 'offered'
  /** Accepted; data is moving (or about to). */
  | 'active'
  /** Interrupted (connection lost, app quit); resumes from what is on disk. */
  | 'paused'
  | 'done'
  | 'declined'
  | 'expired'
  | 'cancelled'
  | 'failed';

export type TransferFileState = 'pending' | 'active' | 'done' | 'failed';

/** A transferred picture shown inline: its type from its bytes and its size as displayed (EXIF rotation applied). */
export interface ImageInfoDto {
  mime: 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp';
  width: number;
  height: number;
}

/** A picture's bytes for the renderer (base64, so both IPC and the browser bridge carry it). */
export interface ImageBytesDto {
  mime: string;
  base64: string;
}

export interface TransferFileDto {
  /** Relative path inside the offer, '/'-separated (already sanitised on the receiving side). */
  path: string;
  /** Bytes; 64-bit safe integers (files over 4 GiB are fine). */
  size: number;
  /** Empty folders are sent as entries of their own. */
  isDirectory: boolean;
  bytesDone: number;
  state: TransferFileState;
  /** Where the file was saved (incoming, once done). */
  savedPath: string | null;
  error: ErrorDto | null;
  /** Set when the file is a picture shown inline (small sends only; see image-probe.ts). */
  image?: ImageInfoDto;
  /** An offered picture not here yet, of which the sender sent a small picture: its size (readImage 'thumbnail'). */
  preview?: { width: number; height: number };
}

export interface TransferDto {
  id: string;
  /** The conversation the offer appears in (`direct:<peer id>`). */
  conversationId: string;
  peerId: DeviceId;
  direction: 'in' | 'out';
  state: TransferState;
  /** ms since epoch. */
  createdAt: number;
  updatedAt: number;
  /** The first files (at most 100); all `fileCount` of them come from listTransferFiles. */
  files: TransferFileDto[];
  fileCount: number;
  totalBytes: number;
  bytesDone: number;
  /** Smoothed bytes per second while active, else 0. */
  speed: number;
  /** Seconds left at the current speed; null when unknown. */
  etaSeconds: number | null;
  /** Folder the files go into (incoming) once accepted. */
  saveDir: string | null;
  error: ErrorDto | null;
}

/** Throttled (≤ 10 per second per transfer) progress of an active transfer. */
export interface TransferProgressDto {
  id: string;
  bytesDone: number;
  totalBytes: number;
  speed: number;
  etaSeconds: number | null;
  /** The file being moved right now and its own progress. */
  fileIndex: number;
  fileBytesDone: number;
}
