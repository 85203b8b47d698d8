import { describe, expect, it } from 'vitest';
import { FerryError } from './ferry-error';

describe('FerryError', () => {
  it('carries a code, a message and a cause, and turns into a DTO', () => {
    const cause = new Error('ENOSPC');
    const err = new FerryError('DISK_FULL', 'the disk is full', { cause });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('FerryError');
    expect(err.code).toBe('DISK_FULL');
    expect(err.message).toBe('the disk is full');
    expect(err.cause).toBe(cause);
    expect(err.toDto()).toEqual({ code: 'DISK_FULL', message: 'the disk is full' });
    expect(String(err)).toBe('FerryError: the disk is full');
  });

  it('wraps anything thrown, keeping the code of a FerryError', () => {
    const known = new FerryError('PEER_BLOCKED', 'no');
    expect(FerryError.from(known)).toBe(known);
    expect(FerryError.from(known, 'DISK_FULL')).toBe(known);
    const plain = new TypeError('x is undefined');
    expect(FerryError.from(plain)).toMatchObject({ code: 'INTERNAL', message: 'x is undefined', cause: plain });
    expect(FerryError.from(plain, 'DATABASE_ERROR').code).toBe('DATABASE_ERROR');
    expect(FerryError.from('just text')).toMatchObject({ code: 'INTERNAL', message: 'just text', cause: 'just text' });
    expect(FerryError.from(undefined).message).toBe('undefined');
  });
});
