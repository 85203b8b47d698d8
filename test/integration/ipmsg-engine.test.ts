/**
 * Ferry as an IP Messenger peer, through the engine's contract, against a raw peer
 * that sends the bytes FeiQ / IP Messenger / iptux send. Both sit on loopback
 * addresses (127.0.0.1 and 127.0.0.2) on one free UDP port standing in for 2425;
 * nothing is broadcast (broadcast: false), nothing leaves the machine. The real
 * iptux is in ipmsg-iptux.test.ts, inside network namespaces.
 */
import dgram from 'node:dgram';
import iconv from 'iconv-lite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MODE, OPT } from '../../electron/core/ipmsg/ipmsg-packet';
import type { FerryNodeOptions } from '../../electron/core/ferry-node';
import { startNode, stopNode, type TestNode } from '../helpers/nodes';
import { freeUdpPort, rawIpmsgPeer, type RawIpmsgPeer, type Received } from '../helpers/ipmsg-peer';
import { freeIpmsgPort } from '../helpers/ipmsg-tcp';
import { rejection } from '../helpers/rejection';
import { waitUntil } from '../helpers/wait';

const FERRY_IP = '127.0.0.1';
const PEER_IP = '127.0.0.2';
const PEER = `ipmsg:${PEER_IP}`;
const CONVERSATION = `direct:${PEER}`;
const IPTUX = { version: '1_iptux 0.8.3', user: 'root', host: 'vm' };
const FEIQ_VERSION = '1_lbt6_0#128#00E04C123456#0#0#0#4001#9';

let port: number;
let ferry: TestNode;
let peer: RawIpmsgPeer;

function ipmsgOptions(extra: Partial<FerryNodeOptions['ipmsgOptions']> = {}): Partial<FerryNodeOptions> {
  return {
    ipmsg: true,
    // The legacy charset is pinned: by default it follows the computer's locale.
    ipmsgOptions: {
      port,
      bind: FERRY_IP,
      broadcast: false,
      retryMs: 150,
      retries: 3,
      legacyCharset: 'gb18030',
      ...extra,
    },
  };
}

const utf8 = (p: Received) => p.extra.toString('utf8');
const isMessage = (text: string) => (p: Received) => p.mode === MODE.SENDMSG && utf8(p) === text;

/** The raw peer announces itself the way iptux does (UTF-8, "compatible"). */
async function iptuxEnters(nick = 'iptux-peer'): Promise<void> {
  peer.send(MODE.BR_ENTRY | OPT.ABSENCE, nick, { sections: ['QA', 'icon-tux.png', 'utf-8'] });
  await ferry.waitFor('peerUpdated', (p) => p.id === PEER && p.online && p.name === nick);
}

beforeEach(async () => {
  port = await freeIpmsgPort([FERRY_IP, PEER_IP]);
  ferry = await startNode('ferry', ipmsgOptions());
  peer = await rawIpmsgPeer(PEER_IP, port, { ip: FERRY_IP, port }, IPTUX);
});
afterEach(async () => {
  await peer.close();
});

