import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { parseArgs as parseApiArgs, requestNames, type RequestName } from '../../../shared/api';
import { FerryError } from '../ferry-error';
import { FerryNode } from '../ferry-node';
import { installLastResort } from '../last-resort';
import { defaultDataDir, parsePort, printJson } from './cli-options';

export async function listenCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string' },
      'download-dir': { type: 'string' },
      name: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'no-discovery': { type: 'boolean' },
      'discovery-port': { type: 'string' },
      accept: { type: 'boolean' },
      'accept-from': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const acceptFrom = values['accept-from'] ?? 'verified';
  if (acceptFrom !== 'verified' && acceptFrom !== 'any') {
    throw Object.assign(new Error(`--accept-from: "${acceptFrom}" must be "verified" or "any"`), {
      code: 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE',
    });
  }
  const node = await FerryNode.start({
    autoAccept: values.accept ? acceptFrom : undefined,
    dataDir: values['data-dir'] ?? defaultDataDir(),
    downloadDir: values['download-dir'],
    name: values.name,
    port: parsePort(values.port),
    host: values.host,
    discovery: values['no-discovery'] ? false : undefined,
    discoveryOptions: values['discovery-port'] ? { port: parsePort(values['discovery-port']) } : undefined,
  });
  node.subscribe(({ name, payload }) => printJson({ event: name, ...(payload as object) }));
  // Last resort: log an unexpected error once and keep serving, or stop cleanly and say why.
  installLastResort({
    context: () => `ferry listen (port ${node.listeningPort})`,
    shutdown: () => node.stop(),
  });
  const self = await node.getSelf();
  printJson({ event: 'listening', id: self.id, name: self.name, port: node.listeningPort, addresses: self.addresses });

  const input = createInterface({ input: process.stdin });
  input.on('line', (line) => void handleCall(node, line));

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  input.close();
  await node.stop();
  printJson({ event: 'stopped' });
  return 0;
}

/** Runs one `{"id":…,"call":…,"args":[…]}` line against the contract, validating like the IPC edge. */
async function handleCall(node: FerryNode, line: string): Promise<void> {
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
    printJson({ event: 'result', id, ok: true, result: result ?? null });
  } catch (err) {
    const error =
      err instanceof SyntaxError
        ? new FerryError('INVALID_ARGUMENT', 'not a JSON line')
        : FerryError.from(err, 'INVALID_ARGUMENT');
    printJson({ event: 'result', id, ok: false, error: error.toDto() });
  }
}
