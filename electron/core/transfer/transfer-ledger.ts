/**
 * The transfers' records: the unfinished ones in memory, every one in SQLite, and
 * the only code that changes a transfer's state (through the table in
 * transfer-state.ts) or a file's state, saving and announcing each change.
 */
import { directConversationId } from '../../../shared/conversation-id';
import type { FileHit, TransferDto, TransferFileDto, TransferState } from '../../../shared/dto';
import type { EventSink } from '../event-sink';
import { FerryError } from '../ferry-error';
import type { Transfer, TransferFile, TransferRepo } from '../store/transfer-repo';
import { TransferEvents } from './transfer-events';
import { bytesOf, errorDto, fileDto } from './transfer-records';
import { isFinal, transition } from './transfer-state';

/** Files carried in a TransferDto; the rest are paged with files(). */
export const FILES_IN_DTO = 100;

export class TransferLedger {
  /** Unfinished transfers (and finished ones read by id until they are listed again). */
  private readonly live = new Map<string, Transfer>();
  readonly events: TransferEvents;

  constructor(
    private readonly repo: TransferRepo,
    emit: EventSink,
  ) {
    this.events = new TransferEvents(emit, (t) => this.toDto(t));
  }

  get size(): number {
    return this.live.size;
  }

  /** Transfers held in memory. */
  held(): IterableIterator<Transfer> {
    return this.live.values();
  }

  get(id: string): Transfer | undefined {
    let t = this.live.get(id);
    if (!t) {
      t = this.repo.get(id);
      if (t) this.live.set(id, t);
    }
    return t;
  }

  require(id: string): Transfer {
    const t = this.get(id);
    if (!t) throw new FerryError('NOT_FOUND', 'no such transfer');
    return t;
  }

  /** Stores a new transfer and holds it. */
  add(t: Transfer): void {
    this.repo.insert(t);
    this.live.set(t.id, t);
  }

  /** Every transfer that has not ended, by id. */
  *unfinished(): Generator<Transfer> {
    for (const id of this.repo.unfinishedIds()) yield this.get(id)!;
  }

  list(peerId?: string, options: { before?: number; limit?: number; includeEnded?: boolean } = {}): TransferDto[] {
    // Finished transfers are read for the listing and not kept in memory.
    return this.repo
      .ids(peerId, options.limit ?? 100, options)
      .map((id) => this.toDto(this.live.get(id) ?? this.repo.get(id)!));
  }

  /** One page of a transfer's files. */
  files(id: string, offset = 0, limit = 500): TransferFileDto[] {
    const t = this.live.get(id) ?? this.repo.get(id);
    if (!t) throw new FerryError('NOT_FOUND', 'no such transfer');
    return t.files.slice(offset, offset + limit).map(fileDto);
  }

  isSavedPath(file: string): boolean {
    return this.repo.isSavedPath(file);
  }

  /** Files and folders whose name contains `text`, with the transfer each came in (newest first). */
  searchNames(text: string, limit = 50): FileHit[] {
    const hits: FileHit[] = [];
    const transfers = new Map<string, TransferDto | null>();
    for (const hit of this.repo.searchNames(text, limit)) {
      if (!transfers.has(hit.transferId)) {
        const t = this.live.get(hit.transferId) ?? this.repo.get(hit.transferId);
        transfers.set(hit.transferId, t ? this.toDto(t) : null);
      }
      const transfer = transfers.get(hit.transferId);
      if (transfer) hits.push({ transfer, path: hit.path, isDir: hit.isDir });
    }
    return hits;
  }

  /** Saves the whole record (state, every file) without announcing it. */
  save(t: Transfer): void {
    this.repo.saveAll(t);
  }

  /** The only place a transfer's state changes; the table in transfer-state.ts decides whether it may. */
  setState(t: Transfer, state: TransferState, error: FerryError | null, emit = true): void {
    t.state = transition(t.state, state);
    t.error = error ? error.toDto() : null;
    t.updatedAt = Date.now();
    if (state !== 'active') this.events.idle(t.id);
    this.repo.saveAll(t);
    if (emit) this.events.updated(t);
    if (isFinal(state)) this.retire(t);
  }

  setFile(t: Transfer, f: TransferFile, state: TransferFile['state'], error = f.error): void {
    f.state = state;
    f.error = state === 'failed' ? error : null;
    t.updatedAt = Date.now();
    this.repo.saveFile(t.id, f);
    this.events.fileChanged(t);
  }

  /**
   * A finished transfer leaves memory (the database keeps it); an incoming offer
   * that ended unanswered also drops its file list, so unanswered offer floods
   * cost neither memory nor disk.
   */
  private retire(t: Transfer): void {
    this.events.forget(t.id);
    this.live.delete(t.id);
    if (t.direction === 'in' && (t.state === 'expired' || t.state === 'declined')) this.repo.dropFiles(t.id);
  }

  toDto(t: Transfer): TransferDto {
    const bytesDone = bytesOf(t);
    const { speed, etaSeconds } = this.events.rate(t, bytesDone);
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
      speed,
      etaSeconds,
      saveDir: t.saveDir,
      error: errorDto(t.error),
    };
  }
}
