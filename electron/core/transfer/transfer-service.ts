/**
 * File transfers: the domain side. Offers and answers reach the peer through its
 * PeerSession (session/peer-session.ts), and the peer's reach us through `inbox`; the sender's bytes move in send-pump.ts, the receiver's in
 * transfer-receiver.ts (over inbound-channels.ts); every state change goes through
 * the table in transfer-state.ts (applied by transfer-ledger.ts, which also keeps the
 * records and tells the UI through transfer-events.ts). This class decides what
 * happens next: what the user asks, what the peer says, what the bytes did.
 */
import path from 'node:path';
import type { FileHit, TransferDto, TransferFileDto } from '../../../shared/dto';
import { FerryError } from '../ferry-error';
import type { PeerLink } from '../net/connection-manager';
import type { IncomingOffer, OfferAnswer, PeerSession, StopState, TransferInbox } from '../session/peer-session';
import type { Transfer, TransferFile } from '../store/transfer-repo';
import type { DataChannel } from './data-channel';
import { InboundChannels } from './inbound-channels';
import { buildOffer } from './offer-builder';
import { OfferExpiry } from './offer-expiry';
import { discardPart } from './part-file';
import { pullFiles } from './pull-receiver';
import type { PullSource } from './pull-source';
import { placeFiles, prepareSaveDir } from './save-folder';
import { SendPump } from './send-pump';
import { TransferLedger } from './transfer-ledger';
import type { ReceiverHost } from './transfer-receiver';
import { allSettled, bytesOf, incomingTransfer, outgoingTransfer, sameOffer } from './transfer-records';
import { IMAGE_LIMITS, mayBeImage, probeImage, probeImageSync } from './image-probe';
import {
  DEFAULT_OFFER_QUOTA,
  DEFAULT_OFFER_TTL_MS,
  type OfferQuota,
  type TransferServiceDeps,
} from './transfer-options';
import { isFinal, isOver, transition } from './transfer-state';

export { FILES_IN_DTO } from './transfer-ledger';
export { DEFAULT_OFFER_QUOTA, DEFAULT_OFFER_TTL_MS, type AutoAccept, type OfferQuota } from './transfer-options';

export class TransferService implements ReceiverHost {
  private readonly ledger: TransferLedger;
  private readonly pump: SendPump;
  private readonly inbound = new InboundChannels();
  private readonly expiry = new OfferExpiry();
  /** .part files of cancelled transfers being removed (stop() waits for them). */
  private readonly cleanups = new Set<Promise<void>>();
  /** Where the peers' sessions deliver what they say about transfers. */
  readonly inbox: TransferInbox;
  private readonly ttl: number;
  private readonly quota: OfferQuota;
  /** Bytes written into .part files since start (tests prove resume never rewrites). */
  bytesWritten = 0;

  constructor(private readonly deps: TransferServiceDeps) {
    this.ttl = deps.offerTtlMs ?? DEFAULT_OFFER_TTL_MS;
    this.quota = { ...DEFAULT_OFFER_QUOTA, ...deps.offerQuota };
    this.ledger = new TransferLedger(deps.repo, deps.emit);
    this.pump = new SendPump({
      dialData: (peerId) => deps.dialData(peerId),
      linkUp: (peerId) => deps.sessionOf(peerId) !== undefined,
      fileActive: (t, f) => this.ledger.setFile(t, f, 'active'),
      fileBytes: (t, f, n) => this.fileBytes(t, f, n),
      fileDone: (t, f) => this.fileDone(t, f, null),
      fileFailed: (t, f, e) => this.fileFailed(t, f, e),
      complete: (t) => this.complete(t),
      pause: (t, e) => {
        this.ledger.setState(t, 'paused', e);
        deps.keepConnected(t.peerId);
      },
      fail: (t, e) => this.fail(t, e, true),
    });
    this.inbox = {
      offered: (session, offer) => this.onOffer(session, offer),
      answered: (session, answer) => this.onAnswer(session, answer),
      stopped: (session, id, state, error) => this.onStop(session, id, state, error),
      resumeAsked: (session, id) => this.onResumeAsked(session, id),
      pulled: (session, id, index, bytesDone, complete) => this.onPulled(session, id, index, bytesDone, complete),
      previewed: (session, id, index, bytes) => void this.onPreview(session, id, index, bytes),
    };
  }

