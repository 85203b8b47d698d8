/**
 * Packaging checks that run without the Electron binary: the electron-builder
 * config against the schema app-builder-lib ships, the runtime imports of the
 * built bundles, and an unpacked (`--dir`) build assembled around a stub Electron
 * (test/packaging/stub-electron-dist, clearly not Electron) whose app.asar we list.
 */
import { listPackage } from '@electron/asar';
import Ajv from 'ajv';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { load as loadYaml } from 'js-yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir';

const root = path.resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const config = loadYaml(readFileSync(path.join(root, 'electron-builder.yml'), 'utf8')) as Record<string, unknown>;

beforeAll(() => {
  if (!existsSync(path.join(root, 'out/main/index.js'))) {
    execFileSync(process.execPath, [path.join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'], {
      cwd: root,
      stdio: 'pipe',
    });
  }
}, 120_000);

describe('electron-builder config', () => {
  it('is valid against the schema app-builder-lib ships', () => {
    const schema = JSON.parse(readFileSync(path.join(root, 'node_modules/app-builder-lib/scheme.json'), 'utf8'));
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    const valid = validate(config);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('catches an invalid config (the check can fail)', () => {
    const schema = JSON.parse(readFileSync(path.join(root, 'node_modules/app-builder-lib/scheme.json'), 'utf8'));
    const validate = new Ajv({ strict: false }).compile(schema);
    expect(validate({ ...config, asar: 'yes please', nsis: { oneClick: 3 } })).toBe(false);
  });

  it('turns off the risky fuses and keeps user data on uninstall', () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
    });
    expect(config.nsis).toMatchObject({ oneClick: false, perMachine: false, deleteAppDataOnUninstall: false });
    expect((config.mac as { extendInfo: Record<string, string> }).extendInfo.NSLocalNetworkUsageDescription).toMatch(
      /network/,
    );
  });

  it('has every icon it names', () => {
    for (const file of [
      'build/icon.ico',
      'build/icon.icns',
      'build/icon.png',
      'build/icons/512x512.png',
      'build/icons/32x32.png',
    ]) {
      expect(existsSync(path.join(root, file)), file).toBe(true);
    }
  });
});

describe('built bundles', () => {
  const specifiers = (file: string) => {
    const text = readFileSync(path.join(root, file), 'utf8');
    const found = new Set<string>();
    for (const m of text.matchAll(
      /(?:^|\n)import\s+(?:[^'";]+?\s+from\s+)?["']([^"']+)["']|require\(["']([^"']+)["']\)|import\(["']([^"']+)["']\)/g,
    )) {
      found.add(m[1] ?? m[2] ?? m[3]!);
    }
    return [...found];
  };
  const packageOf = (spec: string) =>
    spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
  const isBuiltin = (spec: string) => spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]!);

  it('main needs only Node built-ins, electron and packaged dependencies', () => {
    const outside = specifiers('out/main/index.js').filter(
      (s) => !s.startsWith('.') && !isBuiltin(s) && s !== 'electron' && !(packageOf(s) in pkg.dependencies),
    );
    expect(outside).toEqual([]);
  });

  it('the sandboxed preload requires nothing but electron', () => {
    expect(specifiers('out/preload/index.cjs')).toEqual(['electron']);
  });

  it('no runtime dependency is a devDependency', () => {
    for (const s of specifiers('out/main/index.js').filter((x) => x !== 'electron')) {
      expect(pkg.devDependencies[packageOf(s)], s).toBeUndefined();
    }
  });
});

describe('unpacked app (--dir) around a stub Electron', () => {
  it('contains the built app and runtime dependencies, and nothing else', async () => {
    const output = await tempDir('ferry-package-');
    execFileSync(process.execPath, [path.join(root, 'scripts/package-stub-dir.mjs'), output], {
      cwd: root,
      stdio: 'pipe',
      // A plain environment: under npm/vitest variables electron-builder copies extra resources twice.
      env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true' },
    });
    const unpacked = readdirSync(output).find((d) => d.endsWith('-unpacked'));
    expect(unpacked).toBeDefined();
    const resources = path.join(output, unpacked!, 'resources');
    const files = listPackage(path.join(resources, 'app.asar'), { isPack: false }).map((f) =>
      f.split(path.sep).join('/'),
    );
    for (const expected of [
      '/package.json',
      '/out/main/index.js',
      '/out/preload/index.cjs',
      '/out/renderer/index.html',
      '/node_modules/zod/package.json',
      '/node_modules/@peculiar/x509/package.json',
    ]) {
      expect(files).toContain(expected);
    }
    for (const forbidden of [
      /^\/electron\//,
      /^\/renderer\//,
      /^\/test\//,
      /^\/docs\//,
      /^\/bench\//,
      /^\/node_modules\/(vitest|vite|electron|typescript|eslint|tsx)\//,
      /\.ts$/,
    ]) {
      expect(
        files.filter((f) => forbidden.test(f)),
        String(forbidden),
      ).toEqual([]);
    }
    // SQLite's WebAssembly is read from disk, so it sits beside the archive, unpacked.
    expect(
      existsSync(path.join(resources, 'app.asar.unpacked/node_modules/node-sqlite3-wasm/dist/node-sqlite3-wasm.wasm')),
    ).toBe(true);
    expect(existsSync(path.join(resources, 'tray-icon.png'))).toBe(true);
    // The stub carries a fuse wire in Electron's layout (sentinel, version, 8 fuses), so the
    // configured fuses really were flipped: RunAsNode off, cookie encryption on, NODE_OPTIONS
    // off, inspect off, asar integrity on, only-asar on, the last two untouched.
    const exe = readFileSync(path.join(output, unpacked!, 'ferry'));
    const at = exe.indexOf('dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX') + 32;
    expect(exe[at]).toBe(1);
    expect(exe.subarray(at + 2, at + 2 + exe[at + 1]!).toString()).toBe('01001101');
    console.log(
      `app.asar: ${files.length} entries; top level: ${[...new Set(files.map((f) => f.split('/')[1]))].join(', ')}`,
    );
  }, 240_000);
});
