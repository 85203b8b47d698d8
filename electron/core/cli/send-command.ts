import { parseArgs } from 'node:util';
import type { TransferDto } from '../../../shared/dto';
import { FerryError } from '../ferry-error';
import { FerryNode } from '../ferry-node';
import { defaultDataDir } from './cli-options';
import { formatBytes, ProgressPrinter } from './transfer-progress';

export async function sendCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      to: { type: 'string' },
      'data-dir': { type: 'string' },
      name: { type: 'string' },
      message: { type: 'string', short: 'm' },
      timeout: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (!values.to) throw usage('--to HOST[:PORT] is required');
  if (values.message === undefined && positionals.length === 0)
    throw usage('nothing to send: give files/folders or --message TEXT');
  const timeoutMs = values.timeout === undefined ? null : Number(values.timeout) * 1000;
  if (timeoutMs !== null && !(timeoutMs > 0)) throw usage(`--timeout: "${values.timeout}" is not a number of seconds`);

  // port 0: a sender needs no fixed port and must not clash with a running Ferry.
  const node = await FerryNode.start({
    dataDir: values['data-dir'] ?? defaultDataDir(),
    name: values.name,
    port: 0,
    discovery: false,
  });
  try {
    const peer = await node.addPeer(values.to);
    process.stderr.write(`connected to ${peer.name} (${values.to})\n`);
    if (values.message !== undefined) {
      await sendMessage(node, peer.id, peer.name, values.message, timeoutMs ?? 20_000, values.timeout ?? '20');
      process.stdout.write(`delivered to ${peer.name}\n`);
    }
    if (positionals.length > 0) return await sendFiles(node, peer.id, peer.name, positionals, timeoutMs);
    return 0;
  } finally {
    await node.stop();
  }
}

async function sendMessage(
  node: FerryNode,
  peerId: string,
  peerName: string,
  text: string,
  timeoutMs: number,
  timeoutText: string,
): Promise<void> {
  let messageId = '';
  const delivered = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new FerryError(
            'PEER_GONE',
            `${peerName} did not confirm the message within ${timeoutText} s; it stays queued in the data dir and is re-sent next time`,
          ),
        ),
      timeoutMs,
    );
    node.subscribe(({ name, payload }) => {
      if (
        name === 'messageUpdated' &&
        'state' in payload &&
        payload.id === messageId &&
        (payload.state === 'delivered' || payload.state === 'read')
      ) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  messageId = (await node.sendMessage(peerId, text)).id;
  await delivered;
}

/**
 * Offers the files, waits for the answer (until the offer expires, or --timeout),
 * shows progress, and exits 0 only when every file arrived and was verified.
 */
async function sendFiles(
  node: FerryNode,
  peerId: string,
  peerName: string,
  paths: string[],
  answerTimeoutMs: number | null,
): Promise<number> {
  const printer = new ProgressPrinter(process.stderr);
  let transferId = '';
  let cancelled = false;
  const result = new Promise<TransferDto>((resolve) => {
    node.subscribe(({ name, payload }) => {
      if (name === 'transferProgress' && 'fileIndex' in payload && payload.id === transferId) printer.progress(payload);
      if (name !== 'transferUpdated' || !('state' in payload) || payload.id !== transferId) return;
      const t = payload as TransferDto;
      if (t.state === 'active' && !started) {
        started = true;
        if (timer) clearTimeout(timer);
        process.stderr.write(`${peerName} accepted; sending ${t.fileCount} item(s), ${formatBytes(t.totalBytes)}\n`);
      }
      if (['done', 'failed', 'declined', 'expired', 'cancelled'].includes(t.state)) resolve(t);
    });
  });
  let started = false;
  let timer: NodeJS.Timeout | null = null;
  const onSignal = () => {
    if (cancelled) return;
    cancelled = true;
    void node.cancelTransfer(transferId).catch(() => {});
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const offer = await node.sendFiles(peerId, paths);
    transferId = offer.id;
    process.stderr.write(
      `offered ${offer.fileCount} item(s), ${formatBytes(offer.totalBytes)} to ${peerName}; waiting for an answer\n`,
    );
    if (answerTimeoutMs !== null) {
      timer = setTimeout(() => {
        if (!started) void node.cancelTransfer(transferId).catch(() => {});
      }, answerTimeoutMs);
    }
    const t = await result;
    if (timer) clearTimeout(timer);
    printer.state(t);
    for (const f of t.files) {
      if (f.state === 'failed')
        process.stderr.write(`  ${f.path}: ${f.error?.code ?? 'FAILED'} ${f.error?.message ?? ''}\n`);
    }
    const ok = t.state === 'done' && t.files.every((f) => f.state === 'done');
    if (ok)
      process.stdout.write(`sent ${t.fileCount} item(s), ${formatBytes(t.totalBytes)} to ${peerName}; verified\n`);
    return ok ? 0 : cancelled ? 130 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function usage(message: string): Error {
  return Object.assign(new Error(`${message} (see ferry --help)`), { code: 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' });
}
