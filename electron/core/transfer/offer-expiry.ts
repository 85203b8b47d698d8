/**
 * Offer deadlines: one timer per unanswered offer, owned here and cleared when
 * the offer is answered, ends, or the node stops.
 */
export class OfferExpiry {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  /** Calls `expire` at `deadline` (ms since epoch; at once if it has passed), replacing any earlier deadline. */
  arm(id: string, deadline: number, expire: () => void): void {
    this.clear(id);
    const timer = setTimeout(
      () => {
        this.timers.delete(id);
        expire();
      },
      Math.max(0, deadline - Date.now()),
    );
    timer.unref();
    this.timers.set(id, timer);
  }

  clear(id: string): void {
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
  }

  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
