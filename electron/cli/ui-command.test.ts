/**
 * `ferry ui` in-process: the engine on 127.0.0.1 (discovery off), the web UI on a
 * loopback address, a test renderer folder, and no browser: PATH is emptied for
 * each test, so "opening a browser" can only fail (and say so).
 */
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testIo, type TestIo } from '../../test/helpers/cli-io';
import { tempDir } from '../../test/helpers/temp-dir';
import { waitForValue } from '../../test/helpers/wait';
import { askRunningInstance, readEndpoint } from '../browser-mode/ui-instance';
import { FerryNode } from '../core/ferry-node';
import { DEFAULT_PORT } from '../core/net/address';
import { uiCommand } from './ui-command';

const saved = { path: process.env.PATH, dataDir: process.env.FERRY_DATA_DIR };
beforeEach(async () => {
  process.env.PATH = await tempDir('ferry-empty-path-');
  process.env.FERRY_DATA_DIR = await tempDir('ferry-default-');
});

interface Ui {
  t: TestIo;
  done: Promise<number>;
  dataDir: string;
  /** The {"event":"ui"} line (with --json). */
  line: Record<string, unknown>;
}

const running = new Set<Ui>();
afterEach(async () => {
  for (const u of running) u.t.signal('SIGTERM');
  await Promise.all([...running].map((u) => u.done.catch(() => 0)));
  running.clear();
  process.env.PATH = saved.path;
  if (saved.dataDir === undefined) delete process.env.FERRY_DATA_DIR;
  else process.env.FERRY_DATA_DIR = saved.dataDir;
});

async function renderer(): Promise<string> {
  const dir = await tempDir('ferry-renderer-');
  await writeFile(path.join(dir, 'index.html'), '<!doctype html><title>Ferry UI</title>');
  return dir;
}

const ENGINE = ['--host', '127.0.0.1', '--port', '0', '--no-discovery', '--no-ipmsg'];

/** Starts `ferry ui` and waits until it has printed its link. */
async function ui(args: string[], opts: { dataDir?: string; json?: boolean } = {}): Promise<Ui> {
  const dataDir = opts.dataDir ?? (await tempDir('ferry-ui-'));
  const t = testIo();
  const json = opts.json ?? true;
  const done = uiCommand(
    [...ENGINE, '--renderer-dir', await renderer(), '--data-dir', dataDir, ...(json ? ['--json'] : []), ...args],
    t.io,
  );
  const u: Ui = { t, done, dataDir, line: {} };
  running.add(u);
  await Promise.race([
    json
      ? waitForValue(() => t.jsonLines().find((l) => l.event === 'ui')).then((l) => (u.line = l))
      : t.waitForOut('Open: '),
    done.then((code) => {
      throw new Error(`ferry ui ended (${code}) before its link: ${t.stdout()} ${t.stderr()}`);
    }),
  ]);
  return u;
}

async function stop(u: Ui, signal: 'SIGINT' | 'SIGTERM' = 'SIGINT'): Promise<number> {
  u.t.signal(signal);
  const code = await u.done;
  running.delete(u);
  return code;
}

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