  /** Transfers held in memory (finished ones are dropped from it; tests prove it stays bounded). */
  get liveCount(): number {
    return this.ledger.size;
  }

  /** After a (re)start: whatever was moving is paused until its peer is back; offers keep their deadline. */
  start(): string[] {
    const peers = new Set<string>();
    for (const t of this.ledger.unfinished()) {
      if (t.state === 'active') this.ledger.setState(t, 'paused', null, false);
      if (t.state === 'offered') this.armExpiry(t);
      if (t.direction === 'out') peers.add(t.peerId);
    }
    return [...peers];
  }

  /** Stops moving bytes; resolves once every sender and receiver has recorded where it stopped (the database is still open). */
  async stop(): Promise<void> {
    this.expiry.stop();
    this.ledger.events.stop();
    await Promise.allSettled([this.pump.stop(), this.inbound.stop()]);
    await Promise.allSettled([...this.cleanups]);
    for (const t of this.ledger.held()) if (t.state === 'active') this.ledger.save(t);
  }

  get(id: string): Transfer | undefined {
    return this.ledger.get(id);
  }

  list(peerId?: string, options: { before?: number; limit?: number; includeEnded?: boolean } = {}): TransferDto[] {
    return this.ledger.list(peerId, options);
  }

  searchNames(text: string): FileHit[] {
    return this.ledger.searchNames(text);
  }

  isReceivedFile(file: string): boolean {
    return this.ledger.isSavedPath(file);
  }

  /** One page of a transfer's files. */
  files(id: string, offset = 0, limit = 500): TransferFileDto[] {
    return this.ledger.files(id, offset, limit);
  }

  toDto(t: Transfer): TransferDto {
    return this.ledger.toDto(t);
  }

  // ── what the user does ──────────────────────────────────────────────────────

  /** A transfer and one of its files, for reading it here (NOT_FOUND if either is unknown). */
  fileOf(id: string, index: number): { t: Transfer; f: TransferFile } {
    const t = this.ledger.require(id);
    const f = t.files[index];
    if (!f) throw new FerryError('NOT_FOUND', 'no such file in this transfer');
    return { t, f };
  }

  async send(peerId: string, paths: string[]): Promise<TransferDto> {
    const t = outgoingTransfer(peerId, await buildOffer(paths));
    if (t.files.length <= IMAGE_LIMITS.maxFilesInTransfer) {
      for (const f of t.files)
        if (f.source && mayBeImage(f.path, f.size, f.isDirectory)) f.image = await probeImage(f.source);
    }
    this.ledger.add(t);
    this.armExpiry(t, this.ttl + 30_000); // the receiver's clock decides; ours is the backstop
    this.ledger.events.updated(t);
    const session = this.deps.sessionOf(peerId);
    if (session) session.offer(t);
    else this.deps.keepConnected(peerId);
    return this.toDto(t);
  }

  /** Sends the kept preview of our offered picture, to a peer that takes one (now, or with a re-offer). */
  sendPreview(t: Transfer, session = this.deps.sessionOf(t.peerId)): void {
    const preview = this.deps.images?.previewOf(t.id);
    if (preview && session && t.direction === 'out' && t.state === 'offered')
      session.sendPreview?.(t.id, 0, preview.mime, preview.bytes);
  }

  /** A peer's small picture of its offered picture: kept and shown on the offer card, or ignored. */
  private async onPreview(session: PeerSession, id: string, index: number, bytes: Buffer): Promise<void> {
    const t = this.mine(session, id, 'in');
    const f = t?.files[index];
    const images = this.deps.images;
    if (!t || !f || !images || t.state !== 'offered' || t.files.length !== 1) return;
    if (!mayBeImage(f.path, f.size, f.isDirectory)) return;
    try {
      const size = await images.storePreview(t, f, bytes);
      if (!size || t.state !== 'offered') return;
      f.preview = size;
      this.ledger.setFile(t, f, f.state);
    } catch (err) {
      this.deps.report?.('keeping an offer preview', err);
    }
  }

