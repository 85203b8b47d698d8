/**
 * File transfers: offers and answers on the control link, one data connection
 * per running transfer (dialed by the sender), state in SQLite, resume on
 * reconnect or by hand, expiry, cancel from either side, and the events the UI
 * draws (transferUpdated on every state change, transferProgress ≤ 10/s).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { directConversationId } from '../../../shared/conversation-id';
import type { TransferDto, TransferFileDto, TransferState } from '../../../shared/dto';
import { errorCodeFrom } from '../../../shared/errors';
import type { EventSink } from '../event-sink';
import { FerryError } from '../ferry-error';
import type { PeerLink } from '../net/connection-manager';
import type { DecodedFrame } from '../protocol/frame-codec';
import { offerBody, type ControlHeader, type OfferEntry, type OfferHeader } from '../protocol/frames';
import type { Transfer, TransferFile, TransferRepo } from '../store/transfer-repo';
import { DataChannel } from './data-channel';
import { buildOffer } from './offer-builder';
import { diskError, discardPart, ensureDirInside, freshName } from './part-file';
import { ProgressMeter } from './progress-meter';
import { sanitizeRelativePath } from './safe-filename';
import { FILE_LEVEL_CODES, receiveFiles, type ReceiverHost } from './transfer-receiver';
import { sendFile } from './transfer-sender';

export const DEFAULT_OFFER_TTL_MS = 10 * 60_000;
/** Longest offered path (UTF-8 bytes) and longest relative path we create from it. */
export const MAX_OFFERED_PATH_BYTES = 4096;
export const MAX_SAVED_PATH_BYTES = 1024;
/** Files carried in a TransferDto; the rest are paged with files(). */
export const FILES_IN_DTO = 100;

/** What one peer may have waiting for an answer here at once. */
export interface OfferQuota {
  /** Unanswered incoming offers. */
  maxPendingOffers: number;
  /** Entries across those offers. */
  maxPendingEntries: number;
}
export const DEFAULT_OFFER_QUOTA: OfferQuota = { maxPendingOffers: 16, maxPendingEntries: 20_000 };
/** Errors after which the sender redials the data connection by itself. */
const RETRYABLE = new Set([
  'PEER_GONE',
  'PEER_UNREACHABLE',
  'TLS_FAILED',
  'IDLE_TIMEOUT',
  'HANDSHAKE_TIMEOUT',
  'PEER_OFFLINE',
]);
const FINAL: ReadonlySet<TransferState> = new Set(['done', 'declined', 'expired', 'cancelled']);
const MAX_QUICK_RETRIES = 30;

export type AutoAccept = 'off' | 'verified' | 'any';

export interface TransferServiceDeps {
  repo: TransferRepo;
  emit: EventSink;
  linkOf: (peerId: string) => PeerLink | undefined;
  /** Opens a data connection to the peer (purpose "transfer") and hands over its socket. */
  dialData: (peerId: string) => Promise<DataChannel>;
  /** Asks the connection layer to (re)connect the peer's control link. */
  keepConnected: (peerId: string) => void;
  isVerified: (peerId: string) => boolean;
  downloadDir: () => string;
  /** "verified" honours settings.autoAcceptVerified; the CLI may force "any" or "verified". */
  autoAccept: () => AutoAccept;
  offerTtlMs?: number;
  offerQuota?: Partial<OfferQuota>;
  /** Free bytes where a transfer would be saved (null when unknown). */
  freeBytes?: (dir: string) => Promise<number | null>;
  /** Something went wrong outside any request (a timer, a stream): tell the user, never throw. */
  report?: (context: string, err: unknown) => void;
}

interface Pump {
  channel: DataChannel | null;
  aborted: boolean;
  running?: Promise<void>;
}

export class TransferService implements ReceiverHost {
  private readonly live = new Map<string, Transfer>();
  private readonly meters = new Map<string, ProgressMeter>();
  private readonly pumps = new Map<string, Pump>();
  private readonly inbound = new Map<string, Set<DataChannel>>();
  private readonly receiving = new Map<DataChannel, Promise<void>>();
  private readonly expiry = new Map<string, NodeJS.Timeout>();
  private readonly updateTimers = new Map<string, NodeJS.Timeout>();
  private readonly ttl: number;
  private readonly quota: OfferQuota;
  private stopped = false;
  /** Bytes written into .part files since start (tests prove resume never rewrites). */
  bytesWritten = 0;

  constructor(private readonly deps: TransferServiceDeps) {
    this.ttl = deps.offerTtlMs ?? DEFAULT_OFFER_TTL_MS;
    this.quota = { ...DEFAULT_OFFER_QUOTA, ...deps.offerQuota };
  }

