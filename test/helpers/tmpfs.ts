/** Small real tmpfs mounts (root on Linux only; tests skip with the reason otherwise). */
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach } from 'vitest';
import { tempDir } from './temp-dir';

/** Why a tmpfs can't be mounted here, or null when it can. */
export function tmpfsUnavailable(): string | null {
  if (process.platform !== 'linux') return 'tmpfs mounts need Linux';
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root (run in .ci/run as root)';
  return null;
}

const mounted: string[] = [];
afterEach(() => {
  for (const dir of mounted.splice(0)) execFileSync('umount', ['-l', dir]);
});

/** A fresh tmpfs of `size` (e.g. "8m"), unmounted after the test. */
export async function tmpfs(size: string): Promise<string> {
  const dir = await tempDir('ferry-tmpfs-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  mounted.push(dir);
  return dir;
}

/** Fills the file system holding `dir` to the last byte; returns the filler's path (remove it to free the space). */
export function fillDisk(dir: string): string {
  const filler = path.join(dir, 'filler.bin');
  const fd = openSync(filler, 'w');
  try {
    for (const size of [1024 * 1024, 64 * 1024, 4096, 512, 1]) {
      const chunk = Buffer.alloc(size, 0x55);
      for (;;) {
        try {
          if (writeSync(fd, chunk) < size) break;
        } catch {
          break; // ENOSPC: try a smaller piece
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return filler;
}

export async function freeDisk(filler: string): Promise<void> {
  await rm(filler, { force: true });
}
