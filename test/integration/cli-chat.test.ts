/**
 * Two `ferry listen` processes on 127.0.0.1: chat both ways, then SIGKILL and
 * restart each side in turn; nothing is lost and pending messages are delivered once.
 */
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir';
import { freePort, runFerry, spawnFerry, type FerryProcess, type JsonLine } from '../helpers/cli-process';

type Dto = { id: string; state?: string; text?: string };

async function listen(name: string, dataDir: string, port: number): Promise<{ proc: FerryProcess; id: string }> {
  const proc = spawnFerry([
    'listen',
    '--data-dir',
    dataDir,
    '--port',
    String(port),
    '--name',
    name,
    '--no-discovery',
    '--no-ipmsg',
    '--host',
    '127.0.0.1',
  ]);
  const ready = await proc.waitFor((l) => l.event === 'listening', 20_000, 'listening');
  return { proc, id: ready.id as string };
}

const added = (text: string) => (l: JsonLine) => l.event === 'messageAdded' && l.text === text;

describe('ferry listen processes', () => {
  it('exchange messages both ways and survive SIGKILL + restart of either side', async () => {
    const [dirA, dirB] = [await tempDir(), await tempDir()];
    const [portA, portB] = [await freePort(), await freePort()];
    let a = await listen('Alice', dirA, portA);
    let b = await listen('Bob', dirB, portB);

    const bob = (await a.proc.call('addPeer', `127.0.0.1:${portB}`)) as Dto;
    expect(bob.id).toBe(b.id);
    await a.proc.call('sendMessage', `direct:${b.id}`, 'hello from Alice');
    await b.proc.waitFor(added('hello from Alice'), 10_000, 'Alice → Bob');
    await b.proc.call('sendMessage', `direct:${a.id}`, '你好 from Bob');
    await a.proc.waitFor(added('你好 from Bob'), 10_000, 'Bob → Alice');

    // Bob dies hard; Alice keeps writing; Bob comes back on the same data dir.
    b.proc.child.kill('SIGKILL');
    await b.proc.exited;
    await a.proc.waitFor(
      (l) => l.event === 'peerUpdated' && l.id === b.id && l.online === false,
      10_000,
      'Bob offline',
    );
    const pending = (await a.proc.call('sendMessage', `direct:${b.id}`, 'sent while Bob was down')) as Dto;
    b = await listen('Bob', dirB, portB);
    await b.proc.waitFor(added('sent while Bob was down'), 20_000, 'pending message re-delivered');
    await a.proc.waitFor(
      (l) => l.event === 'messageUpdated' && l.id === pending.id && l.state === 'delivered',
      10_000,
      'delivered',
    );
    const history = (await b.proc.call('listMessages', `direct:${a.id}`)) as { messages: Dto[] };
    expect(history.messages.map((m) => m.text)).toEqual([
      'hello from Alice',
      '你好 from Bob',
      'sent while Bob was down',
    ]);

    // Now Alice dies hard with a message owed to Bob (who is down too), then both return.
    b.proc.child.kill('SIGKILL');
    await b.proc.exited;
    await a.proc.waitFor(
      (l) =>
        l.event === 'notice' &&
        l.peerId === b.id &&
        l.code !== 'PEER_CONNECTED' &&
        (l.message as string).startsWith('disconnected'),
      10_000,
      'Bob gone again',
    );
    const owed = (await a.proc.call('sendMessage', `direct:${b.id}`, 'owed across an Alice crash')) as Dto;
    a.proc.child.kill('SIGKILL');
    await a.proc.exited;
    b = await listen('Bob', dirB, portB);
    a = await listen('Alice', dirA, portA);
    await b.proc.waitFor(added('owed across an Alice crash'), 20_000, 'owed message after both restarts');
    await a.proc.waitFor(
      (l) => l.event === 'messageUpdated' && l.id === owed.id && l.state === 'delivered',
      10_000,
      'owed delivered',
    );
    const finalHistory = (await b.proc.call('listMessages', `direct:${a.id}`)) as { messages: Dto[] };
    expect(finalHistory.messages.map((m) => m.text)).toEqual([
      'hello from Alice',
      '你好 from Bob',
      'sent while Bob was down',
      'owed across an Alice crash',
    ]);

    a.proc.child.kill('SIGINT');
    expect(await a.proc.exited).toBe(0);
    expect(a.proc.lines.at(-1)?.event).toBe('stopped');
  }, 90_000);

  it('answers bad API calls on stdin with an error, and keeps running', async () => {
    const a = await listen('Alice', await tempDir(), await freePort());
    await expect(a.proc.call('sendMessage', 'nope', 'x')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(a.proc.call('rmrf')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    a.proc.child.stdin!.write('this is not json\n');
    await a.proc.waitFor((l) => l.event === 'result' && l.ok === false && l.id === null, 5_000, 'error for non-JSON');
    expect(((await a.proc.call('getSelf')) as Dto).id).toBe(a.id);
  }, 30_000);
});

describe('ferry send', () => {
  it('exits 0 once the peer stored the message', async () => {
    const port = await freePort();
    const b = await listen('Bob', await tempDir(), port);
    const result = await runFerry([
      'send',
      '--to',
      `127.0.0.1:${port}`,
      '--data-dir',
      await tempDir(),
      '--message',
      'one-shot',
    ]);
    expect(result.stdout).toContain('delivered to Bob');
    expect(result.code).toBe(0);
    await b.proc.waitFor(added('one-shot'), 5_000, 'one-shot arrives');
  }, 30_000);

  it('exits 1 with a clear reason when nobody listens', async () => {
    const result = await runFerry([
      'send',
      '--to',
      `127.0.0.1:${await freePort()}`,
      '--data-dir',
      await tempDir(),
      '--message',
      'x',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Nothing is listening at 127\.0\.0\.1:\d+/m);
    expect(result.stderr).not.toMatch(/PEER_UNREACHABLE/);
  }, 30_000);

  it('exits 2 on bad usage and documents every flag in --help', async () => {
    expect((await runFerry(['send', '--message', 'x'])).code).toBe(2);
    expect((await runFerry(['send', '--to', '1.2.3.4', '--bogus'])).code).toBe(2);
    expect((await runFerry(['frobnicate'])).code).toBe(2);
    const help = await runFerry(['--help']);
    expect(help.code).toBe(0);
    for (const flag of [
      '--data-dir',
      '--download-dir',
      '--name',
      '--port',
      '--no-discovery',
      '--no-ipmsg',
      '--to',
      '--message',
      '--timeout',
    ]) {
      expect(help.stdout).toContain(flag);
    }
  }, 30_000);
});
