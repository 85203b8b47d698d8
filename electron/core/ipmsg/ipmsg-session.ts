/**
 * A PeerSession over the IP Messenger protocol: chat with delivered receipts, and
 * files and folders both ways the protocol's way — the receiver fetches them over
 * TCP (`pull`), from an offer sent over UDP. There is no resume (iptux ignores the
 * offset: a file starts again from byte 0) and nothing to verify.
 */
import type { PeerCapabilities } from '../../../shared/dto';
import { FerryError } from '../ferry-error';
import type { OutgoingMessage, PeerSession, StopState } from '../session/peer-session';
import type { Transfer } from '../store/transfer-repo';
import type { PullSource } from '../transfer/pull-source';
import type { IpmsgPeer, IpmsgService } from './ipmsg-service';

/** Plaintext, unauthenticated, chat with delivered receipts, files and folders; no resume, no verification, no groups. */
export const IPMSG_CAPABILITIES: PeerCapabilities = Object.freeze({
  encrypted: false,
  verifiable: false,
  chat: true,
  receipts: true,
  files: true,
  folders: true,
  resume: false,
  groups: false,
  recall: false,
});

export class IpmsgSession implements PeerSession {
  readonly protocol = 'ipmsg' as const;
  readonly capabilities = IPMSG_CAPABILITIES;
  readonly pull: PullSource;

  constructor(
    private readonly service: IpmsgService,
    readonly peer: IpmsgPeer,
  ) {
    this.pull = {
      honoursOffset: false,
      file: (t, index, offset, signal) => service.pullFile(this.peer, t.id, index, offset, signal),
      folder: (t, index, signal) => service.pullFolder(this.peer, t.id, index, signal),
    };
  }

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

  /** IP Messenger has no recall: the engine checks `capabilities.recall` and never gets here. */
  recall(): void {
    throw new FerryError('PEER_UNSUPPORTED', 'IP Messenger, FeiQ and iptux have no way to recall a message');
  }

  offer(transfer: Transfer): void {
    this.service.offerFiles(this.peer, transfer);
  }

  /** Accepting says nothing on the wire (fetching the files is the answer); declining frees them. */
  answer(transfer: Transfer): void {
    if (transfer.state !== 'active') this.service.release(transfer.id);
  }

  stop(transferId: string, state: StopState, _error: { code: string; message: string }): void {
    // Ours: stop serving it. Theirs: free it, unless it failed here and may be fetched again.
    this.service.withdraw(transferId);
    if (state !== 'failed') this.service.release(transferId);
  }

  /** We resume an offer of ours by offering it again; a peer's offer is resumed by fetching it again. */
  askResume(_transferId: string): void {}

  /** There is no connection to end: what the peer sent is dropped, and it stays listed. */
  fail(_error: FerryError): void {}
}