  /**
   * What the user chose for an outgoing transfer that ended without arriving: each
   * chosen file or folder, found again from its files' source paths.
   */
  resendPaths(id: string): { peerId: string; paths: string[] } {
    const t = this.ledger.require(id);
    if (t.direction !== 'out') throw new FerryError('INVALID_ARGUMENT', 'only files you sent can be sent again');
    if (!['failed', 'declined', 'cancelled', 'expired'].includes(t.state)) {
      throw new FerryError(
        'INVALID_ARGUMENT',
        `this transfer is ${t.state}; only one that ended without arriving can be sent again`,
      );
    }
    const roots = new Set<string>();
    for (const f of t.files) {
      if (!f.source) continue;
      const depth = f.path.split('/').length - 1;
      // The chosen item is the source path with the rest of the relative path taken off.
      roots.add(depth === 0 ? f.source : path.resolve(f.source, ...Array<string>(depth).fill('..')));
    }
    if (roots.size === 0) throw new FerryError('SOURCE_MISSING', 'Ferry no longer knows where these files were');
    return { peerId: t.peerId, paths: [...roots] };
  }

  async accept(id: string, saveDir?: string): Promise<TransferDto> {
    const t = this.ledger.require(id);
    if (t.direction !== 'in') throw new FerryError('INVALID_ARGUMENT', 'only incoming offers can be accepted');
    if (t.state !== 'offered') throw new FerryError('INVALID_ARGUMENT', `this transfer is already ${t.state}`);
    const dir = saveDir ?? this.deps.downloadDir();
    const resolved = await prepareSaveDir(dir, t.totalBytes - bytesOf(t), this.deps.freeBytes);
    if (t.state !== 'offered') throw new FerryError('INVALID_ARGUMENT', `this transfer is already ${t.state}`);
    t.saveDir = resolved;
    this.expiry.clear(t.id);
    const session = this.deps.sessionOf(t.peerId);
    await placeFiles(t, resolved, session?.pull !== undefined);
    this.ledger.setState(t, 'active', null);
    session?.answer(t);
    if (allSettled(t)) this.complete(t);
    else if (session?.pull) this.startPull(t, session.pull);
    return this.toDto(t);
  }

  decline(id: string): TransferDto {
    const t = this.ledger.require(id);
    if (t.direction !== 'in' || t.state !== 'offered')
      throw new FerryError('INVALID_ARGUMENT', 'only a waiting incoming offer can be declined');
    this.expiry.clear(t.id);
    this.ledger.setState(t, 'declined', new FerryError('OFFER_DECLINED', 'you declined this offer'));
    this.deps.sessionOf(t.peerId)?.answer(t);
    return this.toDto(t);
  }

  cancel(id: string): TransferDto {
    const t = this.ledger.require(id);
    transition(t.state, 'cancelled'); // "this transfer is already done" before anything stops
    const error = new FerryError(
      'CANCELLED',
      t.direction === 'out' ? 'the sender cancelled the transfer' : 'the receiver cancelled the transfer',
    );
    this.stopLocally(t, 'cancelled', error);
    this.deps.sessionOf(t.peerId)?.stop(t.id, 'cancelled', error);
    return this.toDto(t);
  }

  /**
   * Resumes a paused or failed transfer by hand, from either side. The sender tells the
   * receiver first (so a receiver that had given up gets ready again), then sends; the
   * receiver asks the sender, who alone can move bytes.
   */
  resume(id: string, tellPeer = true): TransferDto {
    const t = this.ledger.require(id);
    if (t.state !== 'paused' && t.state !== 'failed' && t.state !== 'active') {
      throw new FerryError('INVALID_ARGUMENT', `a transfer that is ${t.state} cannot be resumed`);
    }
    if (t.direction === 'in' && t.saveDir === null)
      throw new FerryError('INVALID_ARGUMENT', 'this offer was never accepted');
    this.retryFailedFiles(t);
    const session = this.deps.sessionOf(t.peerId);
    if (session?.pull) {
      // The receiver fetches: we fetch again (from byte 0 if the sender ignores offsets), or wait to be fetched from.
      this.ledger.setState(t, 'active', null);
      if (t.direction === 'in') this.startPull(t, session.pull);
      else if (tellPeer) session.askResume(t.id);
      return this.toDto(t);
    }
    if (t.direction === 'out') {
      if (session && tellPeer) session.askResume(t.id);
      this.ledger.setState(t, 'active', null);
      this.pump.start(t);
      if (!session) this.deps.keepConnected(t.peerId);
    } else {
      this.ledger.setState(t, 'paused', null);
      if (session) session.askResume(t.id);
      else this.deps.keepConnected(t.peerId);
    }
    return this.toDto(t);
  }

