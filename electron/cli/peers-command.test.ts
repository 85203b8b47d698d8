import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testIo } from '../../test/helpers/cli-io';
import { tempDir } from '../../test/helpers/temp-dir';
import { FerryDatabase } from '../core/store/database';
import { PeerRepo, type PeerRecord } from '../core/store/peer-repo';
import { formatTable, peersCommand } from './peers-command';

const ID_A = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2';
const ID_B = 'ffee0011ffee0011ffee0011ffee0011ffee0011ffee0011ffee0011ffee0011';
const SEEN_A = Date.UTC(2026, 10, 24, 9, 5, 7);
const SEEN_B = Date.UTC(2026, 10, 23, 18, 0, 0);

let savedDataDir: string | undefined;
beforeEach(() => {
  savedDataDir = process.env.FERRY_DATA_DIR;
});
afterEach(() => {
  if (savedDataDir === undefined) delete process.env.FERRY_DATA_DIR;
  else process.env.FERRY_DATA_DIR = savedDataDir;
});

/** A data dir whose database knows two peers, written with the store's own code. */
async function knownPeers(): Promise<string> {
  const dir = await tempDir('ferry-peers-');
  const db = FerryDatabase.open(path.join(dir, 'ferry.db'));
  try {
    const peers = new PeerRepo(db);
    peers.upsertSeen({ id: ID_A, name: 'Alice', platform: 'linux', address: '10.0.0.5:47820' }, SEEN_A);
    peers.upsertSeen({ id: ID_A, name: 'Alice', platform: 'linux', address: '10.0.0.6:47820' }, SEEN_A);
    peers.update(ID_A, { verified: true, manual: true });
    peers.upsertSeen({ id: ID_B, name: '李\u001b[2J', platform: 'win32' }, SEEN_B);
    peers.update(ID_B, { alias: 'Bobby', blocked: true, certChanged: true });
  } finally {
    db.close();
  }
  return dir;
}

function record(p: Partial<PeerRecord>): PeerRecord {
  return {
    id: ID_A,
    name: 'Alice',
    alias: null,
    platform: 'linux',
    addresses: [],
    firstSeen: 0,
    lastSeen: null,
    verified: false,
    blocked: false,
    certChanged: false,
    manual: false,
    blockedPeriods: [],
    protocol: 'ferry',
    caps: null,
    ...p,
  };
}

describe('ferry peers', () => {
  it('prints the known peers as a table, newest first, with their status', async () => {
    const dir = await knownPeers();
    const t = testIo();
    expect(await peersCommand(['--data-dir', dir], t.io)).toBe(0);
    expect(t.stdout()).toBe(
      [
        'NAME           ID         PLATFORM  LAST SEEN            STATUS                                    ADDRESSES',
        'Alice          a1b2 c3d4  linux     2026-11-24 09:05:07  verified, added by hand                   10.0.0.6:47820 10.0.0.5:47820',
        'Bobby (李[2J)  ffee 0011  win32     2026-11-23 18:00:00  unverified, blocked, CERTIFICATE CHANGED',
        '',
      ].join('\n'),
    );
    expect(t.stderr()).toBe('');
  });

  it('--json prints the full records, with controls escaped', async () => {
    const dir = await knownPeers();
    const t = testIo();
    expect(await peersCommand(['--json', '--data-dir', dir], t.io)).toBe(0);
    expect(t.stdout()).not.toContain('\u001b');
    expect(t.stdout()).toMatch(/^\[\n {2}\{\n {4}"id": "a1b2/u);
    const peers = JSON.parse(t.stdout()) as PeerRecord[];
    expect(peers.map((p) => [p.name, p.alias, p.verified, p.blocked, p.lastSeen])).toEqual([
      ['Alice', null, true, false, SEEN_A],
      ['李\u001b[2J', 'Bobby', false, true, SEEN_B],
    ]);
  });

  it('an empty data dir says how to meet peers; the default data dir is $FERRY_DATA_DIR', async () => {
    const dir = await tempDir('ferry-peers-');
    const t = testIo();
    expect(await peersCommand(['--data-dir', dir], t.io)).toBe(0);
    expect(t.stdout()).toBe('No peers yet. Start `ferry listen` on both computers, or add one by address.\n');
    process.env.FERRY_DATA_DIR = await knownPeers();
    const d = testIo();
    expect(await peersCommand([], d.io)).toBe(0);
    expect(d.stdout()).toContain('Alice');
    const j = testIo();
    expect(await peersCommand(['--json'], j.io)).toBe(0);
    expect(JSON.parse(j.stdout())).toHaveLength(2);
  });

  it('a relative --data-dir is taken from the working directory', async () => {
    const dir = await knownPeers();
    const t = testIo();
    expect(await peersCommand(['--data-dir', path.relative(process.cwd(), dir)], t.io)).toBe(0);
    expect(t.stdout()).toContain('Alice');
  });

  it('an unknown option is a usage error', async () => {
    await expect(peersCommand(['--all'], testIo().io)).rejects.toMatchObject({ code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' });
    await expect(peersCommand(['extra'], testIo().io)).rejects.toMatchObject({
      code: 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL',
    });
  });
});

describe('formatTable', () => {
  it('pads columns by terminal cells (CJK is two wide) and trims line ends', () => {
    const table = formatTable([
      record({ name: '李李', platform: '', lastSeen: null }),
      record({ id: ID_B, name: 'Bo', platform: 'mac', addresses: ['h:1'] }),
    ]);
    expect(table).toBe(
      [
        'NAME  ID         PLATFORM  LAST SEEN  STATUS      ADDRESSES',
        '李李  a1b2 c3d4            never      unverified',
        'Bo    ffee 0011  mac       never      unverified  h:1',
        '',
      ].join('\n'),
    );
  });

  it('names, aliases, platforms and addresses from peers lose their control characters', () => {
    const table = formatTable([
      record({ name: '\u001b]0;x\u0007Eve', alias: '\u202eBoss', platform: 'lin\u009bux', addresses: ['a\u0007b'] }),
    ]);
    // eslint-disable-next-line no-control-regex -- control characters are what this checks
    expect(table).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u009b\u202e]/u);
    expect(table.split('\n')[1]).toBe('Boss (]0;xEve)  a1b2 c3d4  linux     never      unverified  ab');
  });

  it('a peer with nothing shown in its last columns has no trailing blanks; an empty name shows as ?', () => {
    const table = formatTable([
      record({ name: '\u0007', platform: '' }),
      record({ name: 'Long name here', platform: '' }),
    ]);
    expect(table.split('\n')[1]).toBe('?               a1b2 c3d4            never      unverified');
  });
});
