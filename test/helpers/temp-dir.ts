import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach } from 'vitest';

/**
 * Directories made since the last cleanup. The hooks are registered once, when a test file
 * imports this module: a hook registered from inside a running test never runs (each
 * call used to add one, and 44,000 temp folders — some holding 1 GiB uploads — filled the
 * disk). Node helpers stop their nodes in their own afterEach, which runs before this one.
 */
const made = new Set<string>();

async function removeAll(): Promise<void> {
  const dirs = [...made];
  made.clear();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
}

afterEach(removeAll);
afterAll(removeAll);

/** A fresh directory under the OS temp dir, removed after the current test. */
export async function tempDir(prefix = 'ferry-test-'): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  made.add(dir);
  return dir;
}
