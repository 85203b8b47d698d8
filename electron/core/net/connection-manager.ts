/**
 * The TCP/TLS side of a node: one listener, outgoing dials, the hello handshake,
 * one control link per peer (whichever side dialed), and redials with backoff.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import type { ErrorCode, NoticeCode } from '../../../shared/errors';
import { FerryError } from '../ferry-error';
import type { DeviceIdentity } from '../identity/device-identity';
import { ferryPeerId, fingerprintOfPeer } from '../../../shared/peer-id';
import { fingerprintOf, shortId } from '../identity/fingerprint';
import { controlFrames, PROTOCOL_VERSION, type ControlHeader, type HelloHeader } from '../protocol/frames';
import { formatAddress, parseAddress, type HostPort } from './address';
import { DEFAULT_TIMERS, FramedConnection, type ConnectionTimers } from './framed-connection';

export type LinkPurpose = HelloHeader['purpose'];

export interface PeerLink {
  /** `ferry:<certificate fingerprint>` (shared/peer-id.ts); the hello's id is the bare fingerprint. */
  peerId: string;
  hello: HelloHeader;
  conn: FramedConnection<ControlHeader>;
  direction: 'in' | 'out';
  /** Where the peer listens (its IP as we see it, plus the port from its hello); null if it doesn't. */
  listenAddress: string | null;
}

export interface LocalHello {
  name: string;
  platform: string;
  port: number;
  caps: string[];
}

export interface ConnectionManagerOptions {
  identity: DeviceIdentity;
  localHello: () => LocalHello;
  /** Last word on a handshaken peer: return an error to refuse it (blocked, …). */
  authorize: (link: PeerLink) => FerryError | null;
  log: (level: 'info' | 'warn' | 'error', code: NoticeCode, message: string, peerId?: string) => void;
  timers?: ConnectionTimers;
  handshakeTimeoutMs?: number;
  dialTimeoutMs?: number;
  /** Redial backoff: the first wait after a drop, doubling per failed attempt up to max (default 1 s → 30 s). */
  redialBackoffMs?: { min: number; max: number };
  /** Refusals closed without a word, as if this node were offline (e.g. PEER_BLOCKED). */
  silentRefusals?: string[];
  /** Connections one source IP may hold open before finishing the hello (default 32). */
  maxUnauthenticatedPerIp?: number;
}

export const DEFAULT_MAX_UNAUTHENTICATED_PER_IP = 32;

type Events = {
  /** A control link is up (after hello, after tie-breaking). */
  link: [PeerLink];
  /** The peer's control link went down. */
  unlink: [PeerLink, FerryError | null];
  /** A handshaken connection opened for something other than control (e.g. a transfer). */
  side: [PeerLink];
  /** Redialing a pinned peer's address reached a different certificate. */
  certChanged: [peerId: string, error: FerryError];
};

const BACKOFF_MIN_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;

/**
 * Where to redial a peer: addresses it was reached at before (tried first; a
 * different certificate there is PEER_CERT_CHANGED), then addresses only an
 * unverified announcement claims (a different certificate there is an impostor:
 * PEER_ID_MISMATCH for that address, never a change of the real peer).
 */
export interface RedialAddresses {
  known: string[];
  announced: string[];
}

interface RedialTarget {
  addresses: () => RedialAddresses;
  attempt: number;
  timer: NodeJS.Timeout | null;
  dialing: boolean;
}

export class ConnectionManager extends EventEmitter<Events> {
  private server: tls.Server | null = null;
  private readonly links = new Map<string, PeerLink>();
  private readonly sockets = new Set<TLSSocket>();
  private readonly targets = new Map<string, RedialTarget>();
  /** Inbound connections that have not finished the hello, per source IP ("ip:port" keys). */
  private readonly unauthenticated = new Map<string, Set<string>>();
  private stopped = false;
  private readonly timers: ConnectionTimers;
  private readonly handshakeTimeoutMs: number;
  private readonly dialTimeoutMs: number;

  constructor(private readonly options: ConnectionManagerOptions) {
    super();
    this.timers = options.timers ?? DEFAULT_TIMERS;
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
    this.dialTimeoutMs = options.dialTimeoutMs ?? 10_000;
  }

  get selfId(): string {
    return this.options.identity.id;
  }

  private tlsOptions() {
    const { keyPem, certPem } = this.options.identity;
    return { key: keyPem, cert: certPem, minVersion: 'TLSv1.3' as const, rejectUnauthorized: false };
  }

