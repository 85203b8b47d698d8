/**
 * Names a peer supplies never reach the terminal raw: an OSC title sequence,
 * a clear-screen, an 8-bit CSI and a bidi override in a peer's name come out
 * harmless in `ferry listen` (terminal and JSON), `ferry peers` and `ferry send`;
 * a NUL in a name doesn't cut it short in SQLite.
 */
import { describe, expect, it } from 'vitest';
import { createIdentity } from '../../electron/core/identity/device-identity';
import { freePort, runFerry, spawnFerry, ttyFerry } from '../helpers/cli-process';
import { startNode } from '../helpers/nodes';
import { rawPeer, until } from '../helpers/raw-peer';
import { tempDir } from '../helpers/temp-dir';

const HOSTILE = '\u001b]0;PWNED\u0007\u001b[2J\u202eevil\u009b2J';
const SHOWN = ']0;PWNED[2Jevil2J';
/** What must never be written: OSC, clear-screen, BEL, 8-bit CSI, RLO. */
// eslint-disable-next-line no-control-regex -- control characters are what this checks
const DANGEROUS = /\u001b\]|\u001b\[2J|\u0007|\u009b|\u202e/u;

async function helloAs(port: number, name: string, fresh = false): Promise<void> {
  const peer = await rawPeer(port, fresh ? await createIdentity() : undefined);
  peer.hello({ name });
  await until(() => peer.frames.some((f) => f.type === 'hello'), 10_000, 'hello from ferry listen');
}

describe('peer-supplied names on the terminal', () => {
  it('ferry listen (pty), ferry peers and ferry peers --json print a hostile name harmlessly; NUL survives', async () => {
    const dataDir = await tempDir();
    const port = await freePort();
    const bob = ttyFerry([
      'listen',
      '--data-dir',
      dataDir,
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--no-discovery',
      '--no-ipmsg',
    ]);
    await bob.waitForOutput(/Listening on/);
    await helloAs(port, HOSTILE);
    await bob.waitForOutput(new RegExp(`${SHOWN.replace(/[[\]]/gu, '\\$&')} is online`));
    await helloAs(port, 'Bob\u0000Mallory', true);
    await bob.waitForOutput(/Bob.Mallory is online/u);
    expect(bob.output()).not.toMatch(DANGEROUS);
    bob.type('\u0003');
    expect(await bob.exited).toBe(0);

    const table = await runFerry(['peers', '--data-dir', dataDir]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(SHOWN);
    expect(table.stdout).toContain('Bob\uFFFDMallory');
    expect(table.stdout).not.toMatch(DANGEROUS);
    // eslint-disable-next-line no-control-regex -- control characters are what this checks
    expect(table.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/u);

    const json = await runFerry(['peers', '--json', '--data-dir', dataDir]);
    expect(json.stdout).not.toMatch(DANGEROUS);
    const names = (JSON.parse(json.stdout) as { name: string }[]).map((p) => p.name).sort();
    // Exact in JSON (escaped, not stripped): a program gets the real name.
    expect(names).toEqual(['Bob\uFFFDMallory', HOSTILE].sort());
  }, 90_000);

  it('ferry listen through a pipe escapes the name in its JSON lines', async () => {
    const port = await freePort();
    const bob = spawnFerry([
      'listen',
      '--data-dir',
      await tempDir(),
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--no-discovery',
      '--no-ipmsg',
    ]);
    await bob.waitFor((l) => l.event === 'listening', 20_000, 'listening');
    await helloAs(port, HOSTILE);
    const seen = await bob.waitFor((l) => l.event === 'peerUpdated' && l.online === true, 10_000, 'peer online');
    expect(seen.name).toBe(HOSTILE);
    expect(bob.stdout()).not.toMatch(DANGEROUS);
    // eslint-disable-next-line no-control-regex -- control characters are what this checks
    expect(bob.stdout()).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/u);
  }, 60_000);

  it('ferry send prints the peer name harmlessly (text and --json)', async () => {
    const evil = await startNode(HOSTILE);
    const dataDir = await tempDir();
    const text = await runFerry(['send', '--to', evil.address, '--data-dir', dataDir, '-m', 'hi']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stderr).toContain(`connected to ${SHOWN}`);
    expect(text.stdout).toContain(`delivered to ${SHOWN}`);
    expect(text.stdout + text.stderr).not.toMatch(DANGEROUS);
    const json = await runFerry(['send', '--json', '--to', evil.address, '--data-dir', dataDir, '-m', 'hi']);
    expect(json.code).toBe(0);
    expect(json.stdout).not.toMatch(DANGEROUS);
    const connected = JSON.parse(json.stdout.split('\n')[0]!) as { event: string; peer: { name: string } };
    expect(connected).toMatchObject({ event: 'connected', peer: { name: HOSTILE } });
  }, 60_000);
});
