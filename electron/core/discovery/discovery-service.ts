/**
 * LAN presence over UDP: periodic announces by multicast (TTL 1) and by
 * broadcast on every IPv4 interface, a unicast reply to every newcomer so both
 * sides know each other at once, expiry of silent peers, and a goodbye on stop.
 * Packets are claims; the engine verifies each one with a TLS handshake.
 */
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import type { NoticeCode } from '../../../shared/errors';
import { decodeAnnounce, encodeAnnounce, type Announce } from './announce-packet';
import { ipv4Interfaces, type Ipv4Interface } from './network-interfaces';
import { RateLimiter } from './rate-limiter';

export const DISCOVERY_PORT = 47821;
export const DISCOVERY_GROUP = '239.255.78.21';

export interface DiscoveryOptions {
  port?: number;
  group?: string;
  /** How often to announce (jittered ±20 %). */
  announceIntervalMs?: number;
  /** A peer not heard from for this long is expired. */
  expiryMs?: number;
  /** Only these interface addresses (tests pin 127.0.0.1); default every non-internal IPv4 interface. */
  interfaces?: string[];
  self: () => Omit<Announce, 'kind' | 'v'>;
  protocolVersion: number;
  log: (level: 'info' | 'warn', code: NoticeCode, message: string) => void;
}

export interface Sighting {
  id: string;
  name: string;
  platform: string;
  port: number;
  /** Source IP of the packet: where to dial. */
  host: string;
  v: number;
}

type DropReason = 'oversized' | 'foreign' | 'malformed' | 'rate' | 'table-full';

type Events = {
  /** A peer announced itself (first time, or again after expiring). */
  seen: [Sighting];
  /** Every valid packet from a known peer, for last-seen bookkeeping. */
  heard: [Sighting];
  expired: [id: string];
  goodbye: [id: string];
};

const MAX_KNOWN = 4096;
const INTERFACE_REFRESH_MS = 10_000;
const DROP_LOG_EVERY_MS = 10_000;

export class DiscoveryService extends EventEmitter<Events> {
  private listener: dgram.Socket | null = null;
  /** One sender per interface, bound to its address: multicast leaves by that interface; replies come back to it. */
  private readonly senders = new Map<string, { socket: dgram.Socket; iface: Ipv4Interface }>();
  private readonly known = new Map<string, { sighting: Sighting; lastSeen: number }>();
  private readonly limiter = new RateLimiter(20, 40);
  private readonly timers: NodeJS.Timeout[] = [];
  private announceTimer: NodeJS.Timeout | null = null;
  private readonly drops: Record<DropReason, number> = {
    oversized: 0,
    foreign: 0,
    malformed: 0,
    rate: 0,
    'table-full': 0,
  };
  private dropsLogged = 0;
  private lastDropLog = 0;
  private stopped = false;
  readonly port: number;
  readonly group: string;
  private readonly intervalMs: number;
  private readonly expiryMs: number;

  constructor(private readonly options: DiscoveryOptions) {
    super();
    this.port = options.port ?? DISCOVERY_PORT;
    this.group = options.group ?? DISCOVERY_GROUP;
    this.intervalMs = options.announceIntervalMs ?? 5_000;
    this.expiryMs = options.expiryMs ?? 3 * this.intervalMs + 1_000;
  }

  /** Counters of dropped packets by reason (for tests and diagnostics). */
  get dropped(): Readonly<Record<DropReason, number>> {
    return { ...this.drops };
  }

  get knownCount(): number {
    return this.known.size;
  }

