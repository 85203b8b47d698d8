/** How stored transfer records become the contract's DTOs. */
import { describe, expect, it } from 'vitest';
import { testFile } from '../../../test/helpers/transfer-records';
import type { TransferFile } from '../store/transfer-repo';
import { errorDto, fileDto } from './transfer-records';

const file = (over: Partial<TransferFile> = {}) =>
  testFile(0, { path: 'a.txt', size: 10, bytesDone: 4, state: 'failed', ...over });

describe('transfer records as DTOs', () => {
  it('keeps a known error code and shows an unknown one (another version, a damaged row) as INTERNAL', () => {
    expect(errorDto(null)).toBeNull();
    expect(errorDto({ code: 'DISK_FULL', message: 'the disk is full' })).toEqual({
      code: 'DISK_FULL',
      message: 'the disk is full',
    });
    expect(errorDto({ code: 'FROM_THE_FUTURE', message: 'odd' })).toEqual({ code: 'INTERNAL', message: 'odd' });
    expect(errorDto({ code: 'toString', message: 'odd' })).toEqual({ code: 'INTERNAL', message: 'odd' });
  });

  it("gives a file's error the same treatment, and a done file its full size", () => {
    expect(fileDto(file({ error: { code: 'SOMETHING_NEW', message: 'x' } })).error).toEqual({
      code: 'INTERNAL',
      message: 'x',
    });
    expect(fileDto(file({ error: { code: 'HASH_MISMATCH', message: 'damaged' } }))).toEqual({
      path: 'a.txt',
      size: 10,
      isDirectory: false,
      bytesDone: 4,
      state: 'failed',
      savedPath: null,
      error: { code: 'HASH_MISMATCH', message: 'damaged' },
    });
    expect(fileDto(file({ state: 'done', bytesDone: 3, saved: '/dl/a.txt' }))).toMatchObject({
      bytesDone: 10,
      savedPath: '/dl/a.txt',
    });
  });
});
