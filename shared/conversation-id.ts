/**
 * Conversation ids. A conversation is where messages and file activity live:
 * `direct:<peer id>` is the one with a single peer (groups come with their own kind).
 */
import type { DeviceId } from './dto';
import { PEER_ID_SOURCE } from './peer-id';

export type ConversationId = string;

const DIRECT = new RegExp(`^direct:(${PEER_ID_SOURCE})$`);

/** The direct conversation with a peer. */
export function directConversationId(peerId: DeviceId): ConversationId {
  return `direct:${peerId}`;
}

/** The peer of a direct conversation id, or null when `id` is not one. */
export function directPeerOf(id: string): DeviceId | null {
  return DIRECT.exec(id)?.[1] ?? null;
}

/** Validation pattern for the contract (every kind of conversation id the engine knows). */
export const CONVERSATION_ID = DIRECT;
