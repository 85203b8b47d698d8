import path from 'node:path';
import { parseArgs } from 'node:util';
import { shortId } from '../identity/fingerprint';
import { FerryDatabase } from '../store/database';
import { PeerRepo, type PeerRecord } from '../store/peer-repo';
import { defaultDataDir } from './cli-options';

/** `ferry peers`: the peers this data dir knows, as a table or JSON. */
export async function peersCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { 'data-dir': { type: 'string' }, json: { type: 'boolean' } },
    strict: true,
  });
  const db = FerryDatabase.open(path.join(path.resolve(values['data-dir'] ?? defaultDataDir()), 'ferry.db'));
  try {
    const peers = new PeerRepo(db).all();
    if (values.json) {
      process.stdout.write(`${JSON.stringify(peers, null, 2)}\n`);
    } else if (peers.length === 0) {
      process.stdout.write('No peers yet. Start `ferry listen` on both computers, or add one by address.\n');
    } else {
      process.stdout.write(formatTable(peers));
    }
    return 0;
  } finally {
    db.close();
  }
}

function status(p: PeerRecord): string {
  const flags = [p.verified ? 'verified' : 'unverified'];
  if (p.blocked) flags.push('blocked');
  if (p.certChanged) flags.push('CERTIFICATE CHANGED');
  if (p.manual) flags.push('added by hand');
  return flags.join(', ');
}

export function formatTable(peers: PeerRecord[]): string {
  const rows = [
    ['NAME', 'ID', 'PLATFORM', 'LAST SEEN', 'STATUS', 'ADDRESSES'],
    ...peers.map((p) => [
      p.alias ? `${p.alias} (${p.name})` : p.name,
      shortId(p.id),
      p.platform,
      p.lastSeen ? new Date(p.lastSeen).toISOString().replace('T', ' ').slice(0, 19) : 'never',
      status(p),
      p.addresses.join(' '),
    ]),
  ];
  // Width in terminal cells: CJK characters take two.
  const width = (s: string) => [...s].reduce((n, ch) => n + (/[\u1100-\uffff]/u.test(ch) ? 2 : 1), 0);
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => width(r[c]!))));
  return (
    rows
      .map((r) =>
        r
          .map((cell, c) => cell + ' '.repeat(widths[c]! - width(cell)))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}
