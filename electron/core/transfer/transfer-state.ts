/**
 * The transfer state machine: the one table that says which state may follow
 * which. Every state change of a transfer goes through `transition()`; a
 * change the table does not list is a caller's mistake (INVALID_ARGUMENT).
 *
 * A state may follow itself where the code re-affirms it: `active` again when
 * the user resumes a running transfer, `paused` again when the receiver gets
 * ready for a resumed sender, `failed` again when the peer reports the failure
 * we already recorded. A peer's `transfer-stop` may carry any of its four
 * states (cancelled, failed, expired, declined) before the transfer is over
 * (docs/PROTOCOL.md §9), so those are allowed from every unfinished state.
 */
import type { TransferState } from '../../../shared/dto';
import { FerryError } from '../ferry-error';

const PEER_STOP: readonly TransferState[] = ['cancelled', 'failed', 'expired', 'declined'];

export const TRANSITIONS: Readonly<Record<TransferState, readonly TransferState[]>> = {
  // accepted (here or by the peer), declined, unanswered in time, cancelled, every name refused
  offered: ['active', ...PEER_STOP],
  // resumed again, connection lost, every file has a verdict, stopped
  active: ['active', 'paused', 'done', ...PEER_STOP],
  // moving again, ready again, a last file's verdict arrived while paused, stopped
  paused: ['paused', 'active', 'done', ...PEER_STOP],
  // resumed by the sender (active) or made ready by the receiver (paused), stopped
  failed: ['active', 'paused', ...PEER_STOP],
  // final: nothing follows
  done: [],
  declined: [],
  expired: [],
  cancelled: [],
};

/** Nothing follows a final state; the transfer leaves memory. */
export function isFinal(state: TransferState): boolean {
  return TRANSITIONS[state].length === 0;
}

/** Final, or failed: nothing moves until someone resumes it by hand. */
export function isOver(state: TransferState): boolean {
  return state === 'failed' || isFinal(state);
}

export function canTransition(from: TransferState, to: TransferState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The state that `from` may move to, or INVALID_ARGUMENT saying why not. */
export function transition(from: TransferState, to: TransferState): TransferState {
  if (canTransition(from, to)) return to;
  throw new FerryError(
    'INVALID_ARGUMENT',
    isFinal(from) ? `this transfer is already ${from}` : `a transfer that is ${from} cannot become ${to}`,
  );
}