describe('IP Messenger presence', () => {
  it('answers an entry and lists the peer as IP Messenger: unencrypted, not verifiable, files without resume', async () => {
    peer.send(MODE.BR_ENTRY | OPT.ABSENCE, 'iptux-peer', { sections: ['QA', 'icon-tux.png', 'utf-8'] });
    const seen = await ferry.waitFor('peerUpdated', (p) => p.id === PEER && p.online);
    expect(seen).toMatchObject({
      protocol: 'ipmsg',
      name: 'iptux-peer',
      platform: 'iptux',
      addresses: [`${PEER_IP}:${port}`],
      capabilities: { encrypted: false, verifiable: false, chat: true, receipts: true, files: true, resume: false },
      ipmsg: { user: 'root', host: 'vm', group: 'QA' },
    });
    const answer = await peer.waitFor((p) => p.mode === MODE.ANSENTRY, 'ANSENTRY');
    expect(utf8(answer)).toBe('ferry');
    // iptux reads the fourth section as "speaks UTF-8"; IP Messenger reads CAPUTF8OPT.
    expect(answer.sections.map((s) => s.toString('utf8'))).toEqual(['Ferry', '', 'utf-8']);
    expect(answer.command & OPT.CAPUTF8).toBe(OPT.CAPUTF8);
    expect(await ferry.node.listPeers()).toEqual([expect.objectContaining({ id: PEER, online: true })]);
  });

  it('a goodbye marks the peer offline; what is written meanwhile is sent when it is back', async () => {
    await iptuxEnters();
    peer.send(MODE.BR_EXIT | OPT.DIALUP, '');
    await ferry.waitFor('peerUpdated', (p) => p.id === PEER && !p.online);
    const queued = await ferry.node.sendMessage(CONVERSATION, 'while you were away');
    expect(queued.state).toBe('queued');
    expect(peer.received.some(isMessage('while you were away'))).toBe(false);
    await iptuxEnters();
    const sent = await peer.waitFor(isMessage('while you were away'), 'the queued message');
    peer.send(MODE.RECVMSG, String(sent.packetNo));
    await ferry.waitFor('messageUpdated', (m) => m.id === queued.id && m.state === 'delivered');
  });

  it('a peer that never acknowledges is tried a bounded number of times, then shown offline', async () => {
    await iptuxEnters();
    const message = await ferry.node.sendMessage(CONVERSATION, 'anyone there?');
    await ferry.waitFor('peerUpdated', (p) => p.id === PEER && !p.online);
    const tries = peer.received.filter(isMessage('anyone there?'));
    expect(tries).toHaveLength(3);
    expect(new Set(tries.map((t) => t.packetNo)).size).toBe(1); // the same packet, re-sent
    const [stored] = (await ferry.node.listMessages(CONVERSATION)).messages;
    expect(stored).toMatchObject({ id: message.id, state: 'sent' });
  });

  it('a name with controls and bidi overrides is cleaned; an empty one falls back to the login', async () => {
    peer.send(MODE.BR_ENTRY, 'Bob\u202Egpj.exe\u0007\u0008', { sections: ['Q\u0000A'] });
    await ferry.waitFor('peerUpdated', (p) => p.id === PEER && p.name === 'Bobgpj.exe');
    peer.send(MODE.BR_ABSENCE, '\u202E\u2066\u0007', { user: 'mallory' });
    await ferry.waitFor('peerUpdated', (p) => p.id === PEER && p.name === 'mallory');
  });

  it('addPeer("ipmsg:<address>") asks that address directly and keeps the peer; silence is a clear error', async () => {
    // The raw peer answers entries like any IP Messenger client.
    const answering = setInterval(() => {
      const entry = peer.received.find((p) => p.mode === MODE.BR_ENTRY);
      if (entry && !peer.received.some((p) => p.mode === -1)) {
        peer.send(MODE.ANSENTRY, 'answered', { sections: ['', '', 'utf-8'] });
        peer.received.push({ ...entry, mode: -1 });
      }
    }, 10);
    try {
      const added = await ferry.node.addPeer(`ipmsg:${PEER_IP}`);
      expect(added).toMatchObject({ id: PEER, manual: true, online: true, name: 'answered' });
      const knock = peer.received.find((p) => p.mode === MODE.BR_ENTRY)!;
      expect(knock.command & OPT.DIALUP).toBe(OPT.DIALUP);
    } finally {
      clearInterval(answering);
    }
    const err = await rejection(ferry.node.addPeer('ipmsg:127.0.0.3'));
    expect(err).toMatchObject({ code: 'PEER_UNREACHABLE' });
    expect(err.message).toContain('127.0.0.3');
  });

  it('packet numbers keep increasing across a restart', async () => {
    await iptuxEnters();
    const first = (await peer.waitFor((p) => p.mode === MODE.ANSENTRY, 'ANSENTRY')).packetNo;
    const { dataDir } = ferry;
    await stopNode(ferry);
    ferry = await startNode('ferry', { ...ipmsgOptions(), dataDir });
    peer.received.length = 0;
    await iptuxEnters();
    const again = await peer.waitFor((p) => p.mode === MODE.ANSENTRY, 'ANSENTRY after the restart');
    expect(again.packetNo).toBeGreaterThan(first);
  });

  it('when the port is taken: a clear notice, IP Messenger off, everything else fine', async () => {
    const squatter = dgram.createSocket('udp4');
    const taken = await freeUdpPort();
    await new Promise<void>((resolve) => squatter.bind(taken, FERRY_IP, resolve));
    try {
      const other = await startNode('other', {
        ipmsg: true,
        ipmsgOptions: { port: taken, bind: FERRY_IP, broadcast: false },
      });
      const notice = await other.waitFor('notice', (n) => n.code === 'IPMSG_UNAVAILABLE');
      expect(notice.message).toContain(`port ${taken} is taken`);
      expect(await other.node.getSelf()).toMatchObject({ name: 'other' });
      expect(await rejection(other.node.addPeer(`ipmsg:${PEER_IP}`))).toMatchObject({ code: 'PEER_UNSUPPORTED' });
    } finally {
      squatter.close();
    }
  });
});

