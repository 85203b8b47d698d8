import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { testIo } from '../../test/helpers/cli-io';
import { defaultDataDir, parsePort, printJson, processIo } from './cli-options';

const KEYS = ['FERRY_DATA_DIR', 'XDG_CONFIG_HOME', 'APPDATA'] as const;
const saved = Object.fromEntries(KEYS.map((k) => [k, process.env[k]]));
const platform = process.platform;
afterEach(() => {
  for (const k of KEYS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  Object.defineProperty(process, 'platform', { value: platform });
});

/** The data dir default depends on the OS; this machine is Linux, so the others are simulated by process.platform. */
function onPlatform(p: NodeJS.Platform): void {
  Object.defineProperty(process, 'platform', { value: p });
}

describe('defaultDataDir', () => {
  it('is $FERRY_DATA_DIR when set', () => {
    process.env.FERRY_DATA_DIR = '/srv/ferry-data';
    process.env.XDG_CONFIG_HOME = '/xdg';
    expect(defaultDataDir()).toBe('/srv/ferry-data');
  });

  it('on Linux: $XDG_CONFIG_HOME/Ferry/engine, else ~/.config/Ferry/engine (the desktop app’s userData)', () => {
    delete process.env.FERRY_DATA_DIR;
    process.env.XDG_CONFIG_HOME = '/xdg';
    expect(defaultDataDir()).toBe('/xdg/Ferry/engine');
    delete process.env.XDG_CONFIG_HOME;
    expect(defaultDataDir()).toBe(path.join(os.homedir(), '.config', 'Ferry', 'engine'));
  });

  it('on Windows: %APPDATA%\\Ferry\\engine, else the home folder’s AppData\\Roaming', () => {
    delete process.env.FERRY_DATA_DIR;
    process.env.XDG_CONFIG_HOME = '/xdg';
    onPlatform('win32');
    process.env.APPDATA = '/appdata';
    expect(defaultDataDir()).toBe(path.join('/appdata', 'Ferry', 'engine'));
    delete process.env.APPDATA;
    expect(defaultDataDir()).toBe(path.join(os.homedir(), 'AppData', 'Roaming', 'Ferry', 'engine'));
  });

  it('on macOS: ~/Library/Application Support/Ferry/engine', () => {
    delete process.env.FERRY_DATA_DIR;
    process.env.XDG_CONFIG_HOME = '/xdg';
    process.env.APPDATA = '/appdata';
    onPlatform('darwin');
    expect(defaultDataDir()).toBe(path.join(os.homedir(), 'Library', 'Application Support', 'Ferry', 'engine'));
  });
});

describe('parsePort', () => {
  it('no value is no port; 0 to 65535 are ports', () => {
    expect(parsePort(undefined)).toBeUndefined();
    expect(parsePort('0')).toBe(0);
    expect(parsePort('47820')).toBe(47820);
    expect(parsePort('65535')).toBe(65535);
  });

  it.each(['65536', '', 'a1', '1a', '-1', '1.5', ' 80', '0x50', '1e3'])(
    '"%s" is a usage error that names the value',
    (value) => {
      let thrown: unknown;
      try {
        parsePort(value);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toMatchObject({
        code: 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE',
        message: `--port: "${value}" is not a port number (0–65535)`,
      });
    },
  );
});

describe('printJson', () => {
  it('prints one line of JSON with C1 and bidi controls escaped', () => {
    const t = testIo();
    printJson({ event: 'x', name: 'a\u009bb\u202ec' }, t.io.stdout);
    printJson({ event: 'y' }, t.io.stdout);
    expect(t.stdout()).toBe('{"event":"x","name":"a\\u009bb\\u202ec"}\n{"event":"y"}\n');
    expect(t.jsonLines()[0]).toEqual({ event: 'x', name: 'a\u009bb\u202ec' });
  });
});

describe('processIo', () => {
  it('is the process’s own streams and signals', () => {
    const io = processIo();
    expect(io.stdout).toBe(process.stdout);
    expect(io.stderr).toBe(process.stderr);
    expect(io.stdin).toBe(process.stdin);
    expect(io.signals).toBe(process);
  });
});