  /** Files that failed for a reason other than their name get another go. */
  private retryFailedFiles(t: Transfer): void {
    for (const f of t.files) {
      if (f.state === 'failed' && f.error?.code !== 'NAME_REJECTED') this.ledger.setFile(t, f, 'pending', null);
    }
  }

  // ── what the peer does ──────────────────────────────────────────────────────

  private onOffer(session: PeerSession, offer: IncomingOffer): void {
    const { entries } = offer;
    const known = this.get(offer.id);
    if (known && !sameOffer(known, entries)) {
      // docs/PROTOCOL.md §9 "Transfer ids": an id names one set of files, once.
      const message = 'this transfer id already names other files; offer them under a new id';
      session.stop(offer.id, 'failed', { code: 'BAD_FRAME', message });
      return;
    }
    if (!known && !this.withinQuota(session.peerId, entries.length)) {
      // Not stored, not shown: the sender hears why and may offer again once earlier offers are answered.
      const error = new FerryError(
        'RATE_LIMITED',
        `too many offers from this device wait for an answer (at most ${this.quota.maxPendingOffers} offers, ${this.quota.maxPendingEntries} entries); offer again later`,
      );
      session.stop(offer.id, 'declined', error);
      this.deps.report?.(`an offer from ${session.name}`, error);
      return;
    }
    if (known) {
      // The sender re-sent an offer after a reconnect: repeat our answer.
      if (known.peerId !== session.peerId || known.direction !== 'in')
        session.fail(new FerryError('BAD_FRAME', 'offer id already in use'));
      else session.answer(known);
      return;
    }
    const t = incomingTransfer(offer.id, session.peerId, entries, offer.totalBytes);
    this.ledger.add(t);
    if (t.files.every((f) => f.state === 'failed')) {
      // Nothing could be saved: refuse at once instead of asking the user (or answering accept).
      const error = new FerryError(
        'NAME_REJECTED',
        `every name in the offer was refused: ${t.files[0]!.error!.message}`,
      );
      this.ledger.setState(t, 'failed', error);
      session.stop(t.id, 'failed', error);
      return;
    }
    this.armExpiry(t);
    this.ledger.events.updated(t);
    const mode = this.deps.autoAccept();
    // A peer that cannot prove who it is (IP Messenger) never gets files in without a click, whatever the setting.
    if (!session.capabilities.verifiable) return;
    if (mode === 'any' || (mode === 'verified' && this.deps.isVerified(session.peerId))) {
      this.accept(t.id).catch((err) => this.fail(t, FerryError.from(err), true));
    }
  }

  private withinQuota(peerId: string, entries: number): boolean {
    let offers = 0;
    let total = entries;
    for (const t of this.ledger.held()) {
      if (t.peerId !== peerId || t.direction !== 'in' || t.state !== 'offered') continue;
      offers++;
      total += t.files.length;
    }
    return offers < this.quota.maxPendingOffers && total <= this.quota.maxPendingEntries;
  }

  private onAnswer(session: PeerSession, answer: OfferAnswer): void {
    const t = this.mine(session, answer.id, 'out');
    if (!t || t.state !== 'offered') return;
    this.expiry.clear(t.id);
    if (!answer.accept) {
      this.ledger.setState(t, 'declined', new FerryError('OFFER_DECLINED', 'the receiver declined the offer'));
      return;
    }
    for (const r of answer.rejected ?? []) {
      const f = t.files[r.index];
      if (f) this.ledger.setFile(t, f, 'failed', { code: 'NAME_REJECTED', message: r.message });
    }
    if (session.pull) {
      // The receiver fetches each file itself; onPulled hears about it.
      this.ledger.setState(t, 'active', null);
      return;
    }
    for (const f of t.files) if (f.isDirectory && f.state === 'pending') this.ledger.setFile(t, f, 'done');
    this.ledger.setState(t, 'active', null);
    this.pump.start(t);
  }

