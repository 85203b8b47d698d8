/**
 * ConnectionManager pairs on 127.0.0.1, without a whole node around them: the
 * hello handshake and what each side is told when it is refused, side
 * connections, one link per peer pair, the per-address limit, redials and stop().
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { rawPeer, testIdentity } from '../../../test/helpers/raw-peer';
import { waitUntil } from '../../../test/helpers/wait';
import { FerryError } from '../ferry-error';
import { ferryPeerId, fingerprintOfPeer } from '../../../shared/peer-id';
import { createIdentity, type DeviceIdentity } from '../identity/device-identity';
import { shortId } from '../identity/fingerprint';
import { ConnectionManager, type ConnectionManagerOptions, type PeerLink } from './connection-manager';
import { rejection } from '../../../test/helpers/rejection';

const identities: DeviceIdentity[] = [];
/** The n-th test identity (made once per file, when first asked for). */
async function identity(n: number): Promise<DeviceIdentity> {
  while (identities.length <= n) identities.push(await createIdentity());
  return identities[n]!;
}

type Log = [level: string, code: string, message: string, peerId?: string];

interface Side {
  cm: ConnectionManager;
  id: string;
  fingerprint: string;
  port: number;
  address: string;
  logs: Log[];
  links: PeerLink[];
  unlinks: [PeerLink, FerryError | null][];
  sides: PeerLink[];
  certChanged: [string, FerryError][];
}

let started: ConnectionManager[] = [];
let servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(started.map((cm) => cm.stop()));
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  started = [];
  servers = [];
});

const QUIET = { pingIntervalMs: 60_000, idleTimeoutMs: 60_000 };

async function side(
  n: number,
  name: string,
  options: Partial<ConnectionManagerOptions> = {},
  listen = true,
): Promise<Side> {
  const id = await identity(n);
  const logs: Log[] = [];
  let port = 0;
  const cm = new ConnectionManager({
    identity: id,
    localHello: () => ({ name, platform: 'test', port, caps: ['chat'] }),
    authorize: () => null,
    log: (level, code, message, peerId) =>
      void logs.push(peerId ? [level, code, message, peerId] : [level, code, message]),
    timers: QUIET,
    redialBackoffMs: { min: 20, max: 40 },
    ...options,
  });
  started.push(cm);
  if (listen) port = await cm.listen(0, '127.0.0.1');
  const s: Side = {
    cm,
    id: ferryPeerId(id.id),
    fingerprint: id.id,
    port,
    address: `127.0.0.1:${port}`,
    logs,
    links: [],
    unlinks: [],
    sides: [],
    certChanged: [],
  };
  cm.on('link', (l) => s.links.push(l));
  cm.on('unlink', (l, e) => s.unlinks.push([l, e]));
  cm.on('side', (l) => s.sides.push(l));
  cm.on('certChanged', (peer, e) => s.certChanged.push([peer, e]));
  return s;
}

/** A TCP server on 127.0.0.1 that does `onSocket` with each connection. */
async function tcpServer(onSocket: (s: net.Socket) => void): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    onSocket(s);
  });
  // close() waits for open connections: end them first.
  const close = server.close.bind(server);
  server.close = (cb) => {
    for (const s of sockets) s.destroy();
    return close(cb);
  };
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

