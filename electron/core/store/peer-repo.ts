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
  };
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
  upsertSeen(peer: { id: string; name: string; platform: string; address?: string }, now: number): PeerRecord {
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

  remove(id: string): void {
    this.db.run('DELETE FROM peers WHERE id = ?', [id]);
  }
}