  /** Starts listening; resolves with the bound port. */
  listen(port: number, host = '0.0.0.0'): Promise<number> {
    const server = tls.createServer({
      ...this.tlsOptions(),
      requestCert: true,
      handshakeTimeout: this.handshakeTimeoutMs,
    });
    server.maxConnections = 1024;
    const perIp = this.options.maxUnauthenticatedPerIp ?? DEFAULT_MAX_UNAUTHENTICATED_PER_IP;
    // Counted from the TCP accept, before TLS: one address can't hold every slot with idle
    // or half-done handshakes and lock other peers out.
    server.on('connection', (raw: Socket) => {
      const ip = raw.remoteAddress ?? '';
      const key = `${ip}:${raw.remotePort}`;
      let set = this.unauthenticated.get(ip);
      if ((set?.size ?? 0) >= perIp) {
        this.options.log(
          'warn',
          'RATE_LIMITED',
          `refused a connection from ${ip}: it already has ${perIp} connections that have not said hello`,
        );
        raw.destroy();
        return;
      }
      if (!set) this.unauthenticated.set(ip, (set = new Set()));
      set.add(key);
      raw.once('close', () => this.authenticated(ip, key));
    });
    server.on('secureConnection', (socket) => {
      this.track(socket);
      const ip = socket.remoteAddress ?? '';
      const key = `${ip}:${socket.remotePort}`;
      this.handshake(socket, 'in')
        .then(() => this.authenticated(ip, key))
        .catch(() => {
          // handshake() has logged and closed it
        });
    });
    server.on('tlsClientError', (err, socket) => {
      const from = socket.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort}` : 'unknown';
      this.options.log(
        'warn',
        'TLS_FAILED',
        `refused a connection from ${from}: not a Ferry TLS handshake (${describeTlsError(err)})`,
      );
      socket.destroy();
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        reject(
          err.code === 'EADDRINUSE'
            ? new FerryError(
                'PORT_IN_USE',
                `port ${port} is in use by another program; choose another port in settings or with --port`,
              )
            : FerryError.from(err),
        );
      });
      server.listen(port, host, () => {
        server.on('error', (err) => this.options.log('error', 'INTERNAL', `listener error: ${err.message}`));
        resolve((server.address() as { port: number }).port);
      });
    });
  }

  /** The connection finished its hello (or closed): it no longer counts against its address. */
  private authenticated(ip: string, key: string): void {
    const set = this.unauthenticated.get(ip);
    if (!set) return;
    set.delete(key);
    if (set.size === 0) this.unauthenticated.delete(ip);
  }

  link(peerId: string): PeerLink | undefined {
    const link = this.links.get(peerId);
    return link && !link.conn.closed ? link : undefined;
  }

  connectedIds(): string[] {
    return [...this.links.keys()].filter((id) => this.link(id));
  }

  /**
   * Dials an address and completes the handshake. With `expectedId`, a different
   * certificate is refused with PEER_CERT_CHANGED.
   */
  async dial(
    address: string | HostPort,
    opts: { expectedId?: string; purpose?: LinkPurpose; claimedBy?: 'announce' } = {},
  ): Promise<PeerLink> {
    const target = typeof address === 'string' ? parseAddress(address) : address;
    const socket = await this.connectTls(target);
    return this.handshake(socket, 'out', opts.expectedId, opts.purpose ?? 'control', opts.claimedBy);
  }

  private connectTls(target: HostPort): Promise<TLSSocket> {
    const where = formatAddress(target);
    return new Promise((resolve, reject) => {
      const socket = tls.connect({
        ...this.tlsOptions(),
        host: target.host,
        port: target.port,
        // The certificate is self-signed: identity is checked by fingerprint after the handshake.
        checkServerIdentity: () => undefined,
      });
      this.track(socket);
      const timer = setTimeout(
        () =>
          socket.destroy(
            new FerryError('PEER_UNREACHABLE', `no answer from ${where} within ${this.dialTimeoutMs / 1000} s`),
          ),
        this.dialTimeoutMs,
      );
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.on('error', () => {}); // FramedConnection reports errors from here on
        resolve(socket);
      });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(dialError(err, where));
      });
    });
  }

  private track(socket: TLSSocket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    if (this.stopped) socket.destroy();
  }

  private async handshake(
    socket: TLSSocket,
    direction: 'in' | 'out',
    expectedId?: string,
    purpose: LinkPurpose = 'control',
    claimedBy?: 'announce',
  ): Promise<PeerLink> {
    const conn = new FramedConnection<ControlHeader>(socket, controlFrames, this.timers);
    const who = `${socket.remoteAddress}:${socket.remotePort}`;
    const refuse = (code: ErrorCode, message: string, peerId?: string): never => {
      const error = new FerryError(code, message);
      this.options.log('warn', code, `${who}: ${message}`, peerId);
      conn.fail(error);
      throw error;
    };
    const cert = socket.getPeerX509Certificate();
    if (!cert) refuse('TLS_FAILED', 'the peer presented no certificate');
    const presented = fingerprintOf(cert!);
    const sendHello = (p: LinkPurpose) =>
      conn.send({ type: 'hello', v: PROTOCOL_VERSION, id: this.selfId, purpose: p, ...this.options.localHello() });
    // The dialer speaks first; the listener answers only once it accepts the dialer,
    // so a refused dialer never sees a hello and never thinks it is connected.
    if (direction === 'out') sendHello(purpose);

    const hello = await this.awaitHello(conn).catch((err: FerryError) => refuse(err.code, err.message));
    // The peer as the rest of the engine names it; the wire and the certificate speak in fingerprints.
    const presentedId = ferryPeerId(presented);
    const expected = expectedId === undefined ? undefined : fingerprintOfPeer(expectedId);
    if (hello.v !== PROTOCOL_VERSION) {
      refuse(
        'PROTOCOL_VERSION',
        `the peer speaks Ferry protocol ${hello.v} and this Ferry speaks ${PROTOCOL_VERSION}; update both to the same Ferry version`,
        presentedId,
      );
    }
    if (hello.id !== presented)
      refuse(
        'PEER_ID_MISMATCH',
        `the peer claims id ${shortId(hello.id)} but its certificate is ${shortId(presented)}`,
        presentedId,
      );
    if (presented === this.selfId) refuse('SELF_CONNECTION', 'this address is this Ferry itself');
    if (expected !== undefined && presented !== expected && claimedBy === 'announce') {
      // Only a UDP claim was wrong: nothing pinned changed, so this is not PEER_CERT_CHANGED.
      refuse(
        'PEER_ID_MISMATCH',
        `an announcement from ${socket.remoteAddress} claimed device ${shortId(expected ?? expectedId!)} but its certificate is ${shortId(presented)}; the announcement is ignored`,
        expectedId,
      );
    }
    if (expected !== undefined && presented !== expected) {
      refuse(
        'PEER_CERT_CHANGED',
        `expected device ${shortId(expected ?? expectedId!)} but a different certificate (${shortId(presented)}) answered; if the other computer reinstalled Ferry, forget it and add it again`,
        expectedId,
      );
    }
    const host = socket.remoteAddress?.replace(/^::ffff:/, '') ?? '';
    const link: PeerLink = {
      peerId: presentedId,
      hello,
      conn,
      direction,
      listenAddress: hello.port > 0 && host ? formatAddress({ host, port: hello.port }) : null,
    };
    const denied = this.options.authorize(link);
    if (denied && this.options.silentRefusals?.includes(denied.code)) {
      this.options.log('info', denied.code, `${who}: ${denied.message}; closed without a reply`, presentedId);
      socket.destroy();
      throw denied;
    }
    if (denied) refuse(denied.code, denied.message, presentedId);
    // The dialer decides what the connection is for; the listener echoes it.
    const linkPurpose = direction === 'out' ? purpose : hello.purpose;
    if (direction === 'in') sendHello(linkPurpose);
    if (linkPurpose !== 'control') {
      // The dialer owns its side connection (dial() returns it); only inbound ones are announced.
      if (direction === 'in') this.emit('side', link);
      return link;
    }
    this.adopt(link);
    return link;
  }

  private awaitHello(conn: FramedConnection<ControlHeader>): Promise<HelloHeader> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => finish(new FerryError('HANDSHAKE_TIMEOUT', `no hello within ${this.handshakeTimeoutMs / 1000} s`)),
        this.handshakeTimeoutMs,
      );
      const finish = (result: HelloHeader | FerryError) => {
        clearTimeout(timer);
        conn.off('frame', onFrame);
        conn.off('closed', onClosed);
        if (result instanceof FerryError) reject(result);
        else resolve(result);
      };
      const onFrame = ({ header }: { header: ControlHeader }) =>
        finish(header.type === 'hello' ? header : new FerryError('BAD_FRAME', `expected hello, got "${header.type}"`));
      const onClosed = (err: FerryError | null) =>
        finish(err ?? new FerryError('PEER_GONE', 'the peer closed the connection during the handshake'));
      conn.on('frame', onFrame);
      conn.on('closed', onClosed);
    });
  }

  /** Makes `link` the peer's control link, keeping exactly one per peer pair. */
  private adopt(link: PeerLink): void {
    const existing = this.link(link.peerId);
    if (existing) {
      // Both sides pick the same survivor: the link dialed by the smaller device id.
      const self = ferryPeerId(this.selfId);
      const preferredDialer = self < link.peerId ? self : link.peerId;
      const dialer = (l: PeerLink) => (l.direction === 'out' ? self : l.peerId);
      const keepExisting = dialer(existing) === preferredDialer && dialer(link) !== preferredDialer;
      if (keepExisting) {
        link.conn.close('duplicate');
        return;
      }
      this.links.set(link.peerId, link);
      existing.conn.close('duplicate');
    } else {
      this.links.set(link.peerId, link);
    }
    const target = this.targets.get(link.peerId);
    if (target) {
      target.attempt = 0;
      if (target.timer) clearTimeout(target.timer);
      target.timer = null;
    }
    link.conn.on('closed', (err) => {
      if (this.links.get(link.peerId) !== link) return;
      this.links.delete(link.peerId);
      this.emit('unlink', link, err);
      this.scheduleRedial(link.peerId);
    });
    this.emit('link', link);
  }

  /** Keep a control link to this peer: redial its addresses with backoff while it is down. */
  keepConnected(peerId: string, addresses: () => RedialAddresses): void {
    if (this.targets.has(peerId)) {
      this.targets.get(peerId)!.addresses = addresses;
    } else {
      this.targets.set(peerId, { addresses, attempt: 0, timer: null, dialing: false });
    }
    if (!this.link(peerId)) this.scheduleRedial(peerId, 0);
  }

  forget(peerId: string): void {
    const target = this.targets.get(peerId);
    if (target?.timer) clearTimeout(target.timer);
    this.targets.delete(peerId);
  }

  /** Drops the peer's link (e.g. it was just blocked). */
  disconnect(peerId: string, reason: string): void {
    this.link(peerId)?.conn.close(reason);
  }

  private scheduleRedial(peerId: string, delayMs?: number): void {
    const target = this.targets.get(peerId);
    if (!target || this.stopped || target.timer || target.dialing) return;
    const { min, max } = this.options.redialBackoffMs ?? { min: BACKOFF_MIN_MS, max: BACKOFF_MAX_MS };
    const backoff = Math.min(max, min * 2 ** target.attempt);
    const delay = delayMs ?? backoff / 2 + Math.random() * (backoff / 2);
    target.timer = setTimeout(() => {
      target.timer = null;
      void this.redial(peerId, target);
    }, delay);
    target.timer.unref();
  }

  private async redial(peerId: string, target: RedialTarget): Promise<void> {
    if (this.stopped || this.link(peerId) || this.targets.get(peerId) !== target) return;
    target.dialing = true;
    target.attempt++;
    let lastError: FerryError | null = null;
    const { known, announced } = target.addresses();
    const tries = [
      ...known.map((address) => ({ address, claimedBy: undefined })),
      ...announced.filter((a) => !known.includes(a)).map((address) => ({ address, claimedBy: 'announce' as const })),
    ];
    for (const { address, claimedBy } of tries) {
      try {
        await this.dial(address, { expectedId: peerId, claimedBy });
        lastError = null;
        break;
      } catch (err) {
        const e = FerryError.from(err);
        // An announced address answered with another certificate: skip it, keep trying the rest.
        if (claimedBy === 'announce' && e.code === 'PEER_ID_MISMATCH') continue;
        lastError = e;
        if (lastError.code === 'PEER_CERT_CHANGED' || lastError.code === 'PEER_BLOCKED') break;
      }
    }
    target.dialing = false;
    if (lastError?.code === 'PEER_CERT_CHANGED' || lastError?.code === 'PEER_BLOCKED') {
      this.forget(peerId);
      if (lastError.code === 'PEER_CERT_CHANGED') this.emit('certChanged', peerId, lastError);
      return;
    }
    if (!this.link(peerId)) this.scheduleRedial(peerId);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const id of [...this.targets.keys()]) this.forget(id);
    const closing = [...this.sockets].map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.destroyed) return resolve();
          s.once('close', () => resolve());
        }),
    );
    for (const link of this.links.values()) link.conn.close('shutdown');
    for (const s of this.sockets) if (!this.linkOf(s)) s.destroy();
    await Promise.race([Promise.all(closing), new Promise((r) => setTimeout(r, 1_500).unref())]);
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private linkOf(socket: TLSSocket): PeerLink | undefined {
    for (const link of this.links.values()) if (link.conn.socket === socket) return link;
    return undefined;
  }
}

function dialError(err: NodeJS.ErrnoException, where: string): FerryError {
  if (err instanceof FerryError) return err;
  switch (err.code) {
    case 'ECONNREFUSED':
      return new FerryError(
        'PEER_UNREACHABLE',
        `nothing is listening at ${where}: is Ferry running there, and is the port right?`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new FerryError('BAD_ADDRESS', `the host name in ${where} could not be found`);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
      return new FerryError('PEER_UNREACHABLE', `${where} cannot be reached from this network (${err.code})`);
    default:
      return new FerryError('TLS_FAILED', `could not open a secure connection to ${where}: ${err.message}`, {
        cause: err,
      });
  }
}

function describeTlsError(err: Error & { code?: string }): string {
  return err.code ?? err.message;
}
