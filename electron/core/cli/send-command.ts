import { parseArgs } from 'node:util';
import { FerryError } from '../ferry-error';
import { FerryNode } from '../ferry-node';
import { defaultDataDir } from './cli-options';

export async function sendCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      to: { type: 'string' },
      'data-dir': { type: 'string' },
      name: { type: 'string' },
      message: { type: 'string', short: 'm' },
      timeout: { type: 'string', default: '20' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (!values.to) throw usage('--to HOST[:PORT] is required');
  if (values.message === undefined && positionals.length === 0) throw usage('nothing to send: give --message TEXT');
  if (positionals.length > 0) throw usage('sending files is not available yet; use --message TEXT');
  const timeoutMs = Number(values.timeout) * 1000;
  if (!(timeoutMs > 0)) throw usage(`--timeout: "${values.timeout}" is not a number of seconds`);

  // port 0: a sender needs no fixed port and must not clash with a running Ferry.
  const node = await FerryNode.start({ dataDir: values['data-dir'] ?? defaultDataDir(), name: values.name, port: 0, discovery: false });
  try {
    const peer = await node.addPeer(values.to);
    process.stderr.write(`connected to ${peer.name} (${values.to})\n`);
    const delivered = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new FerryError('PEER_GONE', `${peer.name} did not confirm the message within ${values.timeout} s; it stays queued in the data dir and is re-sent next time`)),
        timeoutMs,
      );
      node.subscribe(({ name, payload }) => {
        if (name === 'messageUpdated' && 'state' in payload && payload.id === messageId && (payload.state === 'delivered' || payload.state === 'read')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    let messageId = '';
    const message = await node.sendMessage(peer.id, values.message!);
    messageId = message.id;
    await delivered;
    process.stdout.write(`delivered to ${peer.name}\n`);
    return 0;
  } finally {
    await node.stop();
  }
}

function usage(message: string): Error {
  return Object.assign(new Error(`${message} (see ferry --help)`), { code: 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' });
}
