/** Peer ids and conversation ids: what they are made of, and what is refused. */
import { describe, expect, it } from 'vitest';
import { parseArgs } from './api';
import { CONVERSATION_ID, directConversationId, directPeerOf } from './conversation-id';
import { ferryPeerId, fingerprintOfPeer, PEER_ID } from './peer-id';

const FP = '0123456789abcdef'.repeat(4);

describe('peer ids', () => {
  it('names a Ferry peer `ferry:` and its fingerprint, and reads the fingerprint back', () => {
    expect(ferryPeerId(FP)).toBe(`ferry:${FP}`);
    expect(fingerprintOfPeer(`ferry:${FP}`)).toBe(FP);
    expect(PEER_ID.test(`ferry:${FP}`)).toBe(true);
  });

  it.each([
    ['a bare fingerprint (0.1.0)', FP],
    ['upper-case hex', `ferry:${FP.toUpperCase()}`],
    ['one digit short', `ferry:${FP.slice(1)}`],
    ['one digit long', `ferry:${FP}0`],
    ['another protocol', `ipmsg:${FP}`],
    ['text around it', ` ferry:${FP}`],
  ])('is not %s', (_what, id) => {
    expect(fingerprintOfPeer(id)).toBeNull();
    expect(PEER_ID.test(id)).toBe(false);
  });

  it('is what the contract takes where it takes a peer, with a message saying so', () => {
    expect(parseArgs('forgetPeer', [`ferry:${FP}`])).toEqual([`ferry:${FP}`]);
    expect(() => parseArgs('forgetPeer', [FP])).toThrow(
      expect.objectContaining({
        issues: [expect.objectContaining({ message: 'a peer id is "ferry:" and 64 lower-case hex characters' })],
      }),
    );
  });
});

describe('direct conversation ids', () => {
  it('are `direct:` and a peer id, and give the peer id back', () => {
    const id = directConversationId(`ferry:${FP}`);
    expect(id).toBe(`direct:ferry:${FP}`);
    expect(directPeerOf(id)).toBe(`ferry:${FP}`);
    expect(CONVERSATION_ID.test(id)).toBe(true);
  });

  it.each([
    ['a bare fingerprint after direct: (schema 4)', `direct:${FP}`],
    ['a peer id alone', `ferry:${FP}`],
    ['a group', `group:${FP}`],
    ['a trailing character', `direct:ferry:${FP}x`],
  ])('are not %s', (_what, id) => {
    expect(directPeerOf(id)).toBeNull();
    expect(CONVERSATION_ID.test(id)).toBe(false);
  });
});