  /** The peer fetched bytes of one of our files (a session with `pull`): its first fetch accepts the offer. */
  private onPulled(session: PeerSession, id: string, index: number, bytesDone: number, complete: boolean): void {
    const t = this.mine(session, id, 'out');
    const f = t?.files[index];
    if (!t || !f || isOver(t.state) || f.state === 'done') return;
    if (t.state === 'offered') {
      this.expiry.clear(t.id);
      this.ledger.setState(t, 'active', null);
    } else if (t.state === 'paused') {
      this.ledger.setState(t, 'active', null);
    }
    if (f.state !== 'active') this.ledger.setFile(t, f, 'active');
    if (!complete) return this.fileBytes(t, f, bytesDone);
    this.fileDone(t, f, null);
    if (allSettled(t)) this.complete(t);
  }

  private onStop(session: PeerSession, id: string, state: StopState, error: FerryError): void {
    const t = this.mine(session, id);
    if (t && !isFinal(t.state)) this.stopLocally(t, state, error);
  }

  private onResumeAsked(session: PeerSession, id: string): void {
    const t = this.mine(session, id);
    if (!t) return;
    if (t.direction === 'out') {
      if (t.state === 'paused' || t.state === 'failed' || t.state === 'active') this.resume(t.id, false);
    } else if (t.saveDir !== null && (t.state === 'paused' || t.state === 'failed')) {
      // The sender resumed by hand and is about to send again: be ready to receive.
      this.retryFailedFiles(t);
      this.ledger.setState(t, 'paused', null);
    }
  }

  private mine(session: PeerSession, id: string, direction?: 'in' | 'out'): Transfer | undefined {
    const t = this.get(id);
    return t && t.peerId === session.peerId && (!direction || t.direction === direction) ? t : undefined;
  }

  /** A peer's session came up: re-offer what is unanswered, restart what was moving. */
  onSessionUp(session: PeerSession): void {
    for (const t of this.ledger.unfinished()) {
      if (t.peerId !== session.peerId || t.direction !== 'out') continue;
      if (t.state === 'offered') {
        session.offer(t);
        this.sendPreview(t, session);
      } else if (session.pull)
        continue; // the peer fetches what it still wants
      else if (t.state === 'paused' || t.state === 'active') {
        if (t.state === 'paused') this.ledger.setState(t, 'active', null);
        this.pump.start(t);
      }
    }
  }

  /** An inbound data connection (purpose "transfer") finished its hello. */
  onDataConnection(link: PeerLink): void {
    this.inbound.open(link, this);
  }

  /** Fetches an accepted incoming transfer's bytes from the sender (a session with `pull`). */
  private startPull(t: Transfer, source: PullSource): void {
    this.inbound.pull(t.id, (signal) =>
      pullFiles(t, source, this, signal).catch((err) => this.transferFailed(t, FerryError.from(err))),
    );
  }

  // ── ReceiverHost ────────────────────────────────────────────────────────────

  receivable(id: string, peerId: string): Transfer | undefined {
    const t = this.get(id);
    return t && t.peerId === peerId && t.direction === 'in' && (t.state === 'active' || t.state === 'paused')
      ? t
      : undefined;
  }

  attach(t: Transfer, channel: DataChannel): Promise<void> {
    return this.inbound.claim(t, channel);
  }

  detach(t: Transfer, channel: DataChannel): void {
    this.inbound.release(t, channel);
  }

  fileStarted(t: Transfer, f: TransferFile): void {
    // A resumed transfer says so at once: a file that finishes within the coalescing window
    // would otherwise go from paused to done without ever showing it was moving again.
    if (t.state === 'paused') this.ledger.setState(t, 'active', null);
    this.ledger.setFile(t, f, 'active');
  }