  /** Transfers held in memory (finished ones are dropped from it; tests prove it stays bounded). */
  get liveCount(): number {
    return this.live.size;
  }

  /** After a (re)start: whatever was moving is paused until its peer is back; offers keep their deadline. */
  start(): string[] {
    const peers = new Set<string>();
    for (const id of this.deps.repo.unfinishedIds()) {
      const t = this.get(id)!;
      if (t.state === 'active') this.setState(t, 'paused', null, false);
      if (t.state === 'offered') this.armExpiry(t);
      if (t.direction === 'out') peers.add(t.peerId);
    }
    return [...peers];
  }

  /** Stops moving bytes; resolves once every sender and receiver has recorded where it stopped (the database is still open). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.expiry.values()) clearTimeout(timer);
    for (const timer of this.updateTimers.values()) clearTimeout(timer);
    const running: Promise<void>[] = [];
    for (const pump of this.pumps.values()) {
      pump.aborted = true;
      pump.channel?.destroy();
      if (pump.running) running.push(pump.running);
    }
    for (const set of this.inbound.values()) for (const ch of set) ch.destroy();
    for (const [ch, done] of this.receiving) {
      ch.destroy();
      running.push(done);
    }
    await Promise.allSettled(running);
    for (const t of this.live.values()) if (t.state === 'active') this.deps.repo.saveAll(t);
  }

  get(id: string): Transfer | undefined {
    let t = this.live.get(id);
    if (!t) {
      t = this.deps.repo.get(id);
      if (t) this.live.set(id, t);
    }
    return t;
  }

  private require(id: string): Transfer {
    const t = this.get(id);
    if (!t) throw new FerryError('NOT_FOUND', 'no such transfer');
    return t;
  }

  list(peerId?: string, options: { before?: number; limit?: number; includeEnded?: boolean } = {}): TransferDto[] {
    // Finished transfers are read for the listing and not kept in memory.
    return this.deps.repo
      .ids(peerId, options.limit ?? 100, options)
      .map((id) => this.toDto(this.live.get(id) ?? this.deps.repo.get(id)!));
  }

  isReceivedFile(file: string): boolean {
    return this.deps.repo.isSavedPath(file);
  }

  /** One page of a transfer's files. */
  files(id: string, offset = 0, limit = 500): TransferFileDto[] {
    const t = this.live.get(id) ?? this.deps.repo.get(id);
    if (!t) throw new FerryError('NOT_FOUND', 'no such transfer');
    return t.files.slice(offset, offset + limit).map(fileDto);
  }

  // ── outgoing ────────────────────────────────────────────────────────────────

  async send(peerId: string, paths: string[]): Promise<TransferDto> {
    const entries = await buildOffer(paths);
    const now = Date.now();
    const t: Transfer = {
      id: randomUUID(),
      peerId,
      direction: 'out',
      state: 'offered',
      createdAt: now,
      updatedAt: now,
      totalBytes: entries.reduce((sum, e) => sum + (e.dir ? 0 : e.size), 0),
      saveDir: null,
      error: null,
      files: entries.map((e, index) => ({
        index,
        path: e.path,
        size: e.dir ? 0 : e.size,
        mtime: e.mtime,
        isDirectory: e.dir,
        source: e.source,
        dest: null,
        part: null,
        saved: null,
        bytesDone: 0,
        state: 'pending',
        error: null,
      })),
    };
    this.deps.repo.insert(t);
    this.live.set(t.id, t);
    this.armExpiry(t, this.ttl + 30_000); // the receiver's clock decides; ours is the backstop
    this.emitUpdate(t);
    const link = this.deps.linkOf(peerId);
    if (link) this.sendOffer(link, t);
    else this.deps.keepConnected(peerId);
    return this.toDto(t);
  }

  private sendOffer(link: PeerLink, t: Transfer): void {
    const entries: OfferEntry[] = t.files.map((f) => ({
      path: f.path,
      size: f.size,
      mtime: f.mtime,
      dir: f.isDirectory,
    }));
    link.conn.send(
      { type: 'offer', id: t.id, fileCount: entries.length, totalBytes: t.totalBytes, createdAt: t.createdAt },
      Buffer.from(JSON.stringify(entries), 'utf8'),
    );
  }

  /** Runs the sender side until every file has a verdict, the peer is gone, or someone stops it. */
  private pump(t: Transfer): void {
    if (this.pumps.has(t.id) || this.stopped) return;
    const pump: Pump = { channel: null, aborted: false };
    this.pumps.set(t.id, pump);
    pump.running = this.runPump(t, pump).catch((err) => {
      if (!this.stopped) this.fail(t, FerryError.from(err), true);
    });
  }

