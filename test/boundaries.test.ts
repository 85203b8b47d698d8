import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain .mjs script without types
import { findViolations } from '../scripts/check-boundaries.mjs';
import { tempDir } from './helpers/temp-dir';

const check = findViolations as (root: string) => string[];

describe('process boundaries', () => {
  it('holds in this repository', () => {
    expect(check(path.resolve(import.meta.dirname, '..'))).toEqual([]);
  });

  it('catches every kind of crossing in a tree that has them', async () => {
    const root = await tempDir();
    const files: Record<string, string> = {
      'electron/core/a.ts': "import { app } from 'electron';",
      'electron/core/b.ts': "import x from '../main/window';",
      'electron/core/ok.ts': "import { z } from 'zod';\nimport { y } from './b';",
      'electron/core/g.ts': "import { main } from '../cli/ferry-cli';",
      'electron/cli/h.ts': "import { shell } from 'electron';",
      'electron/cli/ok.ts': "import { FerryNode } from '../core/ferry-node';",
      'electron/browser-mode/i.ts': "import x from '../preload/index';",
      'shared/c.ts': "export * from '../electron/core/a';",
      'shared/d.ts': "const e = require('electron');",
      'renderer/src/e.ts': "import { FerryNode } from '../../electron/core/ferry-node';",
      'renderer/src/f.vue': '<script setup lang="ts">\nimport { ipcRenderer } from \'electron\'\n</script>',
      'renderer/src/ok.ts': "import type { FerryApi } from '../../shared/api';",
    };
    for (const [name, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(root, name)), { recursive: true });
      await writeFile(path.join(root, name), text);
    }
    const found = check(root);
    expect(found.map((v) => v.split(':')[0])).toEqual([
      'electron/core/a.ts',
      'electron/core/b.ts',
      'electron/core/g.ts',
      'electron/cli/h.ts',
      'electron/browser-mode/i.ts',
      'shared/c.ts',
      'shared/d.ts',
      'renderer/src/e.ts',
      'renderer/src/f.vue',
    ]);
  });
});