describe('IP Messenger beside Ferry', () => {
  it('a legacy peer using a Ferry peer’s name is a different, unverifiable peer', async () => {
    const bob = await startNode('Bob');
    await ferry.node.addPeer(bob.address);
    await ferry.node.setPeerVerified(bob.node.peerId, true);
    peer.send(MODE.BR_ENTRY, 'Bob', { sections: ['', '', 'utf-8'] });
    await ferry.waitFor('peerUpdated', (p) => p.id === PEER && p.online);
    const peers = await ferry.node.listPeers();
    const named = peers.filter((p) => p.name === 'Bob');
    expect(named.map((p) => [p.id, p.protocol, p.verified])).toEqual(
      expect.arrayContaining([
        [bob.node.peerId, 'ferry', true],
        [PEER, 'ipmsg', false],
      ]),
    );
    expect(named).toHaveLength(2);
  });

  it('turning the setting off says goodbye and closes the port; on again, it is back', async () => {
    await iptuxEnters();
    await ferry.node.updateSettings({ ipmsg: false });
    await peer.waitFor((p) => p.mode === MODE.BR_EXIT, 'the goodbye');
    await ferry.waitFor('peerUpdated', (p) => p.id === PEER && !p.online);
    // The port is free again: something else can take it.
    const probe = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.bind(port, FERRY_IP, resolve);
    });
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    await ferry.node.updateSettings({ ipmsg: true });
    peer.received.length = 0;
    await iptuxEnters();
    await peer.waitFor((p) => p.mode === MODE.ANSENTRY, 'answered again');
  });

  it('a flood from one address is cut off (and said so once), and the engine keeps answering', async () => {
    await iptuxEnters();
    for (let i = 0; i < 400; i++) peer.send(MODE.SENDMSG, `flood ${i}`);
    const notice = await ferry.waitFor('notice', (n) => n.code === 'IPMSG_DROPPED');
    expect(notice.message).toContain('rate');
    const stored = (await ferry.node.listMessages(CONVERSATION, { limit: 500 })).messages.length;
    expect(stored).toBeLessThan(400);
    expect(stored).toBeGreaterThan(0);
    expect(ferry.events.filter((e) => e.name === 'notice' && e.payload.code === 'IPMSG_DROPPED')).toHaveLength(1);
    // A real sender re-sends until it hears back; once the bucket refills, it does.
    const no = peer.send(MODE.SENDMSG | OPT.SENDCHECK, 'after the flood');
    await waitUntil(
      () => {
        peer.send(MODE.SENDMSG | OPT.SENDCHECK, 'after the flood', { packetNo: no });
        return peer.received.some((p) => p.mode === MODE.RECVMSG && utf8(p) === String(no));
      },
      { everyMs: 200, what: 'a receipt after the flood' },
    );
  });
});

