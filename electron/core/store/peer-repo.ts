import { protocolOfPeer } from '../../../shared/peer-id';
import type { FerryDatabase } from './database';

export interface PeerRecord {
  id: string;
  name: string;
  alias: string | null;
  platform: string;
  addresses: string[];
  firstSeen: number;
  lastSeen: number | null;
  verified: boolean;
  blocked: boolean;
  certChanged: boolean;
  manual: boolean;
  /** [from, to] ms; `to` is null while the block lasts. */
  blockedPeriods: [number, number | null][];
  /** The wire protocol it speaks (from its id). */
  protocol: 'ferry' | 'ipmsg';
  /** Capability strings of its last hello (e.g. `chat/1`); null until it has said hello. */
  caps: string[] | null;
}

interface PeerRow {
  id: string;
  name: string;
  alias: string | null;
  platform: string;
  addresses: string;
  first_seen: number;
  last_seen: number | null;
  verified: number;
  blocked: number;
  cert_changed: number;
  manual: number;
  blocked_periods?: string;
  caps?: string | null;
}

const MAX_ADDRESSES = 8;

function toRecord(row: PeerRow): PeerRecord {
  let addresses: string[] = [];
  try {
    const parsed: unknown = JSON.parse(row.addresses);
    if (Array.isArray(parsed)) addresses = parsed.filter((a): a is string => typeof a === 'string');
  } catch {
    addresses = [];
  }
  return {
    id: row.id,
    name: row.name,
    alias: row.alias,
    platform: row.platform,
    addresses,
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    verified: row.verified === 1,
    blocked: row.blocked === 1,
    certChanged: row.cert_changed === 1,
    manual: row.manual === 1,
    blockedPeriods: parsePeriods(row.blocked_periods),
    protocol: protocolOfPeer(row.id) ?? 'ferry',
    caps: parseCaps(row.caps),
  };
}

function parseCaps(json: string | null | undefined): string[] | null {
  if (json === null || json === undefined) return null;
  try {
    const parsed: unknown = JSON.parse(json);
    return Array.isArray(parsed) ? parsed.filter((c): c is string => typeof c === 'string') : null;
  } catch {
    return null;
  }
}

function parsePeriods(json: string | undefined): [number, number | null][] {
  try {
    const parsed: unknown = JSON.parse(json ?? '[]');
    return Array.isArray(parsed)
      ? parsed.filter(
          (p): p is [number, number | null] =>
            Array.isArray(p) && typeof p[0] === 'number' && (typeof p[1] === 'number' || p[1] === null),
        )
      : [];
  } catch {
    return [];
  }
}

/** Known peers: pinned identities (the id is the certificate fingerprint) and what we know of them. */
export class PeerRepo {
  constructor(private readonly db: FerryDatabase) {}

  get(id: string): PeerRecord | undefined {
    const row = this.db.get<PeerRow>('SELECT * FROM peers WHERE id = ?', [id]);
    return row && toRecord(row);
  }

  all(): PeerRecord[] {
    return this.db.all<PeerRow>('SELECT * FROM peers ORDER BY COALESCE(last_seen, first_seen) DESC').map(toRecord);
  }

  /** Pins a newly met peer or refreshes a known one after a successful hello. */
  upsertSeen(
    peer: { id: string; name: string; platform: string; address?: string; caps?: string[] },
    now: number,
  ): PeerRecord {
    // SQLite's C strings end at a NUL: a peer's "Bob\0Mallory" would be stored as "Bob".
    peer = { ...peer, name: peer.name.replaceAll('\0', '\uFFFD'), platform: peer.platform.replaceAll('\0', '\uFFFD') };
    return this.db.transaction(() => {
      const existing = this.get(peer.id);
      const addresses = existing?.addresses ?? [];
      const merged = peer.address
        ? [peer.address, ...addresses.filter((a) => a !== peer.address)].slice(0, MAX_ADDRESSES)
        : addresses;
      if (existing) {
        this.db.run('UPDATE peers SET name = ?, platform = ?, addresses = ?, last_seen = ? WHERE id = ?', [
          peer.name,
          peer.platform,
          JSON.stringify(merged),
          now,
          peer.id,
        ]);
      } else {
        this.db.run(
          'INSERT INTO peers (id, name, platform, addresses, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?)',
          [peer.id, peer.name, peer.platform, JSON.stringify(merged), now, now],
        );
      }
      if (peer.caps) this.db.run('UPDATE peers SET caps = ? WHERE id = ?', [JSON.stringify(peer.caps), peer.id]);
      return this.get(peer.id)!;
    });
  }

  update(
    id: string,
    patch: Partial<Pick<PeerRecord, 'alias' | 'verified' | 'blocked' | 'certChanged' | 'manual'>>,
  ): PeerRecord | undefined {
    const columns: Record<string, string> = {
      alias: 'alias',
      verified: 'verified',
      blocked: 'blocked',
      certChanged: 'cert_changed',
      manual: 'manual',
    };
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      const sqlValue = typeof value === 'boolean' ? (value ? 1 : 0) : value;
      this.db.run(`UPDATE peers SET ${columns[key]} = ? WHERE id = ?`, [sqlValue, id]);
    }
    return this.get(id);
  }

  /** Records the start or end of a block (the last 50 periods are kept). */
  markBlocked(id: string, blocked: boolean, now: number): void {
    const periods = this.get(id)?.blockedPeriods ?? [];
    const open = periods.at(-1)?.[1] === null;
    if (blocked && !open) periods.push([now, null]);
    if (!blocked && open) periods.at(-1)![1] = now;
    this.db.run('UPDATE peers SET blocked_periods = ? WHERE id = ?', [JSON.stringify(periods.slice(-50)), id]);
  }

  /** Whether the peer was blocked at `ts` (its own clock's claim of when it sent something). */
  wasBlockedAt(id: string, ts: number): boolean {
    const record = this.get(id);
    if (!record) return false;
    return record.blockedPeriods.some(([from, to]) => ts >= from && (to === null || ts < to));
  }

  remove(id: string): void {
    this.db.run('DELETE FROM peers WHERE id = ?', [id]);
  }
}
