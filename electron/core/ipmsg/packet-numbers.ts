/**
 * IP Messenger packet numbers. Receivers drop a message whose number is not above the
 * last one they saw from that address, so ours must keep increasing across restarts:
 * they start at the clock in seconds (as IP Messenger does) or above the last block we
 * reserved, whichever is higher. A block of numbers is written down before any of it
 * is used, so a crash never hands out a number twice.
 */
import fs from 'node:fs';

const BLOCK = 1000;

export class PacketNumbers {
  private next: number;
  private ceiling: number;

  constructor(
    private readonly file: string | null,
    now = Date.now(),
  ) {
    let reserved = 0;
    if (file) {
      try {
        const text = fs.readFileSync(file, 'utf8').trim();
        if (/^\d{1,15}$/.test(text)) reserved = Number(text);
      } catch {
        // no file yet (or unreadable): the clock alone decides
      }
    }
    this.next = Math.max(Math.floor(now / 1000), reserved);
    this.ceiling = this.next;
  }

  /** The next packet number. */
  take(): number {
    if (this.next >= this.ceiling) this.reserve();
    return this.next++;
  }

  private reserve(): void {
    this.ceiling = this.next + BLOCK;
    if (!this.file) return;
    const tmp = `${this.file}.tmp`;
    fs.writeFileSync(tmp, `${this.ceiling}\n`);
    fs.renameSync(tmp, this.file);
  }
}
