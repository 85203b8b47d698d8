import { open } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { TransferDto } from '../../shared/dto';
import type { FerryNode } from '../core/ferry-node';
import { FerryError } from '../core/ferry-error';
import { DEFAULT_PORT, formatAddress, parseAddress } from '../core/net/address';
import { buildOffer, sourceError, type LocalEntry } from '../core/transfer/offer-builder';
import { defaultDataDir, processIo, SEND_OPTIONS, type CliIo } from './cli-options';
import { plainError, sentence } from './plain-error';
import { terminalSafe, terminalSafeJson } from './terminal-text';
import { formatBytes, ProgressPrinter } from './transfer-progress';
import { directConversationId } from '../../shared/conversation-id';

/** Exit code after Ctrl-C (128 + SIGINT), as shells report it. */
const CANCELLED_EXIT = 130;
/** How long connecting may take unless --timeout says otherwise (the engine's own dial limit is 10 s). */
const DEFAULT_CONNECT_TIMEOUT_S = 10;

/** What `ferry send` says: plain sentences on stderr (results on stdout), or JSON lines on stdout. */
class SendOutput {
  constructor(
    readonly json: boolean,
    readonly io: CliIo,
  ) {}
  /** Progress of the command ("connected to …"): stderr, so stdout stays the result. */
  info(event: string, text: string, data: Record<string, unknown> = {}): void {
    if (this.json) this.line({ event, ...data });
    else this.io.stderr.write(`${text}\n`);
  }
  result(event: string, text: string, data: Record<string, unknown> = {}): void {
    if (this.json) this.line({ event, ...data });
    else this.io.stdout.write(`${text}\n`);
  }
  error(code: string, text: string, data: Record<string, unknown> = {}): void {
    if (this.json) this.line({ event: 'error', code, message: text, ...data });
    else this.io.stderr.write(`${text}\n`);
  }
  line(value: Record<string, unknown>): void {
    this.io.stdout.write(`${terminalSafeJson(value)}\n`);
  }
}

export async function sendCommand(argv: string[], io: CliIo = processIo()): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: SEND_OPTIONS,
    allowPositionals: true,
    strict: true,
  });
  if (!values.to) throw usage('--to HOST[:PORT] is required');
  if (values.message === undefined && positionals.length === 0)
    throw usage('nothing to send: give files/folders or --message TEXT');
  const timeoutS = values.timeout === undefined ? null : Number(values.timeout);
  if (timeoutS !== null && !(timeoutS > 0)) throw usage(`--timeout: "${values.timeout}" is not a number of seconds`);
  const out = new SendOutput(values.json === true, io);
  let target: string;
  try {
    target = formatAddress(parseAddress(values.to, DEFAULT_PORT));
  } catch (err) {
    throw usage(`--to: ${plainError(err).text.replace(/\.$/u, '')}`);
  }

  // Local mistakes are caught before anything connects (or starts).
  const entries = positionals.length > 0 ? await checkSources(positionals) : null;

  // Ctrl-C while connecting or delivering the message: stop and say so (sending files
  // has its own handler, which also cancels the transfer on both sides).
  let interrupt = () => {};
  const interrupted = new Promise<never>((_, reject) => {
    interrupt = () => reject(new FerryError('CANCELLED', 'Cancelled.'));
  });
  interrupted.catch(() => {});
  let sendingFiles = false;
  let signals = 0;
  const onSignal = () => {
    if (!sendingFiles) interrupt();
    else if (++signals > 1) io.exit(CANCELLED_EXIT); // a second Ctrl-C doesn't wait for the cancel
  };
  io.signals.on('SIGINT', onSignal);
  io.signals.on('SIGTERM', onSignal);

  const { FerryNode } = await import('../core/ferry-node');
  // port 0: a sender needs no fixed port and must not clash with a running Ferry.
  const node = await FerryNode.start({
    dataDir: values['data-dir'] ?? defaultDataDir(),
    name: values.name,
    port: 0,
    discovery: false,
    // A one-shot send to a Ferry peer: no IP Messenger (it would also take port 2425 from a running Ferry).
    ipmsg: false,
  });
  // Looked up before any link is up: an unfinished transfer resumes by itself once its peer connects.
  const earlier = entries ? unfinishedOf(node, entries) : { same: [], changed: [] };
  // With FERRY_REPORT_READY=1 (like the desktop app's `ferry:ready`), say when the node is
  // up and the dial starts: what bench/cli-start.ts times as "ready to connect".
  if (process.env.FERRY_REPORT_READY === '1') io.stderr.write('ferry:ready\n');
  try {
    const connectS = timeoutS ?? DEFAULT_CONNECT_TIMEOUT_S;
    const peer = await withTimeout(
      Promise.race([node.addPeer(target), interrupted]),
      connectS * 1000,
      () => new FerryError('PEER_UNREACHABLE', `no answer from ${target} within ${connectS} s`),
    );
    const peerName = terminalSafe(peer.name);
    out.info('connected', `connected to ${peerName} (${target})`, { peer: { id: peer.id, name: peer.name } });
    if (values.message !== undefined) {
      const waitS = timeoutS ?? 20;
      await Promise.race([sendMessage(node, peer.id, peerName, values.message, waitS), interrupted]);
      out.result('delivered', `delivered to ${peerName}`);
    }
    if (entries) {
      sendingFiles = true;
      return await sendFiles(node, out, peer.id, peerName, positionals, {
        answerTimeoutS: timeoutS,
        fresh: values.new === true,
        same: earlier.same.filter((id) => node.transfers.get(id)?.peerId === peer.id),
        changed: earlier.changed.filter((id) => node.transfers.get(id)?.peerId === peer.id),
      });
    }
    return 0;
  } catch (err) {
    const e = plainError(err);
    out.error(e.code, e.text);
    return e.code === 'CANCELLED' ? CANCELLED_EXIT : 1;
  } finally {
    io.signals.off('SIGINT', onSignal);
    io.signals.off('SIGTERM', onSignal);
    await node.stop();
  }
}