describe('ferry ui', () => {
  it('--json: prints the link, the ports and the id; the link opens the UI once; stops on a signal', async () => {
    const u = await ui(['--no-open']);
    const url = new URL(u.line.url as string);
    expect(url.hostname).toBe('127.0.0.1');
    expect(Number(url.port)).toBe(u.line.port);
    expect(u.line.enginePort).toEqual(expect.any(Number));
    expect(u.line.enginePort).not.toBe(0);
    expect(Object.keys(u.line).sort()).toEqual(['enginePort', 'event', 'id', 'port', 'url']);
    const opened = await fetch(url, { redirect: 'manual' });
    expect(opened.status).toBe(303);
    const cookie = opened.headers.get('set-cookie')!.split(';')[0]!;
    expect(await (await fetch(new URL('/', url), { headers: { cookie } })).text()).toContain('Ferry UI');
    // The engine listens where it was told.
    const socket = net.connect(u.line.enginePort as number, '127.0.0.1');
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.destroy();
    expect(await stop(u, 'SIGTERM')).toBe(0);
    expect(u.t.jsonLines().at(-1)).toEqual({ event: 'stopped' });
    expect(u.t.io.signals.listenerCount('SIGINT') + u.t.io.signals.listenerCount('SIGTERM')).toBe(0);
    // Stopped: it answers no more, and says it isn't running.
    await expect(fetch(url)).rejects.toThrow();
    expect(await askRunningInstance(u.dataDir)).toBeNull();
    // The data folder says no UI runs (pid 0), keeping the port for the next start.
    expect(await readEndpoint(u.dataDir)).toEqual({ pid: 0, host: '127.0.0.1', port: u.line.port });
    const node = await FerryNode.start({
      dataDir: u.dataDir,
      port: 0,
      host: '127.0.0.1',
      discovery: false,
      ipmsg: false,
    });
    expect(node.peerId).toBe(u.line.id);
    await node.stop();
  });

  it('text: the link in a sentence; no browser to open is said; no warning on loopback', async () => {
    const u = await ui([], { json: false });
    await u.t.waitForOut('Could not open a browser by itself');
    const url = /Open: (\S+)\n/u.exec(u.t.stdout())![1]!;
    expect(u.t.stdout()).toBe(
      'Ferry is running in browser mode.\n' +
        `  Open: ${url}\n` +
        '  (The link opens Ferry once. For another tab, run this command again.)\n' +
        '  Could not open a browser by itself: copy the link above into one.\n',
    );
    expect(await stop(u)).toBe(0);
    expect(u.t.stdout().endsWith('copy the link above into one.\n')).toBe(true);
    // Stopped by Ctrl-C: the SIGTERM listener is gone too.
    expect(u.t.io.signals.listenerCount('SIGINT') + u.t.io.signals.listenerCount('SIGTERM')).toBe(0);
  });

  it('--no-open: no attempt, no "could not open" line', async () => {
    const u = await ui(['--no-open'], { json: false });
    expect(await stop(u)).toBe(0);
    expect(u.t.stdout()).not.toContain('Could not open');
  });

  it('a UI host other than this computer’s loopback names are warned about', async () => {
    const quiet = await ui(['--no-open', '--ui-host', 'localhost'], { json: false });
    expect(quiet.t.stdout()).not.toContain('Warning');
    await stop(quiet);
    const six = await ui(['--no-open', '--ui-host', '::1'], { json: false });
    expect(six.t.stdout()).toContain('  Open: http://[::1]:');
    expect(six.t.stdout()).not.toContain('Warning');
    await stop(six);
    const loud = await ui(['--no-open', '--ui-host', '127.0.0.2'], { json: false });
    expect(loud.t.stdout()).toContain(
      '  Warning: the UI listens on 127.0.0.2, not only this computer. Anyone who gets the link can use Ferry as you.\n',
    );
    expect(loud.t.stdout()).toContain('  Open: http://127.0.0.2:');
    await stop(loud);
  });

  it('one per data folder: a second ferry ui asks the first for a new link and exits 0', async () => {
    const first = await ui(['--no-open']);
    const t = testIo();
    const code = await uiCommand(
      [...ENGINE, '--data-dir', first.dataDir, '--renderer-dir', await renderer(), '--no-open'],
      t.io,
    );
    expect(code).toBe(0);
    const url = /^Ferry is already running for this data folder\.\n {2}Open: (\S+)\n$/u.exec(t.stdout())?.[1];
    expect(url).toBeDefined();
    expect(new URL(url!).port).toBe(String(first.line.port));
    expect(url).not.toBe(first.line.url);
    const j = testIo();
    expect(
      await uiCommand(['--data-dir', first.dataDir, '--renderer-dir', await renderer(), '--json', '--no-open'], j.io),
    ).toBe(0);
    expect(j.jsonLines()).toEqual([
      { event: 'ui', url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:/u), existing: true },
    ]);
    const tryOpen = testIo();
    expect(await uiCommand(['--data-dir', first.dataDir, '--renderer-dir', await renderer()], tryOpen.io)).toBe(0);
    expect(tryOpen.stdout()).toMatch(/\n {2}Could not open a browser by itself: copy the link above into one\.\n$/u);
    await stop(first);
  });

  it('the next start takes the same UI port again; if it is taken, another; --ui-port chooses', async () => {
    const dataDir = await tempDir('ferry-ui-');
    const first = await ui(['--no-open'], { dataDir });
    await stop(first);
    const second = await ui(['--no-open'], { dataDir });
    expect(second.line.port).toBe(first.line.port);
    await stop(second);
    const blocker = net.createServer().listen(first.line.port as number, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    try {
      const third = await ui(['--no-open'], { dataDir });
      expect(third.line.port).not.toBe(first.line.port);
      await stop(third);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
    const chosen = await freePort();
    const fourth = await ui(['--no-open', '--ui-port', String(chosen)], { dataDir });
    expect(fourth.line.port).toBe(chosen);
    await stop(fourth);
  });

  it('a --ui-port that is taken fails with PORT_IN_USE, and the engine it started is stopped', async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const taken = (blocker.address() as net.AddressInfo).port;
    try {
      const enginePort = await freePort();
      const args = [
        '--no-discovery',
        '--no-ipmsg',
        '--host',
        '127.0.0.1',
        '--port',
        String(enginePort),
        '--ui-port',
        String(taken),
      ];
      await expect(
        uiCommand([...args, '--renderer-dir', await renderer(), '--data-dir', await tempDir()], testIo().io),
      ).rejects.toMatchObject({ code: 'PORT_IN_USE' });
      const again = net.createServer().listen(enginePort, '127.0.0.1');
      await new Promise((resolve, reject) => again.once('listening', resolve).once('error', reject));
      await new Promise((r) => again.close(r));
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('an engine --port that is taken fails with PORT_IN_USE; without --port, a taken default port is no obstacle', async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const taken = (blocker.address() as net.AddressInfo).port;
    // The default port: taken by this test, or already by something else.
    const onDefault = net.createServer();
    await new Promise<void>((resolve) => {
      onDefault.once('error', () => resolve());
      onDefault.listen(DEFAULT_PORT, '127.0.0.1', () => resolve());
    });
    try {
      /** Starts ferry ui; resolves with "started" once it printed its link, or the error code it failed with. */
      const attempt = async (engine: string[]) => {
        const t = testIo();
        const dataDir = await tempDir('ferry-ui-');
        const done = uiCommand(
          [
            ...engine,
            '--no-discovery',
            '--no-ipmsg',
            '--renderer-dir',
            await renderer(),
            '--data-dir',
            dataDir,
            '--json',
            '--no-open',
          ],
          t.io,
        );
        const u: Ui = { t, done, dataDir, line: {} };
        running.add(u);
        return Promise.race([
          done.then(
            () => 'ended',
            (err: { code?: string }) => err.code,
          ),
          waitForValue(() => t.jsonLines().find((l) => l.event === 'ui')).then((l) => {
            u.line = l;
            return 'started';
          }),
        ]).then((outcome) => ({ outcome, u }));
      };
      const refused = await attempt(['--host', '127.0.0.1', '--port', String(taken)]);
      expect(refused.outcome).toBe('PORT_IN_USE');
      running.delete(refused.u);
      const fallback = await attempt(['--host', '127.0.0.1']);
      expect(fallback.outcome).toBe('started');
      expect(fallback.u.line.enginePort).toEqual(expect.any(Number));
      expect(fallback.u.line.enginePort).not.toBe(DEFAULT_PORT);
      await stop(fallback.u);
    } finally {
      await new Promise((r) => blocker.close(r));
      if (onDefault.listening) await new Promise((r) => onDefault.close(r));
    }
  });

  it('--name and --download-dir are saved for the engine', async () => {
    const downloads = await tempDir();
    const u = await ui(['--no-open', '--name', 'Webby', '--download-dir', downloads]);
    await stop(u);
    const node = await FerryNode.start({
      dataDir: u.dataDir,
      port: 0,
      host: '127.0.0.1',
      discovery: false,
      ipmsg: false,
    });
    const settings = await node.getSettings();
    await node.stop();
    expect([settings.displayName, settings.downloadDir]).toEqual(['Webby', downloads]);
  });

  it('without --data-dir it uses $FERRY_DATA_DIR', async () => {
    const t = testIo();
    const done = uiCommand([...ENGINE, '--renderer-dir', await renderer(), '--json', '--no-open'], t.io);
    running.add({ t, done, dataDir: '', line: {} });
    await waitForValue(() => t.jsonLines().find((l) => l.event === 'ui'));
    expect(existsSync(path.join(process.env.FERRY_DATA_DIR!, 'ferry.db'))).toBe(true);
  });

  it('--no-discovery (with --discovery-port): nothing listens on the discovery port', async () => {
    const probe = dgram.createSocket('udp4');
    await new Promise<void>((r) => probe.bind(0, '127.0.0.1', () => r()));
    const udp = probe.address().port;
    await new Promise<void>((r) => probe.close(() => r()));
    const u = await ui(['--no-open', '--discovery-port', String(udp)]);
    const again = dgram.createSocket('udp4');
    const free = await new Promise<boolean>((resolve) => {
      again.once('error', () => resolve(false));
      again.bind(udp, '0.0.0.0', () => resolve(true));
    });
    again.close();
    expect(free).toBe(true);
    await stop(u);
  });
});

describe('ferry ui: mistakes', () => {
  it.each([
    [['--port', 'x'], '--port: "x" is not a port number (0–65535)'],
    [['--ui-port', '70000'], '--ui-port: "70000" is not a port number (0–65535)'],
    [['--discovery-port', '-'], '--discovery-port: "-" is not a port number (0–65535)'],
  ])('%j is a usage error before anything starts', async (args, message) => {
    const dataDir = path.join(await tempDir(), 'data');
    await expect(
      uiCommand(['--data-dir', dataDir, '--renderer-dir', dataDir, ...args], testIo().io),
    ).rejects.toMatchObject({
      code: 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE',
      message,
    });
    expect(existsSync(dataDir)).toBe(false);
  });

  it('an unknown option is the parser’s usage error', async () => {
    await expect(uiCommand(['--bogus'], testIo().io)).rejects.toMatchObject({ code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' });
  });

  it('a --renderer-dir without a built UI fails with NOT_FOUND, and the engine it started is stopped', async () => {
    const empty = await tempDir('ferry-renderer-');
    const dataDir = await tempDir('ferry-ui-');
    const enginePort = await freePort();
    const t = testIo();
    await expect(
      uiCommand(
        [
          '--no-discovery',
          '--no-ipmsg',
          '--host',
          '127.0.0.1',
          '--port',
          String(enginePort),
          '--renderer-dir',
          empty,
          '--data-dir',
          dataDir,
        ],
        t.io,
      ),
    ).rejects.toMatchObject({ code: 'NOT_FOUND', message: `no built renderer in ${empty}; run "npm run build" first` });
    // Stopped: the engine's port can be listened on again.
    const again = net.createServer().listen(enginePort, '127.0.0.1');
    await new Promise((resolve, reject) => again.once('listening', resolve).once('error', reject));
    await new Promise((r) => again.close(r));
    expect(t.stdout()).toBe('');
  });
});
