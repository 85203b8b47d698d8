import { describe, expect, it } from 'vitest';
import type { TransferState } from '../../../shared/dto';
import { FerryError } from '../ferry-error';
import { canTransition, isFinal, isOver, transition, TRANSITIONS } from './transfer-state';

const STATES: TransferState[] = ['offered', 'active', 'paused', 'done', 'declined', 'expired', 'cancelled', 'failed'];

/** The machine written out by hand: what may follow each state (docs/ARCHITECTURE.md, transfers). */
const EXPECTED: Record<TransferState, TransferState[]> = {
  offered: ['active', 'cancelled', 'failed', 'expired', 'declined'],
  active: ['active', 'paused', 'done', 'cancelled', 'failed', 'expired', 'declined'],
  paused: ['paused', 'active', 'done', 'cancelled', 'failed', 'expired', 'declined'],
  failed: ['active', 'paused', 'cancelled', 'failed', 'expired', 'declined'],
  done: [],
  declined: [],
  expired: [],
  cancelled: [],
};

function refusal(from: TransferState, to: TransferState): FerryError {
  try {
    transition(from, to);
  } catch (err) {
    return err as FerryError;
  }
  throw new Error(`${from} -> ${to} was allowed`);
}

describe('transfer state table', () => {
  it('covers every state, and nothing else', () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...STATES].sort());
    for (const from of STATES) expect([...TRANSITIONS[from]].sort()).toEqual([...EXPECTED[from]].sort());
  });

  for (const from of STATES) {
    for (const to of STATES) {
      const allowed = EXPECTED[from].includes(to);
      it(`${allowed ? 'allows' : 'refuses'} ${from} -> ${to}`, () => {
        expect(canTransition(from, to)).toBe(allowed);
        if (allowed) expect(transition(from, to)).toBe(to);
        else expect(refusal(from, to).code).toBe('INVALID_ARGUMENT');
      });
    }
  }

  it('says a finished transfer is already finished', () => {
    const e = refusal('done', 'cancelled');
    expect(e).toBeInstanceOf(FerryError);
    expect(e.message).toBe('this transfer is already done');
    expect(refusal('declined', 'active').message).toBe('this transfer is already declined');
    expect(refusal('cancelled', 'cancelled').message).toBe('this transfer is already cancelled');
  });

  it('names both states when an unfinished transfer cannot move there', () => {
    expect(refusal('offered', 'paused').message).toBe('a transfer that is offered cannot become paused');
    expect(refusal('failed', 'done').message).toBe('a transfer that is failed cannot become done');
    expect(refusal('offered', 'offered').message).toBe('a transfer that is offered cannot become offered');
  });

  it('knows which states are final, and which are over (final or failed)', () => {
    expect(STATES.filter(isFinal).sort()).toEqual(['cancelled', 'declined', 'done', 'expired']);
    expect(STATES.filter(isOver).sort()).toEqual(['cancelled', 'declined', 'done', 'expired', 'failed']);
  });
});
