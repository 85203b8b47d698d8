import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Dispatcher } from '../core/api/dispatcher';
import { installLastResort } from '../core/last-resort';
import { defaultDataDir, LISTEN_OPTIONS, parsePort, printJson, processIo, type CliIo } from './cli-options';
import { ListenTerminal } from './listen-terminal';

const ANY_INTERFACE = new Set(['0.0.0.0', '::', '']);

/**
 * What other computers can dial: the interfaces' addresses only when bound to
 * all of them; otherwise the one address it is bound to (127.0.0.1 is reachable
 * from this computer only, and saying so beats advertising an address that refuses).
 */
export function reachableAddresses(host: string, interfaceAddresses: string[]): string[] {
  return ANY_INTERFACE.has(host) ? interfaceAddresses : [host];
}

export async function listenCommand(argv: string[], io: CliIo = processIo()): Promise<number> {
  const { values } = parseArgs({ args: argv, options: LISTEN_OPTIONS, strict: true });
  const acceptFrom = values['accept-from'] ?? 'verified';
  if (acceptFrom !== 'verified' && acceptFrom !== 'any') {
    throw Object.assign(new Error(`--accept-from: "${acceptFrom}" must be "verified" or "any"`), {
      code: 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE',
    });
  }
  const port = parsePort(values.port);
  const discoveryPort = values['discovery-port'] ? parsePort(values['discovery-port'], '--discovery-port') : undefined;
  // A person at a terminal gets sentences and a prompt; a program gets JSON lines.
  const interactive = !values.json && io.stdin.isTTY === true && io.stdout.isTTY === true;
  const host = values.host ?? '0.0.0.0';
  const autoAccept = values.accept ? acceptFrom : undefined;

  const { FerryNode } = await import('../core/ferry-node');
  const node = await FerryNode.start({
    autoAccept,
    dataDir: values['data-dir'] ?? defaultDataDir(),
    downloadDir: values['download-dir'],
    name: values.name,
    port,
    host,
    discovery: values['no-discovery'] ? false : undefined,
    ipmsg: values['no-ipmsg'] ? false : undefined,
    discoveryOptions: discoveryPort !== undefined ? { port: discoveryPort } : undefined,
  });
  // Last resort: log an unexpected error once and keep serving, or stop cleanly and say why.
  const removeLastResort = installLastResort({
    context: () => `ferry listen (port ${node.listeningPort})`,
    shutdown: () => node.stop(),
  });
  // Calls on stdin go through the engine's dispatcher; an engine bug is logged on stderr.
  const dispatcher = new Dispatcher({
    engine: node,
    host: 'ferry listen stdin',
    log: (line) => io.stderr.write(`${line}\n`),
  });
  const self = await node.getSelf();
  const addresses = reachableAddresses(host, self.addresses);
  const input = createInterface({
    input: io.stdin,
    output: interactive ? io.stdout : undefined,
    terminal: interactive,
  });
  let stop = () => {};
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  io.signals.once('SIGINT', stop);
  io.signals.once('SIGTERM', stop);
  // On a terminal readline owns Ctrl-C (raw mode) and reports it here instead.
  input.on('SIGINT', stop);

  if (interactive) {
    const terminal = new ListenTerminal(node, input, { autoAccept, settings: await node.getSettings() }, io.stdout);
    await terminal.start();
    terminal.listening({ name: self.name, id: self.id, port: node.listeningPort, addresses });
    input.on('line', (line) => {
      if (line.trim().startsWith('{')) void handleCall(dispatcher, line, (r) => terminal.callResult(r));
      else terminal.answer(line);
    });
  } else {
    const print = (value: Record<string, unknown>) => printJson(value, io.stdout);
    node.subscribe(({ name, payload }) => print({ event: name, ...(payload as object) }));
    print({ event: 'listening', id: self.id, name: self.name, port: node.listeningPort, addresses });
    input.on('line', (line) => void handleCall(dispatcher, line, print));
  }

  await stopped;
  input.close();
  await node.stop();
  removeLastResort();
  io.signals.off('SIGINT', stop);
  io.signals.off('SIGTERM', stop);
  if (interactive) io.stdout.write('\nStopped.\n');
  else printJson({ event: 'stopped' }, io.stdout);
  return 0;
}

/**
 * Runs one `{"id":…,"call":…,"args":[…]}` line through the dispatcher and
 * replies `{event:'result', id, ok, result | error}`.
 */
async function handleCall(
  dispatcher: Dispatcher,
  line: string,
  reply: (result: Record<string, unknown>) => void,
): Promise<void> {
  if (!line.trim()) return;
  let request: unknown;
  try {
    request = JSON.parse(line);
  } catch {
    reply({ event: 'result', id: null, ok: false, error: { code: 'INVALID_ARGUMENT', message: 'not a JSON line' } });
    return;
  }
  if (!request || typeof request !== 'object' || Array.isArray(request)) {
    const message = 'a call is a JSON object {"id", "call", "args"}';
    reply({ event: 'result', id: null, ok: false, error: { code: 'INVALID_ARGUMENT', message } });
    return;
  }
  const { id = null, call, args } = request as { id?: unknown; call?: unknown; args?: unknown };
  const outcome = await dispatcher.call(call, args, `call id ${String(JSON.stringify(id)).slice(0, 64)}`);
  reply({ event: 'result', id, ...outcome });
}
