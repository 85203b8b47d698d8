/**
 * `ferry ui`: the desktop app's UI in a browser, for machines where Electron
 * can't run. Starts the engine, serves the built renderer on 127.0.0.1, prints a
 * one-time link and opens it. One per data dir: when a Ferry already serves this
 * data dir, it is asked for a fresh link instead, and this process exits 0.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startBrowserHost } from '../browser-mode/browser-host';
import { openInBrowser } from '../browser-mode/open-in-browser';
import {
  askRunningInstance,
  loadOrCreateSessionSecret,
  readEndpoint,
  markStopped,
  writeEndpoint,
} from '../browser-mode/ui-instance';
import { FerryError } from '../core/ferry-error';
import { FerryNode } from '../core/ferry-node';
import { installLastResort } from '../core/last-resort';
import { defaultDataDir, parsePort, printJson, processIo, UI_OPTIONS, type CliIo } from './cli-options';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export async function uiCommand(argv: string[], io: CliIo = processIo()): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: UI_OPTIONS,
    strict: true,
  });
  const uiHost = values['ui-host'] ?? '127.0.0.1';
  // Checked before anything starts, like every other usage mistake.
  const port = parsePort(values.port);
  const discoveryPort = values['discovery-port'] ? parsePort(values['discovery-port'], '--discovery-port') : undefined;
  const uiPort = parsePort(values['ui-port'], '--ui-port');
  const rendererDir = path.resolve(values['renderer-dir'] ?? path.join(REPO_ROOT, 'out', 'renderer'));
  if (!existsSync(path.join(rendererDir, 'index.html')) && !values['renderer-dir']) buildRenderer(io);

  const dataDir = path.resolve(values['data-dir'] ?? defaultDataDir());
  const running = await askRunningInstance(dataDir);
  if (running) {
    if (values.json) printJson({ event: 'ui', url: running, existing: true }, io.stdout);
    else io.stdout.write(`Ferry is already running for this data folder.\n  Open: ${running}\n`);
    if (!values['no-open'] && !(await openInBrowser(running))) {
      io.stdout.write('  Could not open a browser by itself: copy the link above into one.\n');
    }
    return 0;
  }
  // The same secret and, if free, the same port as last time: tabs of the last run reconnect.
  const secret = await loadOrCreateSessionSecret(dataDir);
  const lastPort = (await readEndpoint(dataDir))?.port;
  const node = await FerryNode.start({
    dataDir,
    downloadDir: values['download-dir'],
    name: values.name,
    port,
    host: values.host,
    discovery: values['no-discovery'] ? false : undefined,
    ipmsg: values['no-ipmsg'] ? false : undefined,
    discoveryOptions: discoveryPort !== undefined ? { port: discoveryPort } : undefined,
    portFallback: values.port === undefined,
  });
  // Last resort: log an unexpected error once and keep serving, or stop cleanly and say why.
  const removeLastResort = installLastResort({
    context: () => `ferry ui (port ${node.listeningPort})`,
    shutdown: () => node.stop(),
  });
  let ui;
  try {
    const start = (port: number) =>
      startBrowserHost({
        engine: node,
        rendererDir,
        stagingDir: path.join(dataDir, 'browser-uploads'),
        host: uiHost,
        port,
        secret,
      });
    ui =
      uiPort !== undefined
        ? await start(uiPort)
        : await start(lastPort ?? 0).catch((err: unknown) => {
            if (lastPort && err instanceof FerryError && err.code === 'PORT_IN_USE') return start(0);
            throw err;
          });
    await writeEndpoint(dataDir, { pid: process.pid, host: uiHost, port: ui.port });
  } catch (err) {
    await ui?.close();
    await node.stop();
    removeLastResort();
    throw err;
  }

  if (values.json) {
    printJson({ event: 'ui', url: ui.url, port: ui.port, enginePort: node.listeningPort, id: node.peerId }, io.stdout);
  } else {
    io.stdout.write(
      `Ferry is running in browser mode.\n  Open: ${ui.url}\n  (The link opens Ferry once. For another tab, run this command again.)\n`,
    );
    if (!LOOPBACK.has(uiHost)) {
      io.stdout.write(
        `  Warning: the UI listens on ${uiHost}, not only this computer. Anyone who gets the link can use Ferry as you.\n`,
      );
    }
  }
  if (!values['no-open'] && !(await openInBrowser(ui.url))) {
    io.stdout.write('  Could not open a browser by itself: copy the link above into one.\n');
  }

  let stop = () => {};
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  io.signals.once('SIGINT', stop);
  io.signals.once('SIGTERM', stop);
  await stopped;
  await markStopped(dataDir);
  await ui.close();
  await node.stop();
  removeLastResort();
  io.signals.off('SIGINT', stop);
  io.signals.off('SIGTERM', stop);
  if (values.json) printJson({ event: 'stopped' }, io.stdout);
  return 0;
}

/** A clone without a build: build the renderer once (electron-vite, the same as `npm run build`). */
function buildRenderer(io: CliIo): void {
  const bin = path.join(REPO_ROOT, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js');
  io.stdout.write('Ferry: building the UI once (npm run build)…\n');
  const result = spawnSync(process.execPath, [bin, 'build'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (result.status !== 0) throw new Error('building the UI failed; run "npm run build" and try again');
}
