/** Peer ids and conversation ids: what they are made of, and what is refused. */
import { describe, expect, it } from 'vitest';
import { parseArgs } from './api';
import { CONVERSATION_ID, directConversationId, directPeerOf } from './conversation-id';
import { ferryPeerId, fingerprintOfPeer, ipmsgPeerId, ipOfPeer, PEER_ID, protocolOfPeer } from './peer-id';

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
        issues: [
          expect.objectContaining({
            message: 'a peer id is "ferry:" and 64 lower-case hex characters, or "ipmsg:" and an IPv4 address',
          }),
        ],
      }),
    );
  });
});

describe('IP Messenger peer ids', () => {
  it('name a peer `ipmsg:` and its IPv4 address, and read the address back', () => {
    expect(ipmsgPeerId('192.168.1.20')).toBe('ipmsg:192.168.1.20');
    expect(ipOfPeer('ipmsg:192.168.1.20')).toBe('192.168.1.20');
    expect(PEER_ID.test('ipmsg:192.168.1.20')).toBe(true);
    expect(protocolOfPeer('ipmsg:10.0.0.1')).toBe('ipmsg');
    expect(protocolOfPeer(`ferry:${FP}`)).toBe('ferry');
    expect(fingerprintOfPeer('ipmsg:10.0.0.1')).toBeNull();
    expect(CONVERSATION_ID.test('direct:ipmsg:10.0.0.1')).toBe(true);
    expect(directPeerOf('direct:ipmsg:10.0.0.1')).toBe('ipmsg:10.0.0.1');
  });

  it.each([
    ['an octet over 255', 'ipmsg:10.0.0.256'],
    ['a leading zero', 'ipmsg:10.0.0.01'],
    ['three octets', 'ipmsg:10.0.0'],
    ['a port', 'ipmsg:10.0.0.1:2425'],
    ['a host name', 'ipmsg:printer.local'],
    ['IPv6', 'ipmsg:::1'],
  ])('are not %s', (_what, id) => {
    expect(ipOfPeer(id)).toBeNull();
    expect(PEER_ID.test(id)).toBe(false);
    expect(protocolOfPeer(id)).toBeNull();
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
