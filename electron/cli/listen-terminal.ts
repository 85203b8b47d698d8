/**
 * `ferry listen` for a person at a terminal: one readable line per event, and a
 * prompt for each incoming offer (accept / decline / accept all from this peer).
 * Everything a peer supplied is printed through terminalSafe.
 */
import type { Interface } from 'node:readline';
import type { FerryEvent } from '../../shared/api';
import type { MessageDto, NoticeDto, PeerDto, SettingsDto, TransferDto, TransferProgressDto } from '../../shared/dto';
import type { FerryNode } from '../core/ferry-node';
import type { CliOutput } from './cli-options';
import { sentence } from './plain-error';
import { terminalSafe, terminalSafeJson, terminalSafeMultiline } from './terminal-text';
import { formatBytes } from './transfer-progress';

const SHOWN_NAMES = 8;
/** Notices already told by a line of their own ("Bob is online"). */
const QUIET_NOTICES = new Set(['PEER_CONNECTED', 'PEER_DISCONNECTED']);

export class ListenTerminal {
  private readonly peers = new Map<string, PeerDto>();
  /** Incoming offers waiting for an answer, oldest first; the first one is being asked about. */
  private readonly queue: string[] = [];
  private readonly offers = new Map<string, TransferDto>();
  private readonly states = new Map<string, string>();
  private readonly acceptAllFrom = new Set<string>();
  private readonly lastProgress = new Map<string, number>();
  private asking: string | null = null;
  private settings: SettingsDto;

  constructor(
    private readonly node: FerryNode,
    private readonly input: Interface,
    private readonly opts: { autoAccept?: 'verified' | 'any'; settings: SettingsDto },
    private readonly out: CliOutput = process.stdout,
  ) {
    this.settings = opts.settings;
  }

  async start(): Promise<void> {
    for (const p of await this.node.listPeers()) this.peers.set(p.id, p);
    this.node.subscribe((e) => this.onEvent(e));
  }

  listening(self: { name: string; id: string; port: number; addresses: string[] }): void {
    const where = self.addresses.length
      ? self.addresses.map((a) => `${a}:${self.port}`).join(', ')
      : `port ${self.port}`;
    this.print(`Listening on ${where} as "${terminalSafe(self.name)}" (id ${self.id.slice(0, 22)}…). Ctrl-C stops.`);
    this.print('Incoming files are asked about here; other computers add this one by the address above.');
  }

  /** A line typed at the prompt. */
  answer(line: string): void {
    const id = this.asking;
    const word = line.trim().toLowerCase();
    if (!id) {
      if (word) this.print('Nothing to answer right now (API calls are JSON lines starting with "{").');
      return;
    }
    const offer = this.offers.get(id)!;
    if (word === 'y' || word === 'yes') this.decide(id, 'accept');
    else if (word === 'n' || word === 'no') this.decide(id, 'decline');
    else if (word === 'a' || word === 'all') {
      this.acceptAllFrom.add(offer.peerId);
      this.decide(id, 'accept');
    } else {
      this.print('Please answer y (accept), n (decline) or a (accept all from this peer).');
      this.ask();
    }
  }

  callResult(result: Record<string, unknown>): void {
    this.print(terminalSafeJson(result));
  }

  private decide(id: string, what: 'accept' | 'decline'): void {
    this.done(id);
    const call = what === 'accept' ? this.node.acceptTransfer(id) : this.node.declineTransfer(id);
    call.catch((err: unknown) => this.print(`Could not ${what}: ${sentence((err as Error).message)}`));
  }

  private done(id: string): void {
    const i = this.queue.indexOf(id);
    if (i !== -1) this.queue.splice(i, 1);
    if (this.asking === id) {
      this.asking = null;
      this.input.setPrompt('');
    }
    this.ask();
  }

  private name(peerId: string): string {
    const p = this.peers.get(peerId);
    return terminalSafe(p?.name ?? peerId.slice(0, 8));
  }

  /** Prints a line above the prompt, keeping what the user is typing. */
  private print(line: string): void {
    this.out.write(`\r\x1b[K${line}\n`);
    if (this.asking) this.input.prompt(true);
  }

  private ask(): void {
    if (this.asking || this.queue.length === 0) return;
    const id = this.queue[0]!;
    const t = this.offers.get(id)!;
    const who = this.name(t.peerId);
    const lines = [`${who} offers ${t.fileCount} item(s), ${formatBytes(t.totalBytes)}:`];
    for (const f of t.files.slice(0, SHOWN_NAMES)) {
      lines.push(`  ${terminalSafe(f.path)}${f.isDirectory ? '/' : ` (${formatBytes(f.size)})`}`);
    }
    if (t.files.length > SHOWN_NAMES) lines.push(`  … and ${t.files.length - SHOWN_NAMES} more`);
    for (const l of lines) this.print(l);
    this.asking = id;
    this.input.setPrompt(`Accept? [y]es / [n]o / [a]ll from ${who} (this run): `);
    this.input.prompt();
  }

