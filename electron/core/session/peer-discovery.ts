/**
 * How one protocol finds peers on the LAN: a plug-in per protocol. Ferry's own UDP
 * announcements are the first (discovery/ferry-discovery.ts); IP Messenger's and
 * LocalSend's announcements plug in beside it. What a plug-in hears is a claim until
 * the protocol's handshake proves it, so it only ever says where to try.
 */
import type { PeerProtocol } from './peer-session';

export interface PeerDiscovery {
  readonly protocol: PeerProtocol;
  /** Starts listening and announcing; rejects when the network refuses (the caller says discovery is off). */
  start(): Promise<void>;
  /** Says goodbye (peers mark us offline at once) and stops. */
  stop(): Promise<void>;
  /** Announces again now (our name changed). */
  announceNow(): void;
  /** Treats the peer's next announcement as new (it was unblocked or forgotten). */
  forget(peerId: string): void;
  /** Where the peer's latest announcement says it is: a claim to try, not proof. */
  announcedAddress(peerId: string): string | undefined;
}

/** What a discovery plug-in needs from the engine. */
export interface DiscoveryHost {
  /** Whether we know the peer, and whether it is blocked. */
  known(peerId: string): { blocked: boolean } | undefined;
  /** Whether the peer is connected now. */
  connected(peerId: string): boolean;
  /** The peer proved itself at an announced address: keep it connected. */
  reached(peerId: string): void;
  /** The peer stopped announcing or said goodbye. */
  gone(peerId: string): void;
}
