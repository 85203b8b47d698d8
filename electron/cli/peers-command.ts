import path from 'node:path';
import { parseArgs } from 'node:util';
import { fingerprintOfPeer, ipOfPeer } from '../../shared/peer-id';
import { shortId } from '../core/identity/fingerprint';
import type { PeerRecord } from '../core/store/peer-repo';
import { defaultDataDir, PEERS_OPTIONS, processIo, type CliIo } from './cli-options';
import { terminalSafe, terminalSafeJson } from './terminal-text';

/** `ferry peers`: the peers this data dir knows, as a table or JSON. */
export async function peersCommand(argv: string[], io: CliIo = processIo()): Promise<number> {
  const { values } = parseArgs({ args: argv, options: PEERS_OPTIONS, strict: true });
  const { FerryDatabase } = await import('../core/store/database');
  const { PeerRepo } = await import('../core/store/peer-repo');
  const db = FerryDatabase.open(path.join(path.resolve(values['data-dir'] ?? defaultDataDir()), 'ferry.db'));
  try {
    const peers = new PeerRepo(db).all();
    if (values.json) {
      io.stdout.write(`${terminalSafeJson(peers, 2)}\n`);
    } else if (peers.length === 0) {
      io.stdout.write('No peers yet. Start `ferry listen` on both computers, or add one by address.\n');
    } else {
      io.stdout.write(formatTable(peers));
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
      // Names, platforms and addresses came from the peer: never raw to the terminal.
      p.alias ? `${terminalSafe(p.alias)} (${terminalSafe(p.name)})` : terminalSafe(p.name),
      // An IP Messenger peer's id is its address, short already.
      ipOfPeer(p.id) !== null ? p.id : shortId(fingerprintOfPeer(p.id) ?? p.id),
      terminalSafe(p.platform, ''),
      p.lastSeen ? new Date(p.lastSeen).toISOString().replace('T', ' ').slice(0, 19) : 'never',
      status(p),
      terminalSafe(p.addresses.join(' '), ''),
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