  /** Whether the engine answers this offer by itself (--accept, or the "auto-accept verified" setting). */
  private engineAccepts(peerId: string): boolean {
    if (this.opts.autoAccept === 'any') return true;
    const verified = this.peers.get(peerId)?.verified === true;
    return verified && (this.opts.autoAccept === 'verified' || this.settings.autoAcceptVerified);
  }

  private onEvent({ name, payload }: FerryEvent): void {
    switch (name) {
      case 'peerUpdated':
        return this.onPeer(payload as PeerDto);
      case 'messageAdded':
        return this.onMessage(payload as MessageDto);
      case 'transferUpdated':
        return this.onTransfer(payload as TransferDto);
      case 'transferProgress':
        return this.onProgress(payload as TransferProgressDto);
      case 'notice':
        return this.onNotice(payload as NoticeDto);
      case 'settingsUpdated':
        this.settings = payload as SettingsDto;
        return;
      default:
        return;
    }
  }

  private onPeer(p: PeerDto): void {
    const before = this.peers.get(p.id);
    this.peers.set(p.id, p);
    if (before?.online === p.online) return;
    if (p.online) this.print(`${terminalSafe(p.name)} is online${p.verified ? ' (verified)' : ''}`);
    else if (before) this.print(`${terminalSafe(p.name)} went offline`);
  }

  private onMessage(m: MessageDto): void {
    const text = terminalSafeMultiline(m.text).replace(/\n/gu, '\n    ');
    const time = new Date(m.sentAt).toTimeString().slice(0, 5);
    this.print(
      m.direction === 'in'
        ? `[${time}] ${this.name(m.peerId)}: ${text}`
        : `[${time}] you → ${this.name(m.peerId)}: ${text}`,
    );
  }

  private onNotice(n: NoticeDto): void {
    if (QUIET_NOTICES.has(n.code)) return;
    this.print(`${n.level === 'info' ? '' : `${n.level}: `}${sentence(n.message)}`);
  }

  private onProgress(p: TransferProgressDto): void {
    const now = Date.now();
    if (now - (this.lastProgress.get(p.id) ?? 0) < 5_000) return;
    this.lastProgress.set(p.id, now);
    const t = this.offers.get(p.id);
    const percent = p.totalBytes > 0 ? Math.floor((p.bytesDone / p.totalBytes) * 100) : 100;
    this.print(
      `  ${percent} % of ${formatBytes(p.totalBytes)}${t ? ` from ${this.name(t.peerId)}` : ''} (${formatBytes(p.speed)}/s)`,
    );
  }

  private onTransfer(t: TransferDto): void {
    const before = this.states.get(t.id);
    this.states.set(t.id, t.state);
    if (t.direction === 'in') this.offers.set(t.id, t);
    if (before === t.state) return;
    const who = this.name(t.peerId);
    const what = `${t.fileCount} item(s), ${formatBytes(t.totalBytes)}`;
    if (t.direction === 'out') {
      if (t.state === 'done') this.print(`sent ${what} to ${who}`);
      else if (t.state === 'paused') this.print(`sending to ${who} paused; waiting for ${who} to come back…`);
      else if (t.state !== 'offered' && t.state !== 'active') this.print(`sending to ${who}: ${t.state}`);
      return;
    }
    if (t.state === 'offered') {
      if (this.acceptAllFrom.has(t.peerId)) {
        this.print(`${who} offers ${what}; accepting (you chose all from ${who})`);
        this.node
          .acceptTransfer(t.id)
          .catch((err: unknown) => this.print(`Could not accept: ${sentence((err as Error).message)}`));
      } else if (!this.engineAccepts(t.peerId)) {
        this.queue.push(t.id);
        this.ask();
      }
      return;
    }
    // Answered here, by the engine, or withdrawn by the sender: stop asking about it.
    if (this.queue.includes(t.id)) this.done(t.id);
    switch (t.state) {
      case 'active':
        if (before !== 'paused') this.print(`receiving ${what} from ${who} into ${t.saveDir ?? 'the download folder'}`);
        else this.print(`receiving from ${who} again`);
        return;
      case 'paused':
        this.print(`receiving from ${who} paused; waiting for ${who} to come back…`);
        return;
      case 'done':
        for (const f of t.files) {
          if (f.isDirectory) continue;
          if (f.state === 'done') this.print(`received ${terminalSafe(f.path)} from ${who} → ${f.savedPath ?? ''}`);
          else this.print(`  ${terminalSafe(f.path)}: ${sentence(f.error?.message ?? 'failed')}`);
        }
        return;
      case 'declined':
        this.print(`declined ${what} from ${who}`);
        return;
      case 'expired':
        this.print(`the offer of ${what} from ${who} expired unanswered`);
        return;
      case 'cancelled':
        this.print(`the transfer of ${what} from ${who} was cancelled`);
        return;
      case 'failed':
        this.print(`receiving ${what} from ${who} failed: ${sentence(t.error?.message ?? 'unknown reason')}`);
        return;
    }
  }
}
