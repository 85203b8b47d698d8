/**
 * Packaging checks that run without the Electron binary: the electron-builder
 * config against the schema app-builder-lib ships, the runtime imports of the
 * built bundles, and an unpacked (`--dir`) build assembled around a stub Electron
 * (test/packaging/stub-electron-dist, clearly not Electron) whose app.asar we list.
 */
import { extractAll, extractFile, listPackage } from '@electron/asar';
import Ajv from 'ajv';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
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
      grantFileProtocolExtraPrivileges: false,
    });
    // Per-user without the "all users?" page: only a one-click, non-perMachine NSIS installer has neither.
    expect(config.nsis).toMatchObject({ oneClick: true, perMachine: false, deleteAppDataOnUninstall: false });
    expect((config.mac as { extendInfo: Record<string, string> }).extendInfo.NSLocalNetworkUsageDescription).toMatch(
      /network/,
    );
  });

  it('re-signs macOS ad hoc after flipping fuses, and notarises when Apple credentials are set', () => {
    // Without an identity electron-builder signs nothing after the fuses; Apple Silicon then kills the app.
    expect(config.electronFuses).toMatchObject({ resetAdHocDarwinSignature: true });
    // notarize: false would skip notarisation even with APPLE_ID & co. in the environment.
    expect((config.mac as { notarize?: boolean }).notarize).not.toBe(false);
  });

  it("extends electron-builder's default deb dependencies instead of replacing them", () => {
    // app-builder-lib's defaults (LinuxTargetHelper): deb.depends replaces them, so all must be listed.
    const defaults = [
      'libgtk-3-0',
      'libnotify4',
      'libnss3',
      'libxss1',
      'libxtst6',
      'xdg-utils',
      'libatspi2.0-0',
      'libuuid1',
      'libsecret-1-0',
    ];
    const depends = (config.deb as { depends: string[] }).depends;
    expect(depends).toEqual(expect.arrayContaining([...defaults, 'libgbm1']));
  });

  it('keeps the sandbox on Linux: the AppImage menu entry does not force --no-sandbox, the deb installs the AppArmor profile', () => {
    expect((config.appImage as { executableArgs?: string[] }).executableArgs).toEqual([]);
    // Custom deb scripts would replace electron-builder's, which install the AppArmor profile.
    expect((config.deb as Record<string, unknown>).afterInstall).toBeUndefined();
    const template = readFileSync(
      path.join(root, 'node_modules/app-builder-lib/templates/linux/after-install.tpl'),
      'utf8',
    );
    expect(template).toMatch(/apparmor_parser --replace/);
  });

  it('names in the README the installer files the config produces', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const nsis = config.nsis as { artifactName: string };
    expect(nsis.artifactName).toBe('${productName}-Setup-${version}.${ext}'); // one installer, x64 + arm64
    expect(readme).toContain('Ferry-Setup-<version>.exe');
    expect(readme).not.toMatch(/Setup-<version>-(x64|arm64)/);
    expect((config.dmg as { artifactName: string }).artifactName).toBe('${productName}-${version}-${arch}.${ext}');
    expect(readme).toContain('Ferry-<version>-arm64.dmg');
  });

  it('publishes update metadata where electron-updater looks (GitHub Releases)', () => {
    expect(config.publish).toMatchObject({ provider: 'github', owner: 'ferry-app', repo: 'ferry' });
    expect(pkg.dependencies['electron-updater']).toBeDefined();
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

/** Bare and relative module specifiers a built JS file imports or requires. */
const specifiers = (file: string, text = readFileSync(path.join(root, file), 'utf8')) => {
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
const mainFiles = () =>
  (readdirSync(path.join(root, 'out/main'), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.js'))
    .map((f) => path.join('out/main', f));
const isBuiltin = (spec: string) => spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]!);

describe('built bundles', () => {
  it('main bundles its dependencies: it needs only Node built-ins, electron and node-sqlite3-wasm', () => {
    const outside = mainFiles().flatMap((f) =>
      specifiers(f).filter((s) => !s.startsWith('.') && !isBuiltin(s) && s !== 'electron'),
    );
    expect([...new Set(outside)]).toEqual(['node-sqlite3-wasm']);
  });

  it('the sandboxed preload requires nothing but electron', () => {
    expect(specifiers('out/preload/index.cjs')).toEqual(['electron']);
  });

  it('no runtime dependency is a devDependency', () => {
    for (const s of mainFiles()
      .flatMap((f) => specifiers(f))
      .filter((x) => x !== 'electron' && !isBuiltin(x) && !x.startsWith('.'))) {
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
      '/node_modules/node-sqlite3-wasm/package.json',
    ]) {
      expect(files).toContain(expected);
    }
    // Everything else is inside the bundle: no other package ships, and every bare import of
    // every main chunk is a built-in, electron, or a package that is in the archive.
    expect(
      files.filter(
        (f) => /^\/node_modules\/[^/]+(\/[^/]+)?\/package\.json$/.test(f) && !f.includes('node-sqlite3-wasm'),
      ),
    ).toEqual([]);
    const chunks = files.filter((f) => /^\/out\/main\/.*\.js$/.test(f));
    expect(chunks.length).toBeGreaterThan(0);
    for (const chunk of chunks) {
      const text = extractFile(path.join(resources, 'app.asar'), chunk.slice(1)).toString('utf8');
      for (const spec of specifiers(chunk, text).filter((x) => !x.startsWith('.') && !isBuiltin(x) && x !== 'electron'))
        expect(files, `${chunk} imports ${spec}`).toContain(`/node_modules/${packageOf(spec)}/package.json`);
    }
    for (const forbidden of [
      /^\/electron\//,
      /^\/renderer\//,
      /^\/test\//,
      /^\/docs\//,
      /^\/bench\//,
      // The CLI's bundle (out/cli) is for `ferry` in a clone; the app doesn't ship the CLI.
      /^\/out\/cli\//,
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
    // electron-updater's feed (from `publish`): without it the update check can't start.
    expect(readFileSync(path.join(resources, 'app-update.yml'), 'utf8')).toMatch(/provider: github/);
    // The stub carries a fuse wire in Electron's layout (sentinel, version, 8 fuses), so the
    // configured fuses really were flipped: RunAsNode off, cookie encryption on, NODE_OPTIONS
    // off, inspect off, asar integrity on, only-asar on, V8 snapshot untouched, file:// privileges off.
    const exe = readFileSync(path.join(output, unpacked!, 'ferry'));
    const at = exe.indexOf('dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX') + 32;
    expect(exe[at]).toBe(1);
    expect(exe.subarray(at + 2, at + 2 + exe[at + 1]!).toString()).toBe('01001100');
    // The packaged main bundle loads: extracted from the archive and run by Node with only
    // `electron` stood in for (its single-instance lock refused, so it quits right after
    // evaluating every static import, node-sqlite3-wasm from the archive's node_modules included).
    const extracted = path.join(output, 'extracted');
    extractAll(path.join(resources, 'app.asar'), extracted);
    const hooks = path.join(output, 'electron-stand-in.mjs');
    const names = [
      'app',
      'BrowserWindow',
      'dialog',
      'ipcMain',
      'Menu',
      'nativeImage',
      'nativeTheme',
      'Notification',
      'protocol',
      'session',
      'shell',
      'Tray',
    ];
    const standIn = [
      `export const app = { isPackaged: true, commandLine: { hasSwitch: () => false }, setAppUserModelId() {}, requestSingleInstanceLock: () => false, quit: () => console.log('stand-in: quit'), on() {} };`,
      ...names.filter((n) => n !== 'app').map((n) => `export const ${n} = {};`),
    ].join('\n');
    writeFileSync(
      hooks,
      `export async function resolve(spec, ctx, next) {
        if (spec === 'electron') return { url: 'data:text/javascript,' + encodeURIComponent(${JSON.stringify(standIn)}), shortCircuit: true };
        return next(spec, ctx);
      }`,
    );
    const register = path.join(output, 'register.mjs');
    writeFileSync(
      register,
      `import { register } from 'node:module'; register(${JSON.stringify(pathToFileURL(hooks).href)});`,
    );
    const ran = execFileSync(
      process.execPath,
      ['--import', pathToFileURL(register).href, path.join(extracted, 'out/main/index.js')],
      {
        cwd: output,
        encoding: 'utf8',
      },
    );
    expect(ran).toContain('stand-in: quit');
    console.log(
      `app.asar: ${files.length} entries; top level: ${[...new Set(files.map((f) => f.split('/')[1]))].join(', ')}`,
    );
  }, 240_000);
});