  fileBytes(t: Transfer, f: TransferFile, bytesDone: number): void {
    f.bytesDone = bytesDone;
    this.ledger.events.progress(t, f, bytesDone, bytesOf(t));
  }

  fileDone(t: Transfer, f: TransferFile, savedPath: string | null): void {
    f.bytesDone = f.size;
    f.saved = savedPath;
    // Just written, so in the page cache: a synchronous look at its first bytes costs nothing.
    if (savedPath && t.files.length <= IMAGE_LIMITS.maxFilesInTransfer && mayBeImage(savedPath, f.size, f.isDirectory))
      f.image = probeImageSync(savedPath);
    this.ledger.setFile(t, f, 'done', null);
    if (t.direction === 'in' && allSettled(t)) this.complete(t);
  }

  fileFailed(t: Transfer, f: TransferFile, error: FerryError): void {
    this.ledger.setFile(t, f, 'failed', error.toDto());
    if (t.direction === 'in' && allSettled(t)) this.complete(t);
  }

  transferFailed(t: Transfer, error: FerryError): void {
    if (!isOver(t.state)) this.fail(t, error, true);
  }

  interrupted(t: Transfer, f: TransferFile, bytesOnDisk: number): void {
    if (isOver(t.state)) return;
    f.bytesDone = bytesOnDisk;
    this.ledger.setFile(t, f, 'pending');
    if (this.inbound.count(t.id) <= 1) {
      const error = new FerryError(
        'PEER_GONE',
        'the connection to the sender dropped; it resumes when the sender is back',
      );
      this.ledger.setState(t, 'paused', error);
    }
  }

  written(bytes: number): void {
    this.bytesWritten += bytes;
  }

  // ── state ───────────────────────────────────────────────────────────────────

  /** Ends a transfer here (cancel/stop from either side): stop moving bytes, tidy .part files on cancel. */
  private stopLocally(t: Transfer, state: StopState, error: FerryError): void {
    this.expiry.clear(t.id);
    this.pump.abort(t.id);
    const receiversDone = this.inbound.cut(t.id);
    this.ledger.setState(t, state, error);
    if (t.direction === 'in' && state === 'cancelled') {
      // A cancelled transfer won't resume: once its receivers have let go, its partial files go (finished ones stay).
      const cleanup = receiversDone
        .then(() => Promise.all(t.files.map((f) => (f.part && f.state !== 'done' ? discardPart(f.part) : null))))
        .then(
          () => {},
          (err) => this.deps.report?.('removing the partial files of a cancelled transfer', err),
        )
        .finally(() => this.cleanups.delete(cleanup));
      this.cleanups.add(cleanup);
    }
  }

  /** The transfer failed here; `tellPeer` sends the reason. A transfer that is already over stays as it is. */
  private fail(t: Transfer, error: FerryError, tellPeer: boolean): void {
    if (isFinal(t.state)) return;
    this.pump.abort(t.id);
    void this.inbound.cut(t.id);
    this.ledger.setState(t, 'failed', error);
    if (tellPeer) this.deps.sessionOf(t.peerId)?.stop(t.id, 'failed', error);
  }

  /** Every file has a verdict: done if all arrived, else failed with the first file's reason. */
  private complete(t: Transfer): void {
    if (isOver(t.state)) return;
    const failed = t.files.find((f) => f.state === 'failed');
    this.ledger.events.forget(t.id);
    if (!failed) return this.ledger.setState(t, 'done', null);
    const n = t.files.filter((f) => f.state === 'failed').length;
    const message = `${n} of ${t.files.length} files did not arrive: ${failed.error!.message}`;
    this.ledger.setState(t, 'failed', new FerryError(failed.error!.code as FerryError['code'], message));
  }

  private armExpiry(t: Transfer, ttl = this.ttl): void {
    this.expiry.arm(t.id, t.createdAt + ttl, () => {
      if (t.state !== 'offered') return;
      const error = new FerryError('OFFER_EXPIRED', 'nobody answered the offer in time');
      try {
        this.ledger.setState(t, 'expired', error);
      } catch (err) {
        this.deps.report?.('an offer that expired', err);
      }
      this.deps.sessionOf(t.peerId)?.stop(t.id, 'expired', error);
    });
  }
}
