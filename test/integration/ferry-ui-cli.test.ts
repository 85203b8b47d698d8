/** `ferry ui` as a user runs it: a process that prints a one-time link, serves the UI through it, and stops cleanly. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { runFerry, spawnFerry } from '../helpers/cli-process';
import { tempDir } from '../helpers/temp-dir';

it('ferry ui prints a one-time 127.0.0.1 link, serves the UI only through it, and stops on SIGTERM', async () => {
  const rendererDir = await tempDir('ferry-renderer-');
  await writeFile(path.join(rendererDir, 'index.html'), '<!doctype html><title>Ferry UI</title>');
  const ui = spawnFerry([
    'ui',
    '--no-open',
    '--json',
    '--renderer-dir',
    rendererDir,
    '--data-dir',
    await tempDir(),
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    '--no-discovery',
    '--no-ipmsg',
  ]);
  const line = await ui.waitFor((l) => l.event === 'ui', 20_000, 'the ui line');
  const url = new URL(line.url as string);
  expect(url.hostname).toBe('127.0.0.1');
  expect(url.searchParams.get('code')).toBeTruthy();
  expect((await fetch(new URL('/', url))).status).toBe(403);
  const opened = await fetch(url, { redirect: 'manual' });
  expect(opened.status).toBe(303);
  expect(opened.headers.get('location')).toMatch(/^\/#session=/);
  const cookie = opened.headers.get('set-cookie')!.split(';')[0]!;
  const page = await fetch(new URL('/', url), { headers: { cookie } });
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('Ferry UI');
  // The link worked once.
  expect((await fetch(url, { redirect: 'manual' })).status).toBe(403);
  ui.child.kill('SIGTERM');
  await ui.waitFor((l) => l.event === 'stopped', 10_000, 'stopped');
  expect(await ui.exited).toBe(0);
});

it('ferry ui refuses an unknown option with usage exit code 2', async () => {
  const result = await runFerry(['ui', '--bogus']);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain('bogus');
});