  private async runPump(t: Transfer, pump: Pump): Promise<void> {
    let retries = 0;
    // The pump leaves the map in the same tick as its last state change (the finally runs
    // before anyone awaiting that change), so a resume right after it starts a new pump.
    try {
      for (;;) {
        if (pump.aborted || t.state !== 'active') return;
        const pending = t.files.filter((f) => f.state === 'pending' || f.state === 'active');
        if (pending.length === 0) break;
        const mark = bytesOf(t);
        try {
          pump.channel = await this.deps.dialData(t.peerId);
          if (pump.aborted) return pump.channel.destroy();
          for (const f of pending) {
            this.setFile(t, f, 'active');
            const outcome = await sendFile(pump.channel, t.id, f, (n) => this.fileBytes(t, f, n));
            if (pump.aborted) return;
            if (outcome.ok) {
              this.fileDone(t, f, null);
            } else if (FILE_LEVEL_CODES.has(outcome.error.code)) {
              this.fileFailed(t, f, outcome.error);
            } else {
              throw outcome.error;
            }
            retries = 0;
          }
          pump.channel.close();
          pump.channel = null;
        } catch (err) {
          pump.channel?.destroy();
          pump.channel = null;
          if (pump.aborted || FINAL.has(t.state) || (t.state as TransferState) === 'failed') return;
          const e = FerryError.from(err);
          if (!RETRYABLE.has(e.code)) {
            this.fail(t, e, true);
            return;
          }
          // Progress since the last attempt means the route works: keep retrying quickly.
          retries = bytesOf(t) > mark ? 1 : retries + 1;
          if (!this.deps.linkOf(t.peerId) || retries > MAX_QUICK_RETRIES) {
            // Back to waiting: the control link coming up (or the user) resumes it.
            this.setState(t, 'paused', e);
            this.deps.keepConnected(t.peerId);
            return;
          }
          await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** Math.min(retries, 6), 3_000)));
        }
      }
      this.complete(t);
    } finally {
      if (this.pumps.get(t.id) === pump) this.pumps.delete(t.id);
    }
  }

  // ── incoming ────────────────────────────────────────────────────────────────

  private onOffer(link: PeerLink, header: OfferHeader, body: Buffer | null): void {
    let entries: OfferEntry[];
    try {
      entries = offerBody.parse(JSON.parse(body?.toString('utf8') ?? ''));
    } catch {
      link.conn.fail(new FerryError('BAD_FRAME', 'the offer body is not a valid file list; refused'));
      return;
    }
    const total = entries.reduce((sum, e) => sum + (e.dir ? 0 : e.size), 0);
    if (
      entries.length !== header.fileCount ||
      total !== header.totalBytes ||
      entries.some((e) => e.dir && e.size !== 0)
    ) {
      link.conn.fail(
        new FerryError('BAD_FRAME', 'the offer does not add up (file count, sizes or folders with a size); refused'),
      );
      return;
    }
    const known = this.get(header.id) ?? this.deps.repo.get(header.id);
    if (known && !this.sameOffer(known, entries)) {
      // docs/PROTOCOL.md §9 "Transfer ids": an id names one set of files, once.
      link.conn.send({
        type: 'transfer-stop',
        id: header.id,
        state: 'failed',
        code: 'BAD_FRAME',
        message: 'this transfer id already names other files; offer them under a new id',
      });
      return;
    }
    if (!known && !this.withinQuota(link.peerId, entries.length)) {
      // Not stored, not shown: the sender hears why and may offer again once earlier offers are answered.
      const error = new FerryError(
        'RATE_LIMITED',
        `too many offers from this device wait for an answer (at most ${this.quota.maxPendingOffers} offers, ${this.quota.maxPendingEntries} entries); offer again later`,
      );
      link.conn.send({
        type: 'transfer-stop',
        id: header.id,
        state: 'declined',
        code: error.code,
        message: error.message,
      });
      this.deps.report?.(`an offer from ${link.hello.name}`, error);
      return;
    }
    if (known) {
      // The sender re-sent an offer after a reconnect: repeat our answer.
      if (known.peerId !== link.peerId || known.direction !== 'in') {
        link.conn.fail(new FerryError('BAD_FRAME', 'offer id already in use'));
        return;
      }
      this.answer(link, known);
      return;
    }
    const now = Date.now();
    const t: Transfer = {
      id: header.id,
      peerId: link.peerId,
      direction: 'in',
      state: 'offered',
      createdAt: now,
      updatedAt: now,
      totalBytes: total,
      saveDir: null,
      error: null,
      files: entries.map((e, index) => {
        let dest: string | null = null;
        let error: TransferFile['error'] = null;
        // A lone surrogate becomes U+FFFD here, so what is saved and what is reported agree.
        const offered = wellFormed(e.path);
        try {
          if (!offered) throw new FerryError('NAME_REJECTED', 'refused an empty name');
          if (Buffer.byteLength(offered) > MAX_OFFERED_PATH_BYTES)
            throw new FerryError('NAME_REJECTED', `refused a path over ${MAX_OFFERED_PATH_BYTES} bytes`);
          dest = sanitizeRelativePath(offered).join('/');
          if (Buffer.byteLength(dest) > MAX_SAVED_PATH_BYTES) {
            dest = null;
            throw new FerryError('NAME_REJECTED', `refused a path over ${MAX_SAVED_PATH_BYTES} bytes once made safe`);
          }
        } catch (err) {
          error = FerryError.from(err, 'NAME_REJECTED').toDto();
        }
        return {
          index,
          path: dest ?? printable(offered),
          size: e.size,
          mtime: e.mtime,
          isDirectory: e.dir,
          source: null,
          dest,
          part: null,
          saved: null,
          bytesDone: 0,
          state: error ? 'failed' : 'pending',
          error,
        };
      }),
    };
    this.deps.repo.insert(t);
    this.live.set(t.id, t);
    if (t.files.every((f) => f.state === 'failed')) {
      // Nothing could be saved: refuse at once instead of asking the user (or answering accept).
      const first = t.files[0]!.error!;
      this.setState(
        t,
        'failed',
        new FerryError('NAME_REJECTED', `every name in the offer was refused: ${first.message}`),
      );
      link.conn.send({
        type: 'transfer-stop',
        id: t.id,
        state: 'failed',
        code: 'NAME_REJECTED',
        message: `every name in the offer was refused: ${first.message}`.slice(0, 900),
      });
      return;
    }
    this.armExpiry(t);
    this.emitUpdate(t);
    const mode = this.deps.autoAccept();
    if (mode === 'any' || (mode === 'verified' && this.deps.isVerified(link.peerId))) {
      this.accept(t.id).catch((err) => this.fail(t, FerryError.from(err), true));
    }
  }

  private withinQuota(peerId: string, entries: number): boolean {
    let offers = 0;
    let total = entries;
    for (const t of this.live.values()) {
      if (t.peerId !== peerId || t.direction !== 'in' || t.state !== 'offered') continue;
      offers++;
      total += t.files.length;
    }
    return offers < this.quota.maxPendingOffers && total <= this.quota.maxPendingEntries;
  }

  /** A re-sent offer must describe the same files (count, sizes, times, kinds) as the first. */
  private sameOffer(t: Transfer, entries: OfferEntry[]): boolean {
    if (t.direction !== 'in') return false;
    if ((t.fileCount ?? t.files.length) !== entries.length) return false;
    if (t.files.length === 0) return true; // an ended offer whose list was dropped: the answer says it ended
    return entries.every((e, i) => {
      const f = t.files[i]!;
      return f.isDirectory === e.dir && f.size === (e.dir ? 0 : e.size) && f.mtime === e.mtime;
    });
  }

  /** Tells the sender where an offer stands (after accept/decline, or when it asks again). */
  private answer(link: PeerLink, t: Transfer): void {
    if (t.state === 'offered') return; // still waiting for the user
    if (t.state === 'done') {
      // An id is used once: the files already arrived; a new send needs a new id.
      link.conn.send({
        type: 'transfer-stop',
        id: t.id,
        state: 'failed',
        code: 'BAD_FRAME',
        message: 'this transfer already finished; offer the files again under a new id',
      });
      return;
    }
    if (t.state === 'declined') {
      link.conn.send({ type: 'offer-answer', id: t.id, accept: false });
      return;
    }
    if (t.state === 'expired' || t.state === 'cancelled' || (t.state === 'failed' && t.saveDir === null)) {
      link.conn.send({
        type: 'transfer-stop',
        id: t.id,
        state: t.state,
        code: t.error?.code ?? 'CANCELLED',
        message: t.error?.message ?? t.state,
      });
      return;
    }
    const rejected = t.files
      .filter((f) => f.state === 'failed' && f.error?.code === 'NAME_REJECTED')
      .map((f) => ({ index: f.index, code: f.error!.code, message: f.error!.message.slice(0, 900) }));
    link.conn.send({ type: 'offer-answer', id: t.id, accept: true, ...(rejected.length ? { rejected } : {}) });
    if (t.state === 'failed') {
      link.conn.send({
        type: 'transfer-stop',
        id: t.id,
        state: 'failed',
        code: t.error?.code ?? 'INTERNAL',
        message: t.error?.message ?? 'failed',
      });
    }
  }

  async accept(id: string, saveDir?: string): Promise<TransferDto> {
    const t = this.require(id);
    if (t.direction !== 'in') throw new FerryError('INVALID_ARGUMENT', 'only incoming offers can be accepted');
    if (t.state !== 'offered') throw new FerryError('INVALID_ARGUMENT', `this transfer is already ${t.state}`);
    const root = path.resolve(saveDir ?? this.deps.downloadDir());
    let resolved: string;
    try {
      await mkdir(root, { recursive: true });
      resolved = await realpath(root);
    } catch (err) {
      throw diskError(err, root);
    }
    // Free space first: a 1 PB offer is refused here, not after filling the disk.
    const free = await this.deps.freeBytes?.(resolved);
    const needed = t.totalBytes - bytesOf(t);
    if (free !== null && free !== undefined && needed > free) {
      throw new FerryError(
        'DISK_FULL',
        `the offer needs ${needed} bytes but the disk holding ${resolved} has ${free} free; free some space or choose another folder`,
      );
    }
    if (t.state !== 'offered') throw new FerryError('INVALID_ARGUMENT', `this transfer is already ${t.state}`);
    t.saveDir = resolved;
    if (t.state !== 'offered') throw new FerryError('INVALID_ARGUMENT', `this transfer is already ${t.state}`);
    this.clearExpiry(t);
    // A folder that already exists gets a fresh name ("Photos (1)") instead of mixing two sends.
    const renamed = new Map<string, string>();
    for (const f of t.files) {
      if (!f.dest || (!f.isDirectory && !f.dest.includes('/'))) continue;
      const top = f.dest.split('/')[0]!;
      if (!renamed.has(top)) renamed.set(top, await freshName(t.saveDir, top));
    }
    for (const f of t.files) {
      if (!f.dest) continue;
      const [top, ...rest] = f.dest.split('/');
      if (renamed.has(top!)) f.dest = [renamed.get(top!)!, ...rest].join('/');
    }
    for (const f of t.files) {
      if (!f.isDirectory || f.state !== 'pending') continue;
      try {
        f.saved = await ensureDirInside(t.saveDir, f.dest!.split('/'));
        f.state = 'done';
      } catch (err) {
        const e = diskError(err, path.join(t.saveDir, f.dest!));
        f.state = 'failed';
        f.error = e.toDto();
      }
    }
    t.state = 'active';
    t.updatedAt = Date.now();
    this.deps.repo.saveAll(t);
    this.emitUpdate(t);
    const link = this.deps.linkOf(t.peerId);
    if (link) this.answer(link, t);
    if (t.files.every((f) => f.state === 'done' || f.state === 'failed')) this.complete(t);
    return this.toDto(t);
  }

  decline(id: string): TransferDto {
    const t = this.require(id);
    if (t.direction !== 'in' || t.state !== 'offered')
      throw new FerryError('INVALID_ARGUMENT', 'only a waiting incoming offer can be declined');
    this.clearExpiry(t);
    this.setState(t, 'declined', new FerryError('OFFER_DECLINED', 'you declined this offer'));
    const link = this.deps.linkOf(t.peerId);
    if (link) this.answer(link, t);
    return this.toDto(t);
  }

  cancel(id: string): TransferDto {
    const t = this.require(id);
    if (FINAL.has(t.state)) throw new FerryError('INVALID_ARGUMENT', `this transfer is already ${t.state}`);
    const error = new FerryError(
      'CANCELLED',
      t.direction === 'out' ? 'the sender cancelled the transfer' : 'the receiver cancelled the transfer',
    );
    this.stopLocally(t, 'cancelled', error);
    this.deps
      .linkOf(t.peerId)
      ?.conn.send({ type: 'transfer-stop', id: t.id, state: 'cancelled', code: error.code, message: error.message });
    return this.toDto(t);
  }

  /**
   * Resumes a paused or failed transfer by hand, from either side. The sender tells the
   * receiver first (so a receiver that had given up gets ready again), then sends; the
   * receiver asks the sender, who alone can move bytes.
   */
  resume(id: string, tellPeer = true): TransferDto {
    const t = this.require(id);
    if (t.state !== 'paused' && t.state !== 'failed' && t.state !== 'active') {
      throw new FerryError('INVALID_ARGUMENT', `a transfer that is ${t.state} cannot be resumed`);
    }
    if (t.direction === 'in' && t.saveDir === null)
      throw new FerryError('INVALID_ARGUMENT', 'this offer was never accepted');
    this.retryFailedFiles(t);
    const link = this.deps.linkOf(t.peerId);
    if (t.direction === 'out') {
      if (link && tellPeer) link.conn.send({ type: 'transfer-resume', id: t.id });
      this.setState(t, 'active', null);
      this.pump(t);
      if (!link) this.deps.keepConnected(t.peerId);
    } else {
      this.setState(t, 'paused', null);
      if (link) link.conn.send({ type: 'transfer-resume', id: t.id });
      else this.deps.keepConnected(t.peerId);
    }
    return this.toDto(t);
  }

  /** Files that failed for a reason other than their name get another go. */
  private retryFailedFiles(t: Transfer): void {
    for (const f of t.files) {
      if (f.state === 'failed' && f.error?.code !== 'NAME_REJECTED') this.setFile(t, f, 'pending', null);
    }
  }

  // ── control link ────────────────────────────────────────────────────────────

  /** Handles transfer frames on a control link; returns false for anything else. */
  onFrame(link: PeerLink, frame: DecodedFrame<ControlHeader>): boolean {
    const { header } = frame;
    switch (header.type) {
      case 'offer':
        this.onOffer(link, header, frame.body);
        return true;
      case 'offer-answer': {
        const t = this.mine(link, header.id, 'out');
        if (!t || t.state !== 'offered') return true;
        this.clearExpiry(t);
        if (!header.accept) {
          this.setState(t, 'declined', new FerryError('OFFER_DECLINED', 'the receiver declined the offer'));
          return true;
        }
        for (const r of header.rejected ?? []) {
          const f = t.files[r.index];
          if (f) this.setFile(t, f, 'failed', { code: 'NAME_REJECTED', message: r.message });
        }
        for (const f of t.files) if (f.isDirectory && f.state === 'pending') this.setFile(t, f, 'done');
        this.setState(t, 'active', null);
        this.pump(t);
        return true;
      }
      case 'transfer-stop': {
        const t = this.mine(link, header.id);
        if (!t || FINAL.has(t.state)) return true;
        this.stopLocally(t, header.state, new FerryError(errorCodeFrom(header.code), header.message));
        return true;
      }
      case 'transfer-resume': {
        const t = this.mine(link, header.id);
        if (!t) return true;
        if (t.direction === 'out') {
          if (t.state === 'paused' || t.state === 'failed' || t.state === 'active') this.resume(t.id, false);
        } else if (t.saveDir !== null && (t.state === 'paused' || t.state === 'failed')) {
          // The sender resumed by hand and is about to send again: be ready to receive.
          this.retryFailedFiles(t);
          this.setState(t, 'paused', null);
        }
        return true;
      }
      default:
        return false;
    }
  }

  private mine(link: PeerLink, id: string, direction?: 'in' | 'out'): Transfer | undefined {
    const t = this.get(id);
    return t && t.peerId === link.peerId && (!direction || t.direction === direction) ? t : undefined;
  }

  /** The peer's control link is up: re-offer what is unanswered, restart what was moving. */
  onLinkUp(link: PeerLink): void {
    for (const id of this.deps.repo.unfinishedIds()) {
      const t = this.get(id)!;
      if (t.peerId !== link.peerId || t.direction !== 'out') continue;
      if (t.state === 'offered') this.sendOffer(link, t);
      else if (t.state === 'paused' || t.state === 'active') {
        if (t.state === 'paused') this.setState(t, 'active', null);
        this.pump(t);
      }
    }
  }

  /** An inbound data connection (purpose "transfer") finished its hello. */
  onDataConnection(link: PeerLink): void {
    const { socket, leftover } = link.conn.detach();
    const channel = new DataChannel(socket, leftover);
    const done = receiveFiles(channel, link.peerId, this).finally(() => this.receiving.delete(channel));
    this.receiving.set(channel, done);
  }

  // ── ReceiverHost ────────────────────────────────────────────────────────────

  receivable(id: string, peerId: string): Transfer | undefined {
    const t = this.get(id);
    return t && t.peerId === peerId && t.direction === 'in' && (t.state === 'active' || t.state === 'paused')
      ? t
      : undefined;
  }

  async attach(t: Transfer, channel: DataChannel): Promise<void> {
    let set = this.inbound.get(t.id);
    if (!set) this.inbound.set(t.id, (set = new Set()));
    // A new data connection supersedes older ones (the sender redialed after a cut we
    // may not have noticed yet); wait until they stop writing so no byte lands twice.
    const older = [...set];
    set.add(channel);
    for (const ch of older) ch.destroy();
    await Promise.all(older.map((ch) => this.receiving.get(ch)));
  }

  detach(t: Transfer, channel: DataChannel): void {
    this.inbound.get(t.id)?.delete(channel);
  }

  fileStarted(t: Transfer, f: TransferFile): void {
    if (t.state === 'paused') this.setState(t, 'active', null, false);
    this.setFile(t, f, 'active');
  }

  fileBytes(t: Transfer, f: TransferFile, bytesDone: number): void {
    f.bytesDone = bytesDone;
    let meter = this.meters.get(t.id);
    if (!meter) this.meters.set(t.id, (meter = new ProgressMeter()));
    const done = bytesOf(t);
    if (!meter.sample(done)) return;
    this.deps.emit('transferProgress', {
      id: t.id,
      bytesDone: done,
      totalBytes: t.totalBytes,
      speed: meter.speed,
      etaSeconds: meter.eta(t.totalBytes - done),
      fileIndex: f.index,
      fileBytesDone: bytesDone,
    });
  }

  fileDone(t: Transfer, f: TransferFile, savedPath: string | null): void {
    f.bytesDone = f.size;
    f.saved = savedPath;
    this.setFile(t, f, 'done', null);
    if (t.direction === 'in' && t.files.every((x) => x.state === 'done' || x.state === 'failed')) this.complete(t);
  }

  fileFailed(t: Transfer, f: TransferFile, error: FerryError): void {
    this.setFile(t, f, 'failed', error.toDto());
    if (t.direction === 'in' && t.files.every((x) => x.state === 'done' || x.state === 'failed')) this.complete(t);
  }

  transferFailed(t: Transfer, error: FerryError): void {
    if (FINAL.has(t.state) || t.state === 'failed') return;
    this.fail(t, error, true);
  }

  interrupted(t: Transfer, f: TransferFile, bytesOnDisk: number): void {
    if (FINAL.has(t.state) || t.state === 'failed') return;
    f.bytesDone = bytesOnDisk;
    this.setFile(t, f, 'pending');
    if (!this.inbound.get(t.id)?.size || this.inbound.get(t.id)!.size <= 1) {
      this.setState(
        t,
        'paused',
        new FerryError('PEER_GONE', 'the connection to the sender dropped; it resumes when the sender is back'),
      );
    }
  }

  written(bytes: number): void {
    this.bytesWritten += bytes;
  }

  // ── state ───────────────────────────────────────────────────────────────────

  /** Ends a transfer here (cancel/stop from either side): stop moving bytes, tidy .part files on cancel. */
  private stopLocally(t: Transfer, state: TransferState, error: FerryError): void {
    this.clearExpiry(t);
    const pump = this.pumps.get(t.id);
    if (pump) {
      pump.aborted = true;
      pump.channel?.destroy();
    }
    for (const ch of this.inbound.get(t.id) ?? []) ch.destroy();
    this.setState(t, state, error);
    if (t.direction === 'in' && state === 'cancelled') {
      // A cancelled transfer won't resume: its partial files go (finished ones stay).
      setTimeout(() => {
        for (const f of t.files) {
          if (f.part && f.state !== 'done') void discardPart(f.part);
        }
      }, 50).unref();
    }
  }

  private fail(t: Transfer, error: FerryError, tellPeer: boolean): void {
    const pump = this.pumps.get(t.id);
    if (pump) {
      pump.aborted = true;
      pump.channel?.destroy();
    }
    for (const ch of this.inbound.get(t.id) ?? []) ch.destroy();
    this.setState(t, 'failed', error);
    if (tellPeer) {
      this.deps.linkOf(t.peerId)?.conn.send({
        type: 'transfer-stop',
        id: t.id,
        state: 'failed',
        code: error.code,
        message: error.message.slice(0, 900),
      });
    }
  }

  /** Every file has a verdict: done if all arrived, else failed with the first file's reason. */
  private complete(t: Transfer): void {
    if (FINAL.has(t.state) || t.state === 'failed') return;
    const failed = t.files.find((f) => f.state === 'failed');
    this.meters.delete(t.id);
    if (failed) {
      const n = t.files.filter((f) => f.state === 'failed').length;
      this.setState(
        t,
        'failed',
        new FerryError(
          failed.error!.code as FerryError['code'],
          `${n} of ${t.files.length} files did not arrive: ${failed.error!.message}`,
        ),
      );
    } else {
      this.setState(t, 'done', null);
    }
  }

  private setState(t: Transfer, state: TransferState, error: FerryError | null, emit = true): void {
    t.state = state;
    t.error = error ? error.toDto() : null;
    t.updatedAt = Date.now();
    if (state !== 'active') this.meters.get(t.id)?.reset();
    this.deps.repo.saveAll(t);
    if (emit) this.emitUpdate(t);
    if (FINAL.has(state)) this.retire(t);
  }

  /**
   * A finished transfer leaves memory (the database keeps it); an incoming offer
   * that ended unanswered also drops its file list, so unanswered offer floods
   * cost neither memory nor disk.
   */
  private retire(t: Transfer): void {
    const pending = this.updateTimers.get(t.id);
    if (pending) {
      clearTimeout(pending);
      this.updateTimers.delete(t.id);
    }
    this.meters.delete(t.id);
    this.live.delete(t.id);
    if (t.direction === 'in' && (t.state === 'expired' || t.state === 'declined')) {
      this.deps.repo.dropFiles(t.id);
    }
  }

  private setFile(
    t: Transfer,
    f: TransferFile,
    state: TransferFile['state'],
    error: TransferFile['error'] = f.error,
  ): void {
    f.state = state;
    f.error = state === 'failed' ? error : null;
    t.updatedAt = Date.now();
    this.deps.repo.saveFile(t.id, f);
    this.scheduleUpdate(t);
  }

  /** File-level changes are coalesced (a folder of 10 000 small files must not flood the UI). */
  private scheduleUpdate(t: Transfer): void {
    if (this.updateTimers.has(t.id)) return;
    const timer = setTimeout(() => {
      this.updateTimers.delete(t.id);
      this.emitUpdate(t);
    }, 100);
    timer.unref();
    this.updateTimers.set(t.id, timer);
  }

  private armExpiry(t: Transfer, ttl = this.ttl): void {
    this.clearExpiry(t);
    const left = t.createdAt + ttl - Date.now();
    const timer = setTimeout(
      () => {
        this.expiry.delete(t.id);
        if (t.state !== 'offered') return;
        const error = new FerryError('OFFER_EXPIRED', 'nobody answered the offer in time');
        try {
          this.setState(t, 'expired', error);
        } catch (err) {
          this.deps.report?.('an offer that expired', err);
        }
        this.deps
          .linkOf(t.peerId)
          ?.conn.send({ type: 'transfer-stop', id: t.id, state: 'expired', code: error.code, message: error.message });
      },
      Math.max(0, left),
    );
    timer.unref();
    this.expiry.set(t.id, timer);
  }

  private clearExpiry(t: Transfer): void {
    const timer = this.expiry.get(t.id);
    if (timer) clearTimeout(timer);
    this.expiry.delete(t.id);
  }

  private emitUpdate(t: Transfer): void {
    const pending = this.updateTimers.get(t.id);
    if (pending) {
      clearTimeout(pending);
      this.updateTimers.delete(t.id);
    }
    if (this.stopped) return;
    this.deps.emit('transferUpdated', this.toDto(t));
  }

  toDto(t: Transfer): TransferDto {
    const meter = this.meters.get(t.id);
    const bytesDone = bytesOf(t);
    const active = t.state === 'active' && meter !== undefined;
    return {
      id: t.id,
      conversationId: directConversationId(t.peerId),
      peerId: t.peerId,
      direction: t.direction,
      state: t.state,
      createdAt: t.createdAt,
      updatedAt: t.updatedAt,
      files: t.files.slice(0, FILES_IN_DTO).map(fileDto),
      fileCount: t.fileCount ?? t.files.length,
      totalBytes: t.totalBytes,
      bytesDone,
      speed: active ? meter.speed : 0,
      etaSeconds: active ? meter.eta(t.totalBytes - bytesDone) : null,
      saveDir: t.saveDir,
      error: t.error,
    };
  }
}

/** Lone surrogates become U+FFFD (String.prototype.toWellFormed, which our TS lib target lacks). */
function wellFormed(s: string): string {
  return s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

function fileDto(f: TransferFile): TransferFileDto {
  return {
    path: f.path,
    size: f.size,
    isDirectory: f.isDirectory,
    bytesDone: f.state === 'done' ? f.size : f.bytesDone,
    state: f.state,
    savedPath: f.saved,
    error: f.error,
  };
}

function bytesOf(t: Transfer): number {
  let sum = 0;
  for (const f of t.files) sum += f.state === 'done' ? f.size : f.bytesDone;
  return sum;
}

/** A rejected name as the user should see it: control characters made visible. */
function printable(raw: string): string {
  // eslint-disable-next-line no-control-regex
  return raw.replace(/[\u0000-\u001f\u007f]/g, '\uFFFD').slice(0, 1024);
}