  async start(): Promise<void> {
    const listener = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    listener.on('message', (data, rinfo) => this.onPacket(data, rinfo));
    listener.on('error', (err) => this.options.log('warn', 'DISCOVERY_ERROR', `discovery listener: ${err.message}`));
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.bind(this.port, () => {
        listener.off('error', reject);
        resolve();
      });
    });
    this.listener = listener;
    await this.refreshInterfaces();
    this.timers.push(setInterval(() => void this.refreshInterfaces(), INTERFACE_REFRESH_MS));
    this.timers.push(setInterval(() => this.expire(), Math.min(1_000, this.expiryMs / 4)));
    for (const t of this.timers) t.unref();
    this.send('announce');
    this.scheduleAnnounce();
  }

  /** Announce now (e.g. after the display name changed). */
  announceNow(): void {
    this.send('announce');
  }

  private scheduleAnnounce(): void {
    if (this.stopped) return;
    const jitter = this.intervalMs * (0.8 + Math.random() * 0.4);
    this.announceTimer = setTimeout(() => {
      this.send('announce');
      this.scheduleAnnounce();
    }, jitter);
    this.announceTimer.unref();
  }

  /** Joins the group on new interfaces and opens their senders; forgets vanished ones (Wi-Fi changes). */
  private async refreshInterfaces(): Promise<void> {
    if (this.stopped || !this.listener) return;
    const current = ipv4Interfaces(this.options.interfaces);
    const addresses = new Set(current.map((i) => i.address));
    for (const [address, sender] of this.senders) {
      if (!addresses.has(address)) {
        sender.socket.close();
        this.senders.delete(address);
      }
    }
    for (const iface of current) {
      if (this.senders.has(iface.address)) continue;
      try {
        this.listener.addMembership(this.group, iface.address);
      } catch (err) {
        this.options.log(
          'warn',
          'DISCOVERY_ERROR',
          `can't join ${this.group} on ${iface.address}: ${(err as Error).message}`,
        );
      }
      try {
        const socket = await this.openSender(iface);
        this.senders.set(iface.address, { socket, iface });
      } catch (err) {
        this.options.log('warn', 'DISCOVERY_ERROR', `can't announce on ${iface.address}: ${(err as Error).message}`);
      }
    }
  }

  private openSender(iface: Ipv4Interface): Promise<dgram.Socket> {
    return new Promise((resolve, reject) => {
      const socket = dgram.createSocket({ type: 'udp4' });
      socket.once('error', reject);
      socket.bind(0, iface.address, () => {
        socket.off('error', reject);
        socket.on('error', (err) =>
          this.options.log('warn', 'DISCOVERY_ERROR', `sender ${iface.address}: ${err.message}`),
        );
        socket.setBroadcast(true);
        socket.setMulticastTTL(1);
        socket.setMulticastLoopback(true);
        socket.setMulticastInterface(iface.address);
        socket.on('message', (data, rinfo) => this.onPacket(data, rinfo));
        resolve(socket);
      });
    });
  }

  private packet(kind: Announce['kind']): Buffer {
    return encodeAnnounce({ kind, v: this.options.protocolVersion, ...this.options.self() });
  }

  /** Multicast + directed broadcast on each interface, plus 255.255.255.255 when using every interface. */
  private send(kind: 'announce' | 'goodbye'): void {
    const data = this.packet(kind);
    for (const { socket, iface } of this.senders.values()) {
      const targets = [this.group, iface.broadcast];
      if (!this.options.interfaces) targets.push('255.255.255.255');
      for (const target of targets) socket.send(data, this.port, target, () => {});
    }
  }

  private reply(to: dgram.RemoteInfo): void {
    const sender =
      [...this.senders.values()].find((s) => sameSubnet(s.iface, to.address)) ?? this.senders.values().next().value;
    sender?.socket.send(this.packet('reply'), to.port, to.address, () => {});
  }

  private onPacket(data: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.stopped) return;
    if (!this.limiter.allow(rinfo.address)) return this.drop('rate', rinfo.address);
    const decoded = decodeAnnounce(data);
    if (!decoded.ok) return this.drop(decoded.reason, rinfo.address);
    const { packet } = decoded;
    if (packet.id === this.options.self().id) return; // our own announce, looped back
    if (packet.kind === 'goodbye') {
      if (this.known.delete(packet.id)) this.emit('goodbye', packet.id);
      return;
    }
    const sighting: Sighting = {
      id: packet.id,
      name: packet.name,
      platform: packet.platform,
      port: packet.port,
      host: rinfo.address,
      v: packet.v,
    };
    const entry = this.known.get(packet.id);
    if (!entry && this.known.size >= MAX_KNOWN) return this.drop('table-full', rinfo.address);
    this.known.set(packet.id, { sighting, lastSeen: Date.now() });
    if (!entry) {
      // A newcomer: answer by unicast so it knows us without waiting for our next announce.
      if (packet.kind === 'announce') this.reply(rinfo);
      this.emit('seen', sighting);
    } else {
      this.emit('heard', sighting);
    }
  }

  private drop(reason: DropReason, from: string): void {
    this.drops[reason]++;
    const now = Date.now();
    if (now - this.lastDropLog < DROP_LOG_EVERY_MS) return;
    const total = Object.values(this.drops).reduce((a, b) => a + b, 0);
    this.options.log(
      'warn',
      'DISCOVERY_DROPPED',
      `dropped ${total - this.dropsLogged} discovery packet(s) since the last report (latest from ${from}: ${reason}); totals ${JSON.stringify(this.drops)}`,
    );
    this.dropsLogged = total;
    this.lastDropLog = now;
  }

  private expire(): void {
    const cutoff = Date.now() - this.expiryMs;
    for (const [id, entry] of this.known) {
      if (entry.lastSeen < cutoff) {
        this.known.delete(id);
        this.emit('expired', id);
      }
    }
  }

  /** Forgets a peer so its next announce counts as new (e.g. after unblocking). */
  forget(id: string): void {
    this.known.delete(id);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    const goodbye = this.packet('goodbye');
    const sends: Promise<void>[] = [];
    for (const { socket, iface } of this.senders.values()) {
      const targets = [this.group, iface.broadcast];
      if (!this.options.interfaces) targets.push('255.255.255.255');
      for (const target of targets) sends.push(new Promise((r) => socket.send(goodbye, this.port, target, () => r())));
    }
    await Promise.race([Promise.all(sends), new Promise((r) => setTimeout(r, 500))]);
    this.stopped = true;
    if (this.announceTimer) clearTimeout(this.announceTimer);
    for (const t of this.timers) clearInterval(t);
    for (const { socket } of this.senders.values()) socket.close();
    this.senders.clear();
    this.listener?.close();
    this.listener = null;
  }
}

function sameSubnet(iface: Ipv4Interface, address: string): boolean {
  // The broadcast address marks the subnet's host bits; compare the network part.
  const a = iface.address.split('.').map(Number);
  const b = iface.broadcast.split('.').map(Number);
  const x = address.split('.').map(Number);
  return a.every((octet, i) => (a[i] === b[i] ? octet === x[i] : true));
}
