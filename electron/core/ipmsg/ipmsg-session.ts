/**
 * A PeerSession over the IP Messenger protocol: chat with delivered receipts. Files
 * and folders are not offered to these peers yet (their capabilities say so, and the
 * engine refuses before it gets here).
 */
import type { PeerCapabilities } from '../../../shared/dto';
import { FerryError } from '../ferry-error';
import type { OutgoingMessage, PeerSession, StopState } from '../session/peer-session';
import type { Transfer } from '../store/transfer-repo';
import type { IpmsgPeer, IpmsgService } from './ipmsg-service';

/** Plaintext, unauthenticated, chat with delivered receipts; no verification, no groups. */
export const IPMSG_CAPABILITIES: PeerCapabilities = Object.freeze({
  encrypted: false,
  verifiable: false,
  chat: true,
  receipts: true,
  files: false,
  folders: false,
  resume: false,
  groups: false,
});

export class IpmsgSession implements PeerSession {
  readonly protocol = 'ipmsg' as const;
  readonly capabilities = IPMSG_CAPABILITIES;

  constructor(
    private readonly service: IpmsgService,
    readonly peer: IpmsgPeer,
  ) {}

  get peerId(): string {
    return this.peer.peerId;
  }

  get name(): string {
    return this.peer.nick;
  }

  sendMessage(message: OutgoingMessage): void {
    this.service.sendText(this.peer, message.id, message.text);
  }

  acknowledge(messageId: string): void {
    this.service.acknowledge(this.peer, messageId);
  }

  markedRead(messageIds: string[]): void {
    this.service.markedRead(this.peer, messageIds);
  }

  offer(_transfer: Transfer): void {
    throw unsupported();
  }

  answer(_transfer: Transfer): void {
    throw unsupported();
  }

  stop(_transferId: string, _state: StopState, _error: { code: string; message: string }): void {
    // Nothing of ours is in flight with this peer (no transfers over IP Messenger yet).
  }

  askResume(_transferId: string): void {
    throw unsupported();
  }

  /** There is no connection to end: what the peer sent is dropped, and it stays listed. */
  fail(_error: FerryError): void {}
}

function unsupported(): FerryError {
  return new FerryError('PEER_UNSUPPORTED', 'Ferry does not send or receive files over IP Messenger yet');
}
