/** `ferry ui` as a user runs it: a process that prints its URL, serves the UI with the token, and stops cleanly. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { runFerry, spawnFerry } from '../helpers/cli-process';
import { tempDir } from '../helpers/temp-dir';

it('ferry ui prints a tokened 127.0.0.1 URL, serves the UI only with the token, and stops on SIGTERM', async () => {
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
  ]);
  const line = await ui.waitFor((l) => l.event === 'ui', 20_000, 'the ui line');
  const url = new URL(line.url as string);
  expect(url.hostname).toBe('127.0.0.1');
  expect(url.searchParams.get('token')).toBeTruthy();
  expect((await fetch(url)).status).toBe(200);
  expect(await (await fetch(url)).text()).toContain('Ferry UI');
  expect((await fetch(new URL('/', url))).status).toBe(403);
  ui.child.kill('SIGTERM');
  await ui.waitFor((l) => l.event === 'stopped', 10_000, 'stopped');
  expect(await ui.exited).toBe(0);
});

it('ferry ui refuses an unknown option with usage exit code 2', async () => {
  const result = await runFerry(['ui', '--bogus']);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain('bogus');
});
