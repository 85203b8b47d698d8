/**
 * What the UI hears about transfers, on two channels:
 * - `transferUpdated` (the whole TransferDto): at once on every state change; file-level
 *   changes are coalesced to one update per 100 ms per transfer (a folder of 10 000 small
 *   files must not flood the UI);
 * - `transferProgress` (bytes, speed, ETA of one transfer): at most 10 per second per
 *   transfer, so a progress tick touches only that transfer's card.
 * The coalescing timers live here and nowhere else; stop() clears them all.
 */
import type { TransferDto } from '../../../shared/dto';
import type { EventSink } from '../event-sink';
import type { Transfer, TransferFile } from '../store/transfer-repo';
import { ProgressMeter } from './progress-meter';

/** Longest wait before file-level changes reach the UI. */
export const FILE_UPDATE_DELAY_MS = 100;

export class TransferEvents {
  private readonly meters = new Map<string, ProgressMeter>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly emit: EventSink,
    private readonly toDto: (t: Transfer) => TransferDto,
  ) {}

  /** A state change: the UI hears it now (and any coalesced file update with it). */
  updated(t: Transfer): void {
    this.cancelPending(t.id);
    if (this.stopped) return;
    this.emit('transferUpdated', this.toDto(t));
  }

  /** A file changed state: the UI hears it within FILE_UPDATE_DELAY_MS, once. */
  fileChanged(t: Transfer): void {
    if (this.pending.has(t.id) || this.stopped) return;
    const timer = setTimeout(() => {
      this.pending.delete(t.id);
      this.updated(t);
    }, FILE_UPDATE_DELAY_MS);
    timer.unref();
    this.pending.set(t.id, timer);
  }

  /** Bytes moved for one file; emits transferProgress when the meter says it is time. */
  progress(t: Transfer, f: TransferFile, fileBytesDone: number, bytesDone: number): void {
    let meter = this.meters.get(t.id);
    if (!meter) this.meters.set(t.id, (meter = new ProgressMeter()));
    if (!meter.sample(bytesDone) || this.stopped) return;
    this.emit('transferProgress', {
      id: t.id,
      bytesDone,
      totalBytes: t.totalBytes,
      speed: meter.speed,
      etaSeconds: meter.eta(t.totalBytes - bytesDone),
      fileIndex: f.index,
      fileBytesDone,
    });
  }

  /** Speed and ETA for a DTO: only while bytes are moving. */
  rate(t: Transfer, bytesDone: number): { speed: number; etaSeconds: number | null } {
    const meter = this.meters.get(t.id);
    if (t.state !== 'active' || !meter) return { speed: 0, etaSeconds: null };
    return { speed: meter.speed, etaSeconds: meter.eta(t.totalBytes - bytesDone) };
  }

  /** Bytes stopped moving (paused, failed…): the next run measures its speed afresh. */
  idle(id: string): void {
    this.meters.get(id)?.reset();
  }

  /** The transfer is over or leaves memory: drop its meter and any pending update. */
  forget(id: string): void {
    this.cancelPending(id);
    this.meters.delete(id);
  }

  /** No more events (the node is stopping); clears every timer. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }

  private cancelPending(id: string): void {
    const timer = this.pending.get(id);
    if (!timer) return;
    clearTimeout(timer);
    this.pending.delete(id);
  }
}
