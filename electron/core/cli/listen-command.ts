import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { parseArgs as parseApiArgs, requestNames, type RequestName } from '../../../shared/api';
import { FerryError } from '../ferry-error';
import type { FerryNode } from '../ferry-node';
import { installLastResort } from '../last-resort';
import { defaultDataDir, NODE_OPTIONS, parsePort, printJson, processIo, type CliIo } from './cli-options';
import { ListenTerminal } from './listen-terminal';

export const LISTEN_OPTIONS = {
  ...NODE_OPTIONS,
  accept: { type: 'boolean' },
  'accept-from': { type: 'string' },
} as const;

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

  const { FerryNode } = await import('../ferry-node');
  const node = await FerryNode.start({
    autoAccept,
    dataDir: values['data-dir'] ?? defaultDataDir(),
    downloadDir: values['download-dir'],
    name: values.name,
    port,
    host,
    discovery: values['no-discovery'] ? false : undefined,
    discoveryOptions: discoveryPort !== undefined ? { port: discoveryPort } : undefined,
  });
  // Last resort: log an unexpected error once and keep serving, or stop cleanly and say why.
  const removeLastResort = installLastResort({
    context: () => `ferry listen (port ${node.listeningPort})`,
    shutdown: () => node.stop(),
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
      if (line.trim().startsWith('{')) void handleCall(node, line, (r) => terminal.callResult(r));
      else terminal.answer(line);
    });
  } else {
    const print = (value: Record<string, unknown>) => printJson(value, io.stdout);
    node.subscribe(({ name, payload }) => print({ event: name, ...(payload as object) }));
    print({ event: 'listening', id: self.id, name: self.name, port: node.listeningPort, addresses });
    input.on('line', (line) => void handleCall(node, line, print));
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

/** Runs one `{"id":…,"call":…,"args":[…]}` line against the contract, validating like the IPC edge. */
async function handleCall(
  node: FerryNode,
  line: string,
  reply: (result: Record<string, unknown>) => void,
): Promise<void> {
  if (!line.trim()) return;
  let id: unknown = null;
  try {
    const request = JSON.parse(line) as { id?: unknown; call?: unknown; args?: unknown };
    id = request.id ?? null;
    if (typeof request.call !== 'string' || !requestNames.includes(request.call as RequestName)) {
      throw new FerryError(
        'INVALID_ARGUMENT',
        `unknown call "${String(request.call)}"; calls: ${requestNames.join(', ')}`,
      );
    }
    const name = request.call as RequestName;
    const args = parseApiArgs(name, request.args ?? []);
    const result = await (node[name] as (...a: unknown[]) => Promise<unknown>)(...(args as unknown[]));
    reply({ event: 'result', id, ok: true, result: result ?? null });
  } catch (err) {
    const error =
      err instanceof SyntaxError
        ? new FerryError('INVALID_ARGUMENT', 'not a JSON line')
        : FerryError.from(err, 'INVALID_ARGUMENT');
    reply({ event: 'result', id, ok: false, error: error.toDto() });
  }
}