/** Every path exists and every file in it can be opened for reading; returns the offer's entries. */
async function checkSources(paths: string[]): Promise<LocalEntry[]> {
  let entries: LocalEntry[];
  try {
    entries = await buildOffer(paths);
  } catch (err) {
    const e = FerryError.from(err);
    if (e.code === 'SOURCE_MISSING') {
      const missing = paths.find((p) => e.message.includes(p.replace(/\/+$/u, ''))) ?? e.message.split(' ')[0];
      throw new FerryError('SOURCE_MISSING', `"${missing}" doesn't exist; nothing was sent`);
    }
    throw e;
  }
  for (const entry of entries) {
    if (entry.dir) continue;
    try {
      await (await open(entry.source, 'r')).close();
    } catch (err) {
      const e = sourceError(err as NodeJS.ErrnoException, entry.source);
      throw new FerryError(
        e.code,
        e.code === 'PERMISSION_DENIED'
          ? `"${entry.source}" can't be read (permission denied); nothing was sent`
          : e.message,
      );
    }
  }
  return entries;
}

function withTimeout<T>(work: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(error()), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

async function sendMessage(
  node: FerryNode,
  peerId: string,
  peerName: string,
  text: string,
  timeoutS: number,
): Promise<void> {
  let messageId = '';
  let unsubscribe = () => {};
  const delivered = new Promise<void>((resolve) => {
    unsubscribe = node.subscribe(({ name, payload }) => {
      if (
        name === 'messageUpdated' &&
        'state' in payload &&
        payload.id === messageId &&
        (payload.state === 'delivered' || payload.state === 'read')
      ) {
        resolve();
      }
    });
  });
  try {
    messageId = (await node.sendMessage(directConversationId(peerId), text)).id;
    await withTimeout(
      delivered,
      timeoutS * 1000,
      () =>
        new FerryError(
          'PEER_GONE',
          `${peerName} did not confirm the message within ${timeoutS} s; it stays queued in the data dir and is re-sent next time`,
        ),
    );
  } finally {
    unsubscribe();
  }
}

const UNFINISHED = new Set(['offered', 'active', 'paused']);

/**
 * Unfinished outgoing transfers of exactly these local paths: `same` if nothing
 * changed since (resume it), `changed` if the files did (start over).
 */
function unfinishedOf(node: FerryNode, entries: LocalEntry[]): { same: string[]; changed: string[] } {
  const sources = new Set(entries.map((e) => e.source));
  const same: string[] = [];
  const changed: string[] = [];
  for (const dto of node.transfers.list()) {
    if (dto.direction !== 'out' || !UNFINISHED.has(dto.state)) continue;
    const files = node.transfers.get(dto.id)?.files ?? [];
    if (files.length !== entries.length || !files.every((f) => f.source !== null && sources.has(f.source))) continue;
    const identical = files.every((f, i) => {
      const e = entries[i]!;
      return (
        f.source === e.source &&
        f.path === e.path &&
        f.isDirectory === e.dir &&
        f.size === (e.dir ? 0 : e.size) &&
        f.mtime === e.mtime
      );
    });
    (identical ? same : changed).push(dto.id);
  }
  return { same, changed };
}

/**
 * Offers the files (or picks up the unfinished transfer of the same files),
 * waits for the answer (until the offer expires, or --timeout), shows progress,
 * and exits 0 only when every file arrived and was verified.
 */
async function sendFiles(
  node: FerryNode,
  out: SendOutput,
  peerId: string,
  peerName: string,
  paths: string[],
  opts: { answerTimeoutS: number | null; fresh: boolean; same: string[]; changed: string[] },
): Promise<number> {
  const printer = new ProgressPrinter(out.io.stderr, out.json ? false : undefined, out.json, out.io.stdout);
  let transferId = '';
  let cancelled = false;
  let timedOut = false;
  let started = false;
  let away = false;
  let timer: NodeJS.Timeout | null = null;
  let settle: (t: TransferDto) => void = () => {};
  const result = new Promise<TransferDto>((resolve) => (settle = resolve));
  const waiting = () => {
    if (away) return;
    away = true;
    printer.clear();
    out.info('waiting', `waiting for ${peerName} to come back…`, { id: transferId });
  };
  const unsubscribe = node.subscribe(({ name, payload }) => {
    if (!transferId) return;
    if (name === 'peerUpdated' && 'online' in payload && payload.id === peerId && started) {
      if (!payload.online) waiting();
      return;
    }
    if (name === 'transferProgress' && 'fileIndex' in payload && payload.id === transferId) {
      if (away) {
        away = false;
        printer.clear();
        out.info('resumed', `${peerName} is back; continuing`, { id: transferId });
      }
      printer.progress(payload);
      return;
    }
    if (name !== 'transferUpdated' || !('state' in payload) || payload.id !== transferId) return;
    const t = payload as TransferDto;
    if (t.state === 'active' && !started) {
      started = true;
      if (timer) clearTimeout(timer);
      out.info('accepted', `${peerName} accepted; sending ${t.fileCount} item(s), ${formatBytes(t.totalBytes)}`, {
        id: t.id,
      });
    }
    if (t.state === 'paused' && started) waiting();
    if (['done', 'failed', 'declined', 'expired', 'cancelled'].includes(t.state)) settle(t);
  });
  const onSignal = () => {
    if (cancelled) return;
    cancelled = true;
    if (transferId) void node.cancelTransfer(transferId).catch(() => {});
  };
  out.io.signals.once('SIGINT', onSignal);
  out.io.signals.once('SIGTERM', onSignal);
  try {
    const current = (id: string) => node.transfers.get(id);
    const stale = (opts.fresh ? [...opts.same, ...opts.changed] : opts.changed).filter((id) =>
      UNFINISHED.has(current(id)?.state ?? ''),
    );
    for (const id of stale) await node.cancelTransfer(id).catch(() => {});
    if (stale.length > 0) {
      out.info(
        'restarted',
        opts.fresh
          ? `cancelled the unfinished transfer of these files; starting over (--new)`
          : `these files changed since the unfinished transfer of them; starting over`,
        { cancelled: stale },
      );
    }
    const previousId = opts.fresh ? undefined : opts.same[0];
    const previous = previousId ? node.transfers.toDto(current(previousId)!) : undefined;
    if (previous) {
      transferId = previous.id;
      started = previous.state !== 'offered';
      const percent = previous.totalBytes > 0 ? Math.floor((previous.bytesDone / previous.totalBytes) * 100) : 0;
      out.info(
        'resuming',
        `resuming the unfinished transfer of these files to ${peerName} (${percent} % done, ${formatBytes(previous.bytesDone)} of ${formatBytes(previous.totalBytes)}); --new starts over`,
        { id: previous.id, bytesDone: previous.bytesDone, totalBytes: previous.totalBytes },
      );
      // It resumes by itself once the peer's link is up; a paused one is nudged in case it already was.
      const now = node.transfers.get(previous.id);
      if (now?.state === 'paused') await node.resumeTransfer(previous.id).catch(() => {});
      const after = node.transfers.get(previous.id);
      if (after && !UNFINISHED.has(after.state)) settle(node.transfers.toDto(after));
    } else {
      const offer = await node.sendFiles(directConversationId(peerId), paths);
      transferId = offer.id;
      out.info(
        'offered',
        `offered ${offer.fileCount} item(s), ${formatBytes(offer.totalBytes)} to ${peerName}; waiting for an answer`,
        { id: offer.id, fileCount: offer.fileCount, totalBytes: offer.totalBytes },
      );
    }
    if (cancelled) void node.cancelTransfer(transferId).catch(() => {});
    if (opts.answerTimeoutS !== null && !started) {
      timer = setTimeout(() => {
        if (started) return;
        timedOut = true;
        void node.cancelTransfer(transferId).catch(() => {});
      }, opts.answerTimeoutS * 1000);
    }
    const t = await result;
    if (timer) clearTimeout(timer);
    printer.clear();
    return report(out, t, peerName, { cancelled, timedOut, answerTimeoutS: opts.answerTimeoutS });
  } finally {
    unsubscribe();
    out.io.signals.off('SIGINT', onSignal);
    out.io.signals.off('SIGTERM', onSignal);
  }
}

function report(
  out: SendOutput,
  t: TransferDto,
  peerName: string,
  how: { cancelled: boolean; timedOut: boolean; answerTimeoutS: number | null },
): number {
  const ok = t.state === 'done' && t.files.every((f) => f.state === 'done');
  if (ok) {
    out.result('sent', `sent ${t.fileCount} item(s), ${formatBytes(t.totalBytes)} to ${peerName}; verified`, {
      id: t.id,
      fileCount: t.fileCount,
      totalBytes: t.totalBytes,
    });
    return 0;
  }
  if (how.cancelled && t.state === 'cancelled') {
    out.error('CANCELLED', 'Cancelled.', { id: t.id });
    return CANCELLED_EXIT;
  }
  const code = t.error?.code ?? (t.state === 'done' ? 'FAILED' : t.state.toUpperCase());
  let text: string;
  if (how.timedOut) text = `${peerName} didn't answer within ${how.answerTimeoutS} s; the offer was withdrawn.`;
  else if (t.state === 'declined') text = `${peerName} declined the files.`;
  else if (t.state === 'expired') text = `${peerName} didn't answer in time; the offer expired.`;
  else if (t.state === 'cancelled') text = `${peerName} cancelled the transfer.`;
  else if (t.state === 'done') text = 'Some files could not be sent:';
  else text = `The transfer failed: ${sentence(t.error?.message ?? 'unknown reason')}`;
  out.error(code, text, { id: t.id, state: t.state });
  for (const f of t.files) {
    if (f.state !== 'failed') continue;
    // The peer's messages are its words: printed safely, codes only in --json.
    const reason = sentence(f.error?.message ?? 'failed');
    if (out.json) out.line({ event: 'fileFailed', path: f.path, code: f.error?.code ?? 'FAILED', message: reason });
    else out.io.stderr.write(`  ${terminalSafe(f.path)}: ${reason}\n`);
  }
  return 1;
}

function usage(message: string): Error {
  return Object.assign(new Error(message), { code: 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' });
}
