import { describe, expect, it } from 'vitest';
import { FerryError } from '../core/ferry-error';
import { plainError, sentence } from './plain-error';

describe('sentence', () => {
  it('starts with a capital and ends with a full stop', () => {
    expect(sentence('nothing is listening at 127.0.0.1:9')).toBe('Nothing is listening at 127.0.0.1:9.');
  });

  it('keeps a sentence that already ends in . ? ! or …, and only looks at the end', () => {
    expect(sentence('is it on?')).toBe('Is it on?');
    expect(sentence('stop!')).toBe('Stop!');
    expect(sentence('done.')).toBe('Done.');
    expect(sentence('waiting…')).toBe('Waiting…');
    expect(sentence('version 1.2 is old')).toBe('Version 1.2 is old.');
    expect(sentence('? marks the spot')).toBe('? marks the spot.');
  });

  it('trims the message and keeps the rest of it as written', () => {
    expect(sentence('  disk FULL  ')).toBe('Disk FULL.');
    expect(sentence('x')).toBe('X.');
  });

  it('removes terminal control characters and never prints an empty sentence', () => {
    expect(sentence('\u001b[2Joops')).toBe('[2Joops.');
    expect(sentence('')).toBe('Something went wrong.');
    expect(sentence('\u001b\u0007')).toBe('Something went wrong.');
  });
});

describe('plainError', () => {
  it('keeps a FerryError code and turns its message into a sentence', () => {
    const e = plainError(new FerryError('PEER_UNREACHABLE', 'no answer from 10.0.0.1:47820 within 5 s'));
    expect(e.code).toBe('PEER_UNREACHABLE');
    expect(e.text).toBe('No answer from 10.0.0.1:47820 within 5 s.');
    expect(e.toJson()).toEqual({ code: 'PEER_UNREACHABLE', message: 'No answer from 10.0.0.1:47820 within 5 s.' });
  });

  it('an error without a string code is INTERNAL', () => {
    expect(plainError(new Error('boom')).code).toBe('INTERNAL');
    expect(plainError(Object.assign(new Error('boom'), { code: 42 })).code).toBe('INTERNAL');
  });

  it('a thrown non-error is described by its string form', () => {
    expect(plainError('bad thing')).toMatchObject({ code: 'INTERNAL', text: 'Bad thing.' });
    expect(plainError(undefined)).toMatchObject({ code: 'INTERNAL', text: 'Undefined.' });
    expect(plainError({ message: 7 }).text).toBe('[object Object].');
  });
});
