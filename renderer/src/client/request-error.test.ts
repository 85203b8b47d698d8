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

  it("keeps the renderer's own codes; a code the UI does not know becomes INTERNAL, its words kept", () => {
    expect(toUiError(new RequestError('ENGINE_GONE', 'lost'))).toEqual({ code: 'ENGINE_GONE', message: 'lost' });
    expect(toUiError(new RequestError('FROM_THE_FUTURE', 'new'))).toEqual({
      code: 'INTERNAL',
      message: 'FROM_THE_FUTURE: new',
    });
    expect(toUiError({ code: 'constructor', message: 'x' })).toEqual({ code: 'INTERNAL', message: 'constructor: x' });
    expect(toUiError(new Error('ERR_SOMETHING: odd'))).toEqual({ code: 'INTERNAL', message: 'ERR_SOMETHING: odd' });
  });

  it('anything else is INTERNAL with its message', () => {
    expect(toUiError(new Error('boom'))).toEqual({ code: 'INTERNAL', message: 'boom' });
    expect(toUiError('Not a CODE: here')).toEqual({ code: 'INTERNAL', message: 'Not a CODE: here' });
    expect(toUiError(undefined)).toEqual({ code: 'INTERNAL', message: 'undefined' });
  });
});