describe('ConnectionManager handshake', () => {
  it('links two managers over TLS 1.3; each learns the other from its hello', async () => {
    const a = await side(0, 'Alice');
    const b = await side(1, 'Bob');
    const link = await a.cm.dial(b.address);
    expect(link).toMatchObject({ peerId: b.id, direction: 'out', listenAddress: b.address });
    expect(link.hello).toMatchObject({
      type: 'hello',
      v: 1,
      id: b.fingerprint,
      name: 'Bob',
      platform: 'test',
      port: b.port,
    });
    expect(link.hello.caps).toEqual(['chat']);
    expect(link.conn.socket.getProtocol()).toBe('TLSv1.3');
    await waitUntil(() => b.links.length === 1, { what: 'link on the listener' });
    expect(b.links[0]).toMatchObject({ peerId: a.id, direction: 'in', listenAddress: a.address });
    expect(a.links).toEqual([link]);
    expect(a.cm.link(b.id)).toBe(link);
    expect(a.cm.connectedIds()).toEqual([b.id]);
    expect(b.cm.connectedIds()).toEqual([a.id]);
    expect(a.cm.selfId).toBe(a.fingerprint);
    expect(a.logs).toEqual([]);
    expect(b.logs).toEqual([]);
  });

  it('gives no listen address for a peer that does not listen', async () => {
    const a = await side(0, 'Alice', {}, false);
    const b = await side(1, 'Bob');
    await a.cm.dial({ host: '127.0.0.1', port: b.port });
    await waitUntil(() => b.links.length === 1, { what: 'link' });
    expect(b.links[0]!.listenAddress).toBeNull();
  });

  it('opens side connections for transfers without making them the control link', async () => {
    const a = await side(0, 'Alice');
    const b = await side(1, 'Bob');
    const data = await a.cm.dial(b.address, { purpose: 'transfer' });
    expect(data.hello.purpose).toBe('transfer');
    await waitUntil(() => b.sides.length === 1, { what: 'side on the listener' });
    expect(b.sides[0]).toMatchObject({ peerId: a.id, direction: 'in' });
    expect(b.sides[0]!.hello.purpose).toBe('transfer');
    expect(a.sides).toEqual([]);
    expect(a.links).toEqual([]);
    expect(b.links).toEqual([]);
    expect(a.cm.link(b.id)).toBeUndefined();
    expect(a.cm.connectedIds()).toEqual([]);
    // The control link is separate and still made as usual.
    await a.cm.dial(b.address);
    await waitUntil(() => b.links.length === 1, { what: 'control link' });
    expect(b.sides).toHaveLength(1);
  });

  it('refuses a peer the host does not authorize, telling it why', async () => {
    const a = await side(0, 'Alice');
    const b = await side(1, 'Bob', { authorize: () => new FerryError('PEER_BLOCKED', 'not you') });
    const err = await rejection<FerryError>(a.cm.dial(b.address));
    expect(err).toMatchObject({ code: 'PEER_BLOCKED', message: 'peer closed the connection: not you' });
    expect(a.logs).toEqual([
      ['warn', 'PEER_BLOCKED', expect.stringMatching(/^127\.0\.0\.1:\d+: peer closed the connection: not you$/)],
    ]);
    expect(b.logs).toEqual([['warn', 'PEER_BLOCKED', expect.stringMatching(/^127\.0\.0\.1:\d+: not you$/), a.id]]);
    expect(b.links).toEqual([]);
  });

  it('closes on a silently refused peer without a word', async () => {
    const a = await side(0, 'Alice');
    const b = await side(1, 'Bob', {
      authorize: () => new FerryError('PEER_BLOCKED', 'blocked'),
      silentRefusals: ['PEER_BLOCKED'],
    });
    const err = await rejection<FerryError>(a.cm.dial(b.address));
    expect(err).toMatchObject({
      code: 'PEER_GONE',
      message: 'the peer closed the connection during the handshake',
    });
    expect(b.logs).toEqual([
      ['info', 'PEER_BLOCKED', expect.stringMatching(/^127\.0\.0\.1:\d+: blocked; closed without a reply$/), a.id],
    ]);
    expect(a.links).toEqual([]);
  });

  it("refuses another certificate at a known device's address with PEER_CERT_CHANGED", async () => {
    const a = await side(0, 'Alice');
    const b = await side(1, 'Bob');
    const expected = ferryPeerId((await identity(2)).id);
    const err = await rejection<FerryError>(a.cm.dial(b.address, { expectedId: expected }));
    expect(err.code).toBe('PEER_CERT_CHANGED');
    expect(err.message).toBe(
      `expected device ${shortId(fingerprintOfPeer(expected)!)} but a different certificate (${shortId(b.fingerprint)}) answered; if the other computer reinstalled Ferry, forget it and add it again`,
    );
    expect(a.logs[0]?.slice(0, 2)).toEqual(['warn', 'PEER_CERT_CHANGED']);
    expect(a.logs[0]?.[3]).toBe(expected);
  });

  it('calls a wrong announcement PEER_ID_MISMATCH, not a changed certificate', async () => {
    const a = await side(0, 'Alice');
    const b = await side(1, 'Bob');
    const claimed = ferryPeerId((await identity(2)).id);
    const err = await rejection<FerryError>(a.cm.dial(b.address, { expectedId: claimed, claimedBy: 'announce' }));
    expect(err.code).toBe('PEER_ID_MISMATCH');
    expect(err.message).toBe(
      `an announcement from 127.0.0.1 claimed device ${shortId(fingerprintOfPeer(claimed)!)} but its certificate is ${shortId(b.fingerprint)}; the announcement is ignored`,
    );
    // The same check passes when the certificate is the expected one.
    expect((await a.cm.dial(b.address, { expectedId: b.id, claimedBy: 'announce' })).peerId).toBe(b.id);
  });

  it('refuses to link with itself', async () => {
    const a = await side(0, 'Alice');
    const err = await rejection<FerryError>(a.cm.dial(a.address));
    expect(err).toMatchObject({ code: 'SELF_CONNECTION' });
    expect(err.message).toMatch(/this address is this Ferry itself$/);
    expect(a.logs.some((l) => l[1] === 'SELF_CONNECTION' && l[2].endsWith(': this address is this Ferry itself'))).toBe(
      true,
    );
    expect(a.links).toEqual([]);
  });

  it('answers a first frame other than hello with BAD_FRAME', async () => {
    const a = await side(0, 'Alice');
    const raw = await rawPeer(a.port);
    raw.send({ type: 'ack', id: '0b7c3a6e-3f0e-4c55-9f4e-2d6f3b1a9c10' });
    await raw.closed;
    expect(raw.frames).toEqual([{ type: 'error', code: 'BAD_FRAME', message: 'expected hello, got "ack"' }]);
    expect(a.logs).toEqual([
      ['warn', 'BAD_FRAME', expect.stringMatching(/^127\.0\.0\.1:\d+: expected hello, got "ack"$/)],
    ]);
  });

  it('gives up on a client that never says hello', async () => {
    const a = await side(0, 'Alice', { handshakeTimeoutMs: 300 });
    const raw = await rawPeer(a.port);
    await raw.closed;
    expect(raw.frames).toEqual([{ type: 'error', code: 'HANDSHAKE_TIMEOUT', message: 'no hello within 0.3 s' }]);
    expect(a.logs.map((l) => l[1])).toEqual(['HANDSHAKE_TIMEOUT']);
  });

  it('logs a client that leaves during the hello', async () => {
    const a = await side(0, 'Alice');
    const raw = await rawPeer(a.port);
    raw.socket.end();
    await waitUntil(() => a.logs.length === 1, { what: 'a log line' });
    expect(a.logs[0]).toEqual([
      'warn',
      'PEER_GONE',
      expect.stringMatching(/: the peer closed the connection during the handshake$/),
    ]);
  });

  it('refuses a hello in another protocol version', async () => {
    const a = await side(0, 'Alice');
    const raw = await rawPeer(a.port);
    raw.hello({ v: 2 });
    await raw.closed;
    expect(raw.frames).toEqual([
      {
        type: 'error',
        code: 'PROTOCOL_VERSION',
        message: 'the peer speaks Ferry protocol 2 and this Ferry speaks 1; update both to the same Ferry version',
      },
    ]);
    expect(a.logs[0]?.[3]).toBe(ferryPeerId((await testIdentity()).id));
  });

  it('refuses a hello that claims another id than its certificate', async () => {
    const a = await side(0, 'Alice');
    const raw = await rawPeer(a.port);
    raw.hello({ id: 'b'.repeat(64) });
    await raw.closed;
    const own = (await testIdentity()).id;
    expect(raw.frames).toEqual([
      {
        type: 'error',
        code: 'PEER_ID_MISMATCH',
        message: `the peer claims id bbbb bbbb but its certificate is ${shortId(own)}`,
      },
    ]);
  });
});

