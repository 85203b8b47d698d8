/**
 * How much incoming chat one peer may push at us: a rate (messages and bytes
 * per second, with a burst) and a volume of unread history. Over either, the
 * message is refused with RATE_LIMITED and not acked, so an honest sender
 * keeps it and retries after reconnecting; a flooder gains nothing.
 */
import { FerryError } from '../ferry-error';

export interface ChatQuotaLimits {
  /** Sustained messages per second, and how many may come at once. */
  messagesPerSecond: number;
  messageBurst: number;
  /** Sustained text bytes per second, and how many may come at once. */
  bytesPerSecond: number;
  byteBurst: number;
  /** Unread incoming messages (and their bytes) from one peer before it must wait for the user. */
  maxUnreadMessages: number;
  maxUnreadBytes: number;
}

export const DEFAULT_CHAT_QUOTA: ChatQuotaLimits = {
  messagesPerSecond: 20,
  messageBurst: 200,
  bytesPerSecond: 256 * 1024,
  byteBurst: 4 * 1024 * 1024,
  maxUnreadMessages: 5_000,
  maxUnreadBytes: 32 * 1024 * 1024,
};

interface PeerState {
  messages: number;
  bytes: number;
  at: number;
  unread: { count: number; bytes: number } | null;
}

export class ChatQuota {
  private readonly peers = new Map<string, PeerState>();

  constructor(
    private readonly limits: ChatQuotaLimits,
    /** Reads the unread volume from the store the first time a peer is checked. */
    private readonly unreadOf: (peerId: string) => { count: number; bytes: number },
  ) {}

  /** Throws RATE_LIMITED when this message may not be stored now; otherwise counts it. */
  admit(peerId: string, bytes: number, now = Date.now()): void {
    const s = this.state(peerId, now);
    const elapsed = (now - s.at) / 1000;
    s.messages = Math.min(this.limits.messageBurst, s.messages + elapsed * this.limits.messagesPerSecond);
    s.bytes = Math.min(this.limits.byteBurst, s.bytes + elapsed * this.limits.bytesPerSecond);
    s.at = now;
    s.unread ??= this.unreadOf(peerId);
    if (s.unread.count >= this.limits.maxUnreadMessages || s.unread.bytes + bytes > this.limits.maxUnreadBytes) {
      throw new FerryError(
        'RATE_LIMITED',
        'too many unread messages from this device are waiting; send again after they are read',
      );
    }
    if (s.messages < 1 || s.bytes < bytes) {
      throw new FerryError('RATE_LIMITED', 'messages arrive faster than this Ferry accepts; retry in a moment');
    }
    s.messages -= 1;
    s.bytes -= bytes;
  }

  /** A message was stored (a retry of a stored one is not counted). */
  stored(peerId: string, bytes: number): void {
    const u = this.peers.get(peerId)?.unread;
    if (u) {
      u.count += 1;
      u.bytes += bytes;
    }
  }

  /** The user read the conversation. */
  read(peerId: string): void {
    const s = this.peers.get(peerId);
    if (s) s.unread = { count: 0, bytes: 0 };
  }

  private state(peerId: string, now: number): PeerState {
    let s = this.peers.get(peerId);
    if (!s) {
      // Bounded: a peer id only gets here after a TLS handshake, but keep the table small anyway.
      if (this.peers.size >= 4096) this.peers.delete(this.peers.keys().next().value!);
      s = { messages: this.limits.messageBurst, bytes: this.limits.byteBurst, at: now, unread: null };
      this.peers.set(peerId, s);
    }
    return s;
  }
}
