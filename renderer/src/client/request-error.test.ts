import { describe, expect, it } from 'vitest';
import { RequestError, toUiError } from './request-error';

describe('toUiError', () => {
  it('keeps a code carried as a property (WebSocket bridge) or as a message prefix (contextBridge)', () => {
    expect(toUiError(new RequestError('PEER_OFFLINE', 'offline'))).toEqual({
      code: 'PEER_OFFLINE',
      message: 'offline',
    });
    expect(toUiError(new Error('PEER_UNREACHABLE: could not connect'))).toEqual({
      code: 'PEER_UNREACHABLE',
      message: 'could not connect',
    });
    expect(toUiError(new Error('Error: DISK_FULL: no space'))).toEqual({ code: 'DISK_FULL', message: 'no space' });
  });

  it('anything else is INTERNAL with its message', () => {
    expect(toUiError(new Error('boom'))).toEqual({ code: 'INTERNAL', message: 'boom' });
    expect(toUiError('Not a CODE: here')).toEqual({ code: 'INTERNAL', message: 'Not a CODE: here' });
    expect(toUiError(undefined)).toEqual({ code: 'INTERNAL', message: 'undefined' });
  });
});