describe('ConnectionManager dialing errors', () => {
  it('explains an address where nothing listens', async () => {
    const a = await side(0, 'Alice');
    const port = await tcpServer(() => {});
    await new Promise((r) => servers.pop()!.close(r));
    const err = await rejection<FerryError>(a.cm.dial(`127.0.0.1:${port}`));
    expect(err).toMatchObject({
      code: 'PEER_UNREACHABLE',
      message: `nothing is listening at 127.0.0.1:${port}: is Ferry running there, and is the port right?`,
    });
  });

  it('gives up on an address that accepts but never answers', async () => {
    const a = await side(0, 'Alice', { dialTimeoutMs: 300 });
    const port = await tcpServer(() => {});
    const err = await rejection<FerryError>(a.cm.dial(`127.0.0.1:${port}`));
    expect(err).toMatchObject({ code: 'PEER_UNREACHABLE', message: `no answer from 127.0.0.1:${port} within 0.3 s` });
  });

  it('calls a server that is not TLS a TLS failure', async () => {
    const a = await side(0, 'Alice');
    const port = await tcpServer((s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    const err = await rejection<FerryError>(a.cm.dial(`127.0.0.1:${port}`));
    expect(err.code).toBe('TLS_FAILED');
    expect(err.message).toMatch(new RegExp(`^could not open a secure connection to 127\\.0\\.0\\.1:${port}: .+`));
    expect(err.cause).toBeInstanceOf(Error);
  });

  it('says a port is taken', async () => {
    const a = await side(0, 'Alice');
    const other = new ConnectionManager({
      identity: await identity(1),
      localHello: () => ({ name: 'x', platform: 'test', port: 0, caps: [] }),
      authorize: () => null,
      log: () => {},
    });
    started.push(other);
    const err = await rejection<FerryError>(other.listen(a.port, '127.0.0.1'));
    expect(err).toMatchObject({
      code: 'PORT_IN_USE',
      message: `port ${a.port} is in use by another program; choose another port in settings or with --port`,
    });
    const bad = await rejection<FerryError>(other.listen(0, '203.0.113.1'));
    expect(bad).toBeInstanceOf(FerryError);
    expect(bad.code).toBe('INTERNAL');
  });
});

describe('ConnectionManager listener limits', () => {
  it('refuses plain text instead of TLS and logs where it came from', async () => {
    const a = await side(0, 'Alice');
    const socket = net.connect(a.port, '127.0.0.1');
    socket.on('error', () => {});
    await new Promise((r) => socket.once('connect', r));
    const local = socket.localPort;
    socket.write('GET / HTTP/1.1\r\n\r\n');
    await new Promise((r) => socket.once('close', r));
    await waitUntil(() => a.logs.length === 1, { what: 'a log line' });
    expect(a.logs[0]).toEqual([
      'warn',
      'TLS_FAILED',
      expect.stringMatching(
        new RegExp(`^refused a connection from 127\\.0\\.0\\.1:${local}: not a Ferry TLS handshake \\(\\S+\\)$`),
      ),
    ]);
  });

  it('holds at most N connections per address before their hello, and frees a slot when one says hello or leaves', async () => {
    const a = await side(0, 'Alice', { maxUnauthenticatedPerIp: 2 });
    const open = async () => {
      const s = net.connect(a.port, '127.0.0.1');
      s.on('error', () => {});
      await new Promise((r) => s.once('connect', r));
      return s;
    };
    const first = await open();
    const second = await open();
    const third = await open();
    await new Promise((r) => third.once('close', r));
    expect(a.logs.filter((l) => l[1] === 'RATE_LIMITED')).toEqual([
      [
        'warn',
        'RATE_LIMITED',
        'refused a connection from 127.0.0.1: it already has 2 connections that have not said hello',
      ],
    ]);
    // One leaves: a peer from the same address gets through, and once it said hello it no longer counts.
    first.destroy();
    const b = await side(1, 'Bob');
    await waitUntil(
      async () =>
        await b.cm.dial(a.address).then(
          () => true,
          () => false,
        ),
      { what: 'a free slot' },
    );
    const c = await side(2, 'Carol');
    await c.cm.dial(a.address);
    expect(a.cm.connectedIds().sort()).toEqual([b.id, c.id].sort());
    expect(second.destroyed).toBe(false);
    second.destroy(); // stop() would wait for its TLS handshake timeout
  });
});

describe('ConnectionManager links', () => {
  it('keeps the link dialed by the smaller id when both sides dial, on both sides', async () => {
    for (const firstDialer of [0, 1]) {
      const x = await side(0, 'X');
      const y = await side(1, 'Y');
      const [first, second] = firstDialer === 0 ? [x, y] : [y, x];
      const small = x.id < y.id ? x : y;
      await first.cm.dial(second.address);
      await waitUntil(() => second.links.length === 1, { what: 'first link' });
      await second.cm.dial(first.address).catch(() => {});
      // Both ends settle on one connection, the one the smaller id dialed.
      await waitUntil(
        () => {
          const l1 = x.cm.link(y.id);
          const l2 = y.cm.link(x.id);
          return !!l1 && !!l2 && l1.conn.socket.localPort === l2.conn.socket.remotePort;
        },
        { what: 'one link' },
      );
      expect((small === x ? x.cm.link(y.id) : y.cm.link(x.id))!.direction).toBe('out');
      expect(x.unlinks).toEqual([]);
      expect(y.unlinks).toEqual([]);
      expect(x.cm.connectedIds()).toEqual([y.id]);
      await x.cm.stop();
      await y.cm.stop();
    }
  });

  it('reports a dropped link once on each side, with a clean close as null', async () => {
    const a = await side(0, 'Alice');
    const b = await side(1, 'Bob');
    const link = await a.cm.dial(b.address);
    await waitUntil(() => b.links.length === 1, { what: 'link' });
    a.cm.disconnect(b.id, 'bye now');
    a.cm.disconnect('f'.repeat(64), 'nobody');
    await waitUntil(() => a.unlinks.length === 1 && b.unlinks.length === 1, { what: 'unlinks' });
    expect(a.unlinks).toEqual([[link, null]]);
    expect(b.unlinks[0]![1]).toBeNull();
    expect(a.cm.link(b.id)).toBeUndefined();
    expect(a.cm.connectedIds()).toEqual([]);
  });
});

describe('ConnectionManager redials', () => {
  it('dials a kept peer at once, and again after the link drops', async () => {
    const a = await side(0, 'Alice');
    const b = await side(1, 'Bob');
    a.cm.keepConnected(b.id, () => ({ known: [b.address], announced: [] }));
    await waitUntil(() => a.links.length === 1, { what: 'first link' });
    b.cm.disconnect(a.id, 'go away');
    await waitUntil(() => a.links.length === 2, { what: 'redialed' });
    expect(a.links[1]!.direction).toBe('out');
    // Asked again while linked: nothing new.
    a.cm.keepConnected(b.id, () => ({ known: [b.address], announced: [] }));
    expect(a.cm.connectedIds()).toEqual([b.id]);
  });

  it('tries known addresses, then announced ones, skipping an announced impostor', async () => {
    const a = await side(0, 'Alice');
    const b = await side(1, 'Bob');
    const impostor = await side(2, 'Mallory');
    const deadPort = await tcpServer(() => {});
    await new Promise((r) => servers.pop()!.close(r));
    a.cm.keepConnected(b.id, () => ({
      known: [`127.0.0.1:${deadPort}`],
      announced: [`127.0.0.1:${deadPort}`, impostor.address, b.address],
    }));
    await waitUntil(() => a.links.length === 1, { what: 'link to Bob' });
    expect(a.links[0]!.peerId).toBe(b.id);
    expect(a.logs.map((l) => l[1])).toEqual(['PEER_ID_MISMATCH']);
    expect(a.certChanged).toEqual([]);
  });

  it('stops redialing a known address that shows another certificate, and says so', async () => {
    const a = await side(0, 'Alice');
    const impostor = await side(2, 'Mallory');
    const b = await side(1, 'Bob');
    a.cm.keepConnected(b.id, () => ({ known: [impostor.address, b.address], announced: [] }));
    await waitUntil(() => a.certChanged.length === 1, { what: 'certChanged' });
    expect(a.certChanged[0]![0]).toBe(b.id);
    expect(a.certChanged[0]![1].code).toBe('PEER_CERT_CHANGED');
    // Not tried further: Bob's own address came after the impostor's.
    expect(b.links).toEqual([]);
    expect(a.links).toEqual([]);
  });

  it('stops redialing a peer that refuses us as blocked, without a certificate alarm', async () => {
    const a = await side(0, 'Alice');
    const b = await side(1, 'Bob', { authorize: () => new FerryError('PEER_BLOCKED', 'blocked') });
    const c = await side(2, 'Carol');
    let asked = 0;
    a.cm.keepConnected(b.id, () => (asked++, { known: [b.address, c.address], announced: [] }));
    await waitUntil(() => a.logs.some((l) => l[1] === 'PEER_BLOCKED'), { what: 'refused' });
    // Proof that no redial follows: a kept peer that is down is redialed every 20–40 ms;
    // Carol's manager, kept alongside, redials several times meanwhile.
    const dead = await tcpServer((s) => s.destroy());
    let attempts = 0;
    servers.at(-1)!.on('connection', () => attempts++);
    c.cm.keepConnected(a.id, () => ({ known: [`127.0.0.1:${dead}`], announced: [] }));
    await waitUntil(() => attempts >= 4, { what: 'four redials of another peer' });
    expect(asked).toBe(1);
    expect(a.certChanged).toEqual([]);
    expect(c.links).toEqual([]);
  });

  it('forgets a peer: no more redials', async () => {
    const a = await side(0, 'Alice');
    const b = await side(1, 'Bob');
    let asked = 0;
    a.cm.keepConnected(b.id, () => (asked++, { known: [b.address], announced: [] }));
    await waitUntil(() => a.links.length === 1, { what: 'link' });
    a.cm.forget(b.id);
    b.cm.disconnect(a.id, 'go');
    await waitUntil(() => a.unlinks.length === 1, { what: 'unlink' });
    // Meanwhile another kept peer that is down gets redialed several times.
    const c = await side(2, 'Carol');
    const dead = await tcpServer((s) => s.destroy());
    let attempts = 0;
    servers.at(-1)!.on('connection', () => attempts++);
    c.cm.keepConnected(a.id, () => ({ known: [`127.0.0.1:${dead}`], announced: [] }));
    await waitUntil(() => attempts >= 4, { what: 'four redials of another peer' });
    expect(asked).toBe(1);
    expect(a.links).toHaveLength(1);
  });
});

describe('ConnectionManager stop()', () => {
  it('says goodbye on its links, drops half-open connections and stops listening', async () => {
    const a = await side(0, 'Alice');
    const b = await side(1, 'Bob');
    await b.cm.dial(a.address);
    await waitUntil(() => a.links.length === 1, { what: 'link' });
    const raw = await rawPeer(a.port); // connected, never says hello
    const started = Date.now();
    await a.cm.stop();
    expect(Date.now() - started).toBeLessThan(1_500);
    await waitUntil(() => b.unlinks.length === 1, { what: 'Bob sees the link go' });
    expect(b.unlinks[0]![1]).toBeNull();
    await raw.closed;
    expect(raw.frames).toEqual([]);
    expect(await rejection<FerryError>(b.cm.dial(a.address))).toMatchObject({ code: 'PEER_UNREACHABLE' });
    // A stopped manager no longer redials.
    a.cm.keepConnected(b.id, () => ({ known: [b.address], announced: [] }));
    expect(b.links).toHaveLength(1);
  });
});
