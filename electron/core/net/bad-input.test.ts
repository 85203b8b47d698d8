/**
 * Hostile and broken clients against a real node on 127.0.0.1. Each one is
 * refused with a clear error, closed and logged, while a well-behaved peer
 * keeps chatting with the same node.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { startNode, type TestNode } from '../../../test/helpers/nodes';
import { rawPeer } from '../../../test/helpers/raw-peer';
import { waitUntil } from '../../../test/helpers/wait';

const UUID = '0b7c3a6e-3f0e-4c55-9f4e-2d6f3b1a9c10';
const fastTimers = { timers: { pingIntervalMs: 300, idleTimeoutMs: 1_000 }, handshakeTimeoutMs: 1_000 };

async function serverAndFriend(
  options = fastTimers,
): Promise<{ server: TestNode; friend: TestNode; chat: () => Promise<void> }> {
  const server = await startNode('Server', options);
  const friend = await startNode('Friend');
  const serverPeer = await friend.node.addPeer(server.address);
  let n = 0;
  return {
    server,
    friend,
    // Proves the server still serves a good peer: a message is stored and acked.
    chat: async () => {
      const sent = await friend.node.sendMessage(`direct:${serverPeer.id}`, `still here ${++n}`);
      await friend.waitFor('messageUpdated', (m) => m.id === sent.id && m.state === 'delivered');
    },
  };
}

function noticesWith(node: TestNode, code: string) {
  return node.events.filter((e) => e.name === 'notice' && (e.payload as { code: string }).code === code);
}

describe('bad input on the listening socket', () => {
  it('refuses plain text instead of TLS, logs it once, keeps serving', async () => {
    const { server, chat } = await serverAndFriend();
    const socket = net.connect(server.node.listeningPort, '127.0.0.1');
    socket.on('error', () => {});
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((r) => socket.once('close', r));
    await server.waitFor('notice', (n) => n.code === 'TLS_FAILED');
    expect(noticesWith(server, 'TLS_FAILED')).toHaveLength(1);
    await chat();
  });

  it.each([
    ['a header length of 0xFFFFFFFF', Buffer.from([0xff, 0xff, 0xff, 0xff]), 'FRAME_TOO_LARGE'],
    ['a header that is not JSON', Buffer.concat([Buffer.from([0, 0, 0, 5]), Buffer.from('hello')]), 'BAD_FRAME'],
    ['an unknown frame type', frameBytes('{"type":"shell","cmd":"id"}'), 'UNKNOWN_FRAME'],
  ])('answers %s with an error frame and a close', async (_label, bytes, code) => {
    const { server, chat } = await serverAndFriend();
    const raw = await rawPeer(server.node.listeningPort);
    raw.socket.write(bytes);
    await raw.closed;
    expect(raw.frames.find((f) => f.type === 'error')).toMatchObject({ code });
    await server.waitFor('notice', (n) => n.code === code);
    expect(noticesWith(server, code)).toHaveLength(1);
    await chat();
  });

  it('refuses a body longer than declared after the handshake', async () => {
    const { server, chat } = await serverAndFriend();
    const raw = await rawPeer(server.node.listeningPort);
    raw.hello();
    await waitUntil(() => raw.frames.some((f) => f.type === 'hello'));
    const header = Buffer.from(JSON.stringify({ type: 'message', id: UUID, sentAt: 1, bodyLength: 3 }));
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(header.length);
    raw.socket.write(Buffer.concat([prefix, header, Buffer.from('abc and then some more bytes')]));
    await raw.closed;
    expect(raw.frames.find((f) => f.type === 'error')?.code).toMatch(/FRAME_TOO_LARGE|BAD_FRAME/);
    // The declared part was a valid message: it is stored once and acked; the excess is refused.
    expect(raw.frames.some((f) => f.type === 'ack')).toBe(true);
    await chat();
  });

  it('times out a connection that sends half a frame and goes silent', async () => {
    const { server, chat } = await serverAndFriend();
    const raw = await rawPeer(server.node.listeningPort);
    raw.hello();
    await waitUntil(() => raw.frames.some((f) => f.type === 'hello'));
    raw.socket.write(frameBytes(`{"type":"ack","id":"${UUID}"}`).subarray(0, 10));
    // Keep reading (so our side is not the one stalling) but send nothing more.
    await raw.closed;
    await server.waitFor('notice', (n) => n.code === 'IDLE_TIMEOUT');
    await chat();
  });

  it('times out a TLS client that never says hello', async () => {
    // The hello deadline must come before the idle timeout (which closes without a word), and
    // it bounds the TLS handshake too: leave a loaded machine time to finish that.
    const { server, chat } = await serverAndFriend({
      timers: { pingIntervalMs: 300, idleTimeoutMs: 30_000 },
      handshakeTimeoutMs: 2_000,
    });
    const raw = await rawPeer(server.node.listeningPort);
    await raw.closed;
    expect(raw.frames.find((f) => f.type === 'error')).toMatchObject({ code: 'HANDSHAKE_TIMEOUT' });
    await chat();
  });

  it('survives 200 idle connections and closes them all, still serving a peer', async () => {
    const { server, chat } = await serverAndFriend();
    const sockets = await Promise.all(
      Array.from(
        { length: 200 },
        () =>
          new Promise<net.Socket>((resolve, reject) => {
            const s = net.connect(server.node.listeningPort, '127.0.0.1', () => resolve(s));
            s.on('error', reject);
          }),
      ),
    );
    const allClosed = Promise.all(sockets.map((s) => new Promise((r) => s.once('close', r))));
    await chat(); // served while 200 connections sit idle
    await allClosed; // the per-address cap (32) cut the rest at once; the TLS handshake timeout closed the others
    await waitUntil(() => noticesWith(server, 'TLS_FAILED').length > 0);
    // Reported, but bounded: not one notice per connection.
    expect(noticesWith(server, 'TLS_FAILED').length + noticesWith(server, 'RATE_LIMITED').length).toBeLessThan(60);
    await chat();
  }, 20_000);
});

function frameBytes(json: string): Buffer {
  const body = Buffer.from(json);
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(body.length);
  return Buffer.concat([prefix, body]);
}
