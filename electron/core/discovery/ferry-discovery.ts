/**
 * Ferry's discovery plug-in: its UDP announcements (discovery-service.ts) and what the
 * engine does with them. An announcement is a claim, verified by dialing the claimed
 * address with the claimed id as the expected certificate. Unverified claims are
 * dialed from a bounded queue by a few workers, so a flood of fake ids costs a fixed
 * number of sockets; peers we already know jump the queue; a claim the certificate
 * contradicted is not dialed again until its announcer goes away and comes back.
 */
import type { NoticeDto } from '../../../shared/dto';
import { ferryPeerId, fingerprintOfPeer } from '../../../shared/peer-id';
import { FerryError } from '../ferry-error';
import { formatAddress } from '../net/address';
import { PROTOCOL_VERSION } from '../protocol/frames';
import type { DiscoveryHost, PeerDiscovery } from '../session/peer-discovery';
import { DiscoveryService, type DiscoveryOptions, type Sighting } from './discovery-service';

/** At most this many announced-but-unverified peers are dialed at once; the rest wait in a bounded queue. */
export const ANNOUNCE_DIALS = 4;
export const ANNOUNCE_QUEUE_MAX = 64;
const REFUSED_CLAIMS_MAX = 4096;

/** Answers that won't change by dialing the same announced address again. */
const REFUSALS = new Set([
  'PEER_ID_MISMATCH',
  'PEER_CERT_CHANGED',
  'PEER_BLOCKED',
  'PROTOCOL_VERSION',
  'SELF_CONNECTION',
]);

export interface FerryDiscoveryOptions {
  host: DiscoveryHost;
  /** UDP tuning (tests use their own port, loopback only, short intervals). */
  service?: Omit<DiscoveryOptions, 'self' | 'protocolVersion' | 'log'>;
  self: DiscoveryOptions['self'];
  /** Dials a claimed address expecting the claimed peer (its certificate); rejects with a FerryError. */
  dial: (address: string, expectedId: string) => Promise<unknown>;
  notice: (notice: NoticeDto) => void;
  /** Runs a listener so that what it throws is reported, never thrown into the event loop. */
  safely: <A extends unknown[]>(context: string, fn: (...args: A) => void) => (...args: A) => void;
}

export class FerryDiscovery implements PeerDiscovery {
  readonly protocol = 'ferry' as const;
  private readonly service: DiscoveryService;
  private stopped = false;
  /** Where announcements say peers are (by peer id): claims until a TLS handshake proves them. */
  private readonly sightings = new Map<string, Sighting>();
  private readonly dialing = new Set<string>();
  private readonly queue: Sighting[] = [];
  private active = 0;
  private dropped = 0;
  /** "id@address" announcements whose certificate did not match (spoofed or stale): ignored. */
  private readonly refusedClaims = new Set<string>();

  constructor(private readonly options: FerryDiscoveryOptions) {
    this.service = new DiscoveryService({
      ...options.service,
      protocolVersion: PROTOCOL_VERSION,
      self: options.self,
      log: (level, code, message) => options.notice({ level, code, message }),
    });
    const { safely } = options;
    this.service.on(
      'seen',
      safely('an announcement', (s: Sighting) => this.onSighting(s, true)),
    );
    this.service.on(
      'heard',
      safely('an announcement', (s: Sighting) => this.onSighting(s, false)),
    );
    this.service.on(
      'expired',
      safely('a silent peer', (id: string) => this.onGone(id, 'PEER_EXPIRED', 'stopped announcing')),
    );
    this.service.on(
      'goodbye',
      safely('a goodbye', (id: string) => this.onGone(id, 'PEER_GOODBYE', 'said goodbye')),
    );
  }

  start(): Promise<void> {
    return this.service.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.service.stop();
  }

  announceNow(): void {
    this.service.announceNow();
  }

  forget(peerId: string): void {
    const fingerprint = fingerprintOfPeer(peerId);
    if (fingerprint) this.service.forget(fingerprint);
  }

  announcedAddress(peerId: string): string | undefined {
    const sighting = this.sightings.get(peerId);
    return sighting && formatAddress({ host: sighting.host, port: sighting.port });
  }

  /** Announcement dialing, for tests and the soak run: running now, waiting, dropped for lack of room. */
  get dialStats(): { active: number; queued: number; dropped: number } {
    return { active: this.active, queued: this.queue.length, dropped: this.dropped };
  }

  private onSighting(sighting: Sighting, first: boolean): void {
    const { host, notice } = this.options;
    const peerId = ferryPeerId(sighting.id);
    const record = host.known(peerId);
    if (record?.blocked) return;
    const address = formatAddress({ host: sighting.host, port: sighting.port });
    this.sightings.set(peerId, sighting);
    if (first) {
      notice({
        level: 'info',
        code: 'PEER_DISCOVERED',
        message: `${sighting.name} announced itself at ${address}`,
        peerId,
      });
    }
    if (sighting.v !== PROTOCOL_VERSION) {
      if (first) {
        notice({
          level: 'warn',
          code: 'PROTOCOL_VERSION',
          message: `${sighting.name} runs Ferry protocol ${sighting.v}, this Ferry ${PROTOCOL_VERSION}; update both to the same version`,
          peerId,
        });
      }
      return;
    }
    const claim = `${peerId}@${address}`;
    if (host.connected(peerId) || this.dialing.has(peerId) || this.refusedClaims.has(claim)) return;
    // Retried on each announcement (every few seconds) while the peer is not connected.
    if (this.queue.length >= ANNOUNCE_QUEUE_MAX) {
      const victim = record ? this.queue.findIndex((s) => !host.known(ferryPeerId(s.id))) : -1;
      if (victim < 0) {
        this.dropped++;
        return;
      }
      this.dialing.delete(ferryPeerId(this.queue[victim]!.id));
      this.queue.splice(victim, 1);
      this.dropped++;
    }
    this.dialing.add(peerId);
    if (record) this.queue.unshift(sighting);
    else this.queue.push(sighting);
    this.dialNext();
  }

  private dialNext(): void {
    while (this.active < ANNOUNCE_DIALS && this.queue.length > 0 && !this.stopped) {
      const sighting = this.queue.shift()!;
      const peerId = ferryPeerId(sighting.id);
      const address = formatAddress({ host: sighting.host, port: sighting.port });
      const claim = `${peerId}@${address}`;
      this.active++;
      this.options
        .dial(address, peerId)
        .then(() => this.options.host.reached(peerId))
        .catch((err: unknown) => {
          // Logged by the connection layer. A claim the certificate contradicted is not tried again.
          if (err instanceof FerryError && REFUSALS.has(err.code)) {
            if (this.refusedClaims.size >= REFUSED_CLAIMS_MAX)
              this.refusedClaims.delete(this.refusedClaims.values().next().value!);
            this.refusedClaims.add(claim);
          }
        })
        .finally(() => {
          this.active--;
          this.dialing.delete(peerId);
          this.dialNext();
        });
    }
  }

  private onGone(fingerprint: string, code: 'PEER_EXPIRED' | 'PEER_GOODBYE', what: string): void {
    const peerId = ferryPeerId(fingerprint);
    const sighting = this.sightings.get(peerId);
    this.sightings.delete(peerId);
    // A refused claim may be tried again once its announcer went away and came back.
    for (const claim of this.refusedClaims) if (claim.startsWith(`${peerId}@`)) this.refusedClaims.delete(claim);
    if (sighting) this.options.notice({ level: 'info', code, message: `${sighting.name} ${what}`, peerId });
    this.options.host.gone(peerId);
  }
}
