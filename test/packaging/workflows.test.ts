/** The GitHub workflows, checked by reading (they only run on GitHub): matrix, commands, artifacts. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { load as loadYaml } from 'js-yaml';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
interface Step {
  name?: string;
  run?: string;
  if?: string;
  uses?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}
interface Job {
  'runs-on': string;
  env?: Record<string, string>;
  strategy: { matrix: { include?: { os: string }[]; os?: string[] } };
  steps: Step[];
}
const workflow = (name: string) =>
  loadYaml(readFileSync(path.join(root, '.github/workflows', name), 'utf8')) as {
    jobs: Record<string, Job>;
    permissions?: Record<string, string>;
  };

describe('electron workflow', () => {
  const job = workflow('electron.yml').jobs.desktop!;
  const runs = job.steps.map((s) => s.run ?? '').join('\n');

  it('runs on Linux, Windows and macOS, and a missing Electron binary fails it', () => {
    expect(job.strategy.matrix.include!.map((m) => m.os).sort()).toEqual([
      'macos-latest',
      'ubuntu-latest',
      'windows-latest',
    ]);
    expect(job.env?.FERRY_REQUIRE_ELECTRON).toBe('1');
    expect(runs).toMatch(/node node_modules\/electron\/install\.js/);
  });

  it('runs the real-Electron test files that exist, dev tree then packaged', () => {
    const files = [...runs.matchAll(/vitest run --project electron (\S+)/g)].map((m) => m[1]!);
    expect(files).toEqual([
      'test/electron/desktop.test.ts',
      'test/electron/packaged.test.ts',
      'test/electron/packaged.test.ts',
    ]);
    for (const f of files) expect(existsSync(path.join(root, f)), f).toBe(true);
    expect(runs.indexOf('npm run build')).toBeLessThan(runs.indexOf('desktop.test.ts'));
    expect(runs.indexOf('electron-builder --dir')).toBeLessThan(runs.indexOf('packaged.test.ts'));
  });

  it('on Linux installs the .deb and tests /opt/Ferry/ferry', () => {
    const linux = job.steps
      .filter((s) => s.if === "runner.os == 'Linux'")
      .map((s) => s.run)
      .join('\n');
    expect(linux).toMatch(/apt-get install -y \.\/release\/\*\/ferry_\*_amd64\.deb/);
    expect(linux).toMatch(/FERRY_PACKAGED_APP=\/opt\/Ferry\/ferry .*packaged\.test\.ts/);
  });
});

describe('release workflow', () => {
  const doc = workflow('release.yml');
  const job = doc.jobs.installers!;
  it('publishes installers and update metadata to the tag’s GitHub Release', () => {
    expect(job.strategy.matrix.os!.sort()).toEqual(['macos-latest', 'ubuntu-latest', 'windows-latest']);
    expect(doc.permissions?.contents).toBe('write');
    const publish = job.steps.find((s) => s.run?.includes('electron-builder'))!;
    expect(publish.run).toMatch(/--publish always/);
    expect(publish.env?.GH_TOKEN).toContain('GITHUB_TOKEN');
    const upload = job.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'))!;
    for (const kind of ['latest*.yml', '*.blockmap', '*.zip', '*.exe', '*.dmg', '*.AppImage', '*.deb'])
      expect(upload.with?.path).toContain(kind);
  });
});
