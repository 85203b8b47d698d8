/**
 * Peer ids name a peer independently of the protocol that reaches it:
 * `<protocol>:<that protocol's own id>`. Today every peer is a Ferry peer,
 * `ferry:<certificate fingerprint>` (64 lower-case hex characters); IP Messenger
 * and LocalSend peers get their own prefix when those protocols arrive.
 */
import type { DeviceId } from './dto';

const FERRY = /^ferry:([0-9a-f]{64})$/;

/** Validation pattern for the contract (every kind of peer id the engine knows). */
export const PEER_ID = FERRY;
/** The same, inside a longer id (a conversation id). */
export const PEER_ID_SOURCE = FERRY.source.slice(1, -1);

/** The peer id of a Ferry device with this certificate fingerprint. */
export function ferryPeerId(fingerprint: string): DeviceId {
  return `ferry:${fingerprint}`;
}

/** The certificate fingerprint of a Ferry peer id, or null when `peerId` is not one. */
export function fingerprintOfPeer(peerId: string): string | null {
  return FERRY.exec(peerId)?.[1] ?? null;
}
