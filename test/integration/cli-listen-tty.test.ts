/**
 * `ferry listen` on a terminal (a real pty via util-linux `script`): readable
 * lines and a prompt per incoming offer (decline / accept / accept all from
 * this peer); JSON lines through a pipe or with --json. The `listening` line
 * advertises the address it is bound to.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, runFerry, spawnFerry, ttyFerry } from '../helpers/cli-process';
import { tempDir } from '../helpers/temp-dir';
import { tree } from '../helpers/transfer';

const count = (text: string, re: RegExp) => text.match(new RegExp(re.source, 'g'))?.length ?? 0;

describe('ferry listen on a terminal', () => {
  it('asks about each offer: n declines, a accepts this and later offers from that peer; Ctrl-C stops', async () => {
    const port = await freePort();
    const downloads = await tempDir();
    const bob = ttyFerry([
      'listen',
      '--data-dir',
      await tempDir(),
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--no-discovery',
      '--no-ipmsg',
      '--name',
      'Bob',
      '--download-dir',
      downloads,
    ]);
    await bob.waitForOutput(new RegExp(`Listening on 127\\.0\\.0\\.1:${port} as "Bob"`));
    const src = await tempDir();
    const files = ['one.txt', 'two.txt', 'three.txt'].map((n) => path.join(src, n));
    for (const f of files) await writeFile(f, 'x'.repeat(20));
    const aliceDir = await tempDir();
    const send = (file: string) =>
      runFerry(['send', '--to', `127.0.0.1:${port}`, '--data-dir', aliceDir, '--name', 'Alice', file], 60_000);

    // 1: declined at the prompt.
    let mark = bob.output().length;
    const first = send(files[0]!);
    await bob.waitForOutput(
      /Alice offers 1 item\(s\), 20 B:[\s\S]*one\.txt \(20 B\)[\s\S]*Accept\? \[y\]es \/ \[n\]o \/ \[a\]ll from Alice/,
      30_000,
      mark,
    );
    bob.type('n\r');
    const declined = await first;
    expect(declined.code).toBe(1);
    expect(declined.stderr).toContain('Bob declined the files.');
    await bob.waitForOutput(/declined 1 item\(s\), 20 B from Alice/, 10_000, mark);

    // 2: "a" accepts it and everything else Alice sends during this run.
    mark = bob.output().length;
    const second = send(files[1]!);
    await bob.waitForOutput(/two\.txt[\s\S]*Accept\?/, 30_000, mark);
    bob.type('a\r');
    expect((await second).code).toBe(0);
    await bob.waitForOutput(/received two\.txt from Alice/, 10_000, mark);

    // 3: no question this time.
    mark = bob.output().length;
    const third = await send(files[2]!);
    expect(third.code, third.stderr).toBe(0);
    await bob.waitForOutput(/received three\.txt from Alice/, 10_000, mark);
    expect(bob.output().slice(mark)).toContain('accepting (you chose all from Alice)');
    expect(bob.output().slice(mark)).not.toContain('Accept?');
    expect(count(bob.output(), /Accept\? \[y\]es/)).toBe(2);

    // Chat reads as a line, not JSON.
    expect(
      (await runFerry(['send', '--to', `127.0.0.1:${port}`, '--data-dir', aliceDir, '-m', 'hello there'])).code,
    ).toBe(0);
    await bob.waitForOutput(/\[\d\d:\d\d\] Alice: hello there/);
    expect(bob.output()).not.toContain('{"event"');
    expect(await tree(downloads)).toEqual(['three.txt', 'two.txt']);

    bob.type('\u0003'); // Ctrl-C
    await bob.waitForOutput(/Stopped\./);
    expect(await bob.exited).toBe(0);
  }, 240_000);

  it('--json on a terminal prints JSON lines', async () => {
    const port = await freePort();
    const bob = ttyFerry([
      'listen',
      '--json',
      '--data-dir',
      await tempDir(),
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--no-discovery',
      '--no-ipmsg',
    ]);
    await bob.waitForOutput(/\{"event":"listening".*\}/);
    expect(bob.output()).not.toContain('Listening on');
  }, 60_000);
});

describe('ferry listen through a pipe', () => {
  it('prints JSON lines, and advertises 127.0.0.1 (not an interface address) when bound to it', async () => {
    const port = await freePort();
    const proc = spawnFerry([
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
    const listening = await proc.waitFor((l) => l.event === 'listening', 20_000, 'listening');
    expect(listening.addresses).toEqual(['127.0.0.1']);
    expect(listening.port).toBe(port);
    expect(proc.lines.every((l) => l.event !== 'text')).toBe(true);
    // And it answers API calls on stdin.
    expect(((await proc.call('getSelf')) as { id: string }).id).toBe(listening.id);
  }, 60_000);
});
