/** Plain data that crosses the IPC / WebSocket boundary. No classes, no functions. */

/** Lower-case hex SHA-256 fingerprint of a device certificate (64 chars). */
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

export interface PeerDto {
  id: DeviceId;
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
  unread: number;
  lastMessage: MessageDto | null;
}

export type MessageState = 'queued' | 'sent' | 'delivered' | 'read' | 'failed';

export interface MessageDto {
  id: string;
  /** Local insertion order; also the cursor for paging (`listMessages(..., { before: seq })`). */
  seq: number;
  peerId: DeviceId;
  direction: 'in' | 'out';
  text: string;
  replyTo: string | null;
  /** Sender's clock, ms since epoch. */
  sentAt: number;
  /** Local clock when stored, ms since epoch. */
  storedAt: number;
  state: MessageState;
}

export interface MessagePage {
  messages: MessageDto[];
  /** True when older messages exist before the first one returned. */
  hasMore: boolean;
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
  autoAcceptVerified: boolean;
  language: Language;
  theme: Theme;
  closeToTray: boolean;
}

export type LogLevel = 'info' | 'warn' | 'error';

export interface NoticeDto {
  level: LogLevel;
  code: string;
  message: string;
  peerId?: DeviceId;
}
