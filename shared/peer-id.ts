/**
 * Peer ids name a peer independently of the protocol that reaches it:
 * `<protocol>:<that protocol's own id>`.
 * - A Ferry peer is `ferry:<certificate fingerprint>` (64 lower-case hex characters).
 * - An IP Messenger peer (FeiQ 飞秋, IP Messenger, iptux) is `ipmsg:<IPv4 address>`:
 *   the protocol knows a peer only by its address (port 2425 is fixed), and so does
 *   every client of it. It proves nothing about who is there.
 */
import type { DeviceId } from './dto';

const FERRY_SOURCE = 'ferry:([0-9a-f]{64})';
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPMSG_SOURCE = `ipmsg:(${OCTET}(?:\\.${OCTET}){3})`;

const FERRY = new RegExp(`^${FERRY_SOURCE}$`);
const IPMSG = new RegExp(`^${IPMSG_SOURCE}$`);

/** Every kind of peer id the engine knows, inside a longer pattern (a conversation id). */
export const PEER_ID_SOURCE = `(?:ferry:[0-9a-f]{64}|ipmsg:${OCTET}(?:\\.${OCTET}){3})`;
/** Validation pattern for the contract. */
export const PEER_ID = new RegExp(`^${PEER_ID_SOURCE}$`);

/** The peer id of a Ferry device with this certificate fingerprint. */
export function ferryPeerId(fingerprint: string): DeviceId {
  return `ferry:${fingerprint}`;
}

/** The certificate fingerprint of a Ferry peer id, or null when `peerId` is not one. */
export function fingerprintOfPeer(peerId: string): string | null {
  return FERRY.exec(peerId)?.[1] ?? null;
}

/** The peer id of the IP Messenger peer at this IPv4 address. */
export function ipmsgPeerId(ip: string): DeviceId {
  return `ipmsg:${ip}`;
}

/** The IPv4 address of an IP Messenger peer id, or null when `peerId` is not one. */
export function ipOfPeer(peerId: string): string | null {
  return IPMSG.exec(peerId)?.[1] ?? null;
}

/** The protocol a peer id belongs to. */
export function protocolOfPeer(peerId: string): 'ferry' | 'ipmsg' | null {
  if (FERRY.test(peerId)) return 'ferry';
  if (IPMSG.test(peerId)) return 'ipmsg';
  return null;
}