describe('IP Messenger chat', () => {
  it('messages both ways with receipts: CJK, emoji and line breaks intact', async () => {
    await iptuxEnters();
    const no = peer.send(MODE.SENDMSG | OPT.SENDCHECK, 'hi from iptux 你好\r\nsecond line');
    const added = await ferry.waitFor('messageAdded', (m) => m.conversationId === CONVERSATION);
    expect(added).toMatchObject({ direction: 'in', text: 'hi from iptux 你好\nsecond line', peerId: PEER });
    const receipt = await peer.waitFor((p) => p.mode === MODE.RECVMSG, 'RECVMSG');
    expect(utf8(receipt)).toBe(String(no));

    const text = '你好 Ferry 👋\n第二行';
    const out = await ferry.node.sendMessage(CONVERSATION, text);
    const sent = await peer.waitFor(isMessage(text), 'our message');
    expect(sent.command & OPT.SENDCHECK).toBe(OPT.SENDCHECK);
    peer.send(MODE.RECVMSG, String(sent.packetNo));
    await ferry.waitFor('messageUpdated', (m) => m.id === out.id && m.state === 'delivered');
  });

  it('a GBK peer (FeiQ) is read as GB18030, its font block dropped, and answered in GB18030', async () => {
    const gbk = (s: string) => iconv.encode(s, 'gbk');
    peer.send(MODE.BR_ENTRY | OPT.ABSENCE, gbk('飞秋用户'), { version: FEIQ_VERSION, sections: [gbk('研发部')] });
    const seen = await ferry.waitFor('peerUpdated', (p) => p.id === PEER && p.online);
    expect(seen).toMatchObject({ name: '飞秋用户', platform: 'FeiQ' });
    const answer = await peer.waitFor((p) => p.mode === MODE.ANSENTRY, 'ANSENTRY');
    expect(answer.extra.equals(Buffer.from('ferry'))).toBe(true);

    peer.send(MODE.SENDMSG | OPT.SENDCHECK, gbk('回复：中文{/font;-12;0;0;0;400;0;0;0;1;2;1;34;宋体}'), {
      version: FEIQ_VERSION,
    });
    await ferry.waitFor('messageAdded', (m) => m.direction === 'in' && m.text === '回复：中文');

    await ferry.node.sendMessage(CONVERSATION, '收到，谢谢');
    const reply = await peer.waitFor((p) => p.mode === MODE.SENDMSG, 'the reply');
    expect(reply.extra.equals(Buffer.from([0xca, 0xd5, 0xb5, 0xbd, 0xa3, 0xac, 0xd0, 0xbb, 0xd0, 0xbb]))).toBe(true);
    expect(reply.command & OPT.UTF8).toBe(0);
  });

  it('on a Japanese computer an old IP Messenger (CP932, no UTF-8) is read and answered in CP932', async () => {
    await stopNode(ferry);
    ferry = await startNode('ferry', ipmsgOptions({ legacyCharset: 'cp932' }));
    const sjis = (s: string) => iconv.encode(s, 'cp932');
    peer.send(MODE.BR_ENTRY, sjis('山田太郎'), { version: '1', sections: [sjis('開発部')] });
    const seen = await ferry.waitFor('peerUpdated', (p) => p.id === PEER && p.online);
    expect(seen).toMatchObject({ name: '山田太郎', platform: 'IP Messenger', ipmsg: { group: '開発部' } });
    peer.send(MODE.SENDMSG | OPT.SENDCHECK, sjis('了解しました'), { version: '1' });
    await ferry.waitFor('messageAdded', (m) => m.direction === 'in' && m.text === '了解しました');
    await ferry.node.sendMessage(CONVERSATION, 'ありがとう');
    const reply = await peer.waitFor((p) => p.mode === MODE.SENDMSG, 'the reply');
    expect(reply.extra.equals(sjis('ありがとう'))).toBe(true);
  });

  it('a peer announcing CAPUTF8OPT gets UTF-8 with UTF8OPT', async () => {
    peer.send(MODE.BR_ENTRY | OPT.CAPUTF8, 'ipmsg-user', { version: '1' });
    await ferry.waitFor('peerUpdated', (p) => p.id === PEER && p.online);
    await ferry.node.sendMessage(CONVERSATION, 'こんにちは');
    const sent = await peer.waitFor(isMessage('こんにちは'), 'our message');
    expect(sent.command & OPT.UTF8).toBe(OPT.UTF8);
  });

  it('a re-sent packet is stored once; broadcast and auto-reply messages are stored but never acknowledged', async () => {
    await iptuxEnters();
    const no = peer.send(MODE.SENDMSG | OPT.SENDCHECK, 'once');
    peer.send(MODE.SENDMSG | OPT.SENDCHECK, 'once', { packetNo: no });
    const broadcast = peer.send(MODE.SENDMSG | OPT.SENDCHECK | OPT.BROADCAST, 'to everyone');
    const autoReply = peer.send(MODE.SENDMSG | OPT.SENDCHECK | OPT.AUTORET, 'I am away');
    const last = peer.send(MODE.SENDMSG | OPT.SENDCHECK, 'last');
    // The last message's receipt shows everything before it was handled.
    await peer.waitFor((p) => p.mode === MODE.RECVMSG && utf8(p) === String(last), 'receipt of the last');
    const receipts = peer.received.filter((p) => p.mode === MODE.RECVMSG).map(utf8);
    expect(receipts).not.toContain(String(broadcast));
    expect(receipts).not.toContain(String(autoReply));
    expect(receipts.filter((r) => r === String(no)).length).toBeGreaterThanOrEqual(1);
    const texts = (await ferry.node.listMessages(CONVERSATION)).messages.map((m) => m.text);
    expect(texts).toEqual(['once', 'to everyone', 'I am away', 'last']);
  });

  it('a long message goes in pieces that each fit a datagram, delivered once all are acknowledged', async () => {
    await iptuxEnters();
    const text = `${'长'.repeat(3000)}\n${'x'.repeat(9000)} 😀`;
    const out = await ferry.node.sendMessage(CONVERSATION, text);
    let pieces: Received[] = [];
    await waitUntil(
      () => {
        pieces = peer.received.filter((p) => p.mode === MODE.SENDMSG);
        return pieces.map(utf8).join('') === text;
      },
      { what: 'every piece' },
    );
    expect(pieces.length).toBeGreaterThan(2);
    for (const piece of pieces) expect(piece.extra.length).toBeLessThanOrEqual(8192 - 100);
    for (const piece of pieces.slice(0, -1)) peer.send(MODE.RECVMSG, String(piece.packetNo));
    const lastPiece = pieces.at(-1)!;
    // Not delivered until the last piece is acknowledged.
    const [before] = (await ferry.node.listMessages(CONVERSATION)).messages;
    expect(before!.state).toBe('sent');
    peer.send(MODE.RECVMSG, String(lastPiece.packetNo));
    await ferry.waitFor('messageUpdated', (m) => m.id === out.id && m.state === 'delivered');
  });

  it('garbage, oversized and half-formed datagrams are dropped; the engine keeps talking', async () => {
    await iptuxEnters();
    peer.sendRaw(Buffer.alloc(9000, 0x41));
    peer.sendRaw(Buffer.from('not ipmsg at all'));
    peer.sendRaw(Buffer.from('1:x:u:h:32:bad packet number\0'));
    peer.sendRaw(Buffer.from('1:1:u:h:99999999999:command out of range\0'));
    peer.sendRaw(Buffer.from('\x01\x02:1:u:h:32:bad version\0'));
    peer.sendRaw(Buffer.concat([Buffer.from('1:77:u:h:288:'), Buffer.from([0xff, 0xfe, 0x00, 0x80])]));
    const no = peer.send(MODE.SENDMSG | OPT.SENDCHECK, 'still here?');
    await peer.waitFor((p) => p.mode === MODE.RECVMSG && utf8(p) === String(no), 'a receipt after the garbage');
    const texts = (await ferry.node.listMessages(CONVERSATION)).messages.map((m) => m.text);
    expect(texts).toEqual(['\uFFFD\uFFFD', 'still here?'].filter((t) => texts.includes(t)));
    expect(texts).toContain('still here?');
  });

  it('a blocked peer is acknowledged (it stops retrying) but nothing is stored', async () => {
    await iptuxEnters();
    await ferry.node.setPeerBlocked(PEER, true);
    const no = peer.send(MODE.SENDMSG | OPT.SENDCHECK, 'let me in');
    await peer.waitFor((p) => p.mode === MODE.RECVMSG && utf8(p) === String(no), 'the receipt');
    expect((await ferry.node.listMessages(CONVERSATION)).messages).toEqual([]);
  });

  it('verification is refused with a reason, not attempted', async () => {
    await iptuxEnters();
    expect(await rejection(ferry.node.getVerificationCode(PEER))).toMatchObject({ code: 'PEER_UNSUPPORTED' });
    expect(await rejection(ferry.node.setPeerVerified(PEER, true))).toMatchObject({ code: 'PEER_UNSUPPORTED' });
  });
});
