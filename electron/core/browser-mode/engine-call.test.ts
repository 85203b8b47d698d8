/** A contract request from an untrusted page, against a real engine on 127.0.0.1. */
import { describe, expect, it } from 'vitest';
import { startNode } from '../../../test/helpers/nodes';
import { FerryError } from '../ferry-error';
import { callEngine, toErrorDto } from './engine-call';

describe('engine call', () => {
  it('runs a known request with validated arguments; no arguments means an empty list', async () => {
    const { node } = await startNode('Alice');
    expect(await callEngine(node, 'getSelf', [])).toMatchObject({
      ok: true,
      result: { id: node.identity.id, name: 'Alice' },
    });
    expect(await callEngine(node, 'getSelf', undefined)).toMatchObject({ ok: true, result: { name: 'Alice' } });
    expect(await callEngine(node, 'updateSettings', [{ displayName: 'Alice B.' }])).toMatchObject({
      ok: true,
      result: { displayName: 'Alice B.' },
    });
    // A request that returns nothing answers null (JSON has no undefined).
    expect(await callEngine(node, 'markRead', [`direct:${'a'.repeat(64)}`])).toEqual({ ok: true, result: null });
  });

  it('refuses unknown names, non-strings and inherited properties as INVALID_ARGUMENT', async () => {
    const { node } = await startNode('Alice');
    expect(await callEngine(node, 'stop', [])).toEqual({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: 'unknown request "stop"' },
    });
    expect(await callEngine(node, 42, [])).toEqual({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: 'unknown request "42"' },
    });
    for (const name of ['constructor', 'toString', '__proto__', undefined, ['getSelf']])
      expect(await callEngine(node, name, []), String(name)).toMatchObject({
        ok: false,
        error: { code: 'INVALID_ARGUMENT' },
      });
    // The engine still answers.
    expect(await callEngine(node, 'getSelf', [])).toMatchObject({ ok: true });
  });

  it('names each bad argument by its position; an engine error keeps its code', async () => {
    const { node } = await startNode('Alice');
    expect(await callEngine(node, 'sendMessage', ['not-a-device-id', 'hi'])).toEqual({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: '0: a conversation id is "direct:" and a device id' },
    });
    const two = await callEngine(node, 'sendMessage', ['bad', 'hi', 5]);
    expect(two).toEqual({
      ok: false,
      error: {
        code: 'INVALID_ARGUMENT',
        message: '0: a conversation id is "direct:" and a device id; 2: Invalid input: expected object, received number',
      },
    });
    expect(await callEngine(node, 'updateSettings', [{ displayName: 5 }])).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^0\.displayName: /) },
    });
    expect(await callEngine(node, 'getSelf', 'x')).toEqual({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: 'arguments: Invalid input: expected tuple, received string' },
    });
    expect(await callEngine(node, 'forgetPeer', ['a'.repeat(64)])).toEqual({
      ok: false,
      error: { code: 'PEER_UNKNOWN', message: 'no such peer; add it by address first' },
    });
  });

  it('turns anything thrown into {code, message}', () => {
    expect(toErrorDto(new FerryError('DISK_FULL', 'the disk is full'))).toEqual({
      code: 'DISK_FULL',
      message: 'the disk is full',
    });
    expect(toErrorDto(new Error('boom'))).toEqual({ code: 'INTERNAL', message: 'boom' });
    expect(toErrorDto('plain')).toEqual({ code: 'INTERNAL', message: 'plain' });
    expect(toErrorDto(null)).toEqual({ code: 'INTERNAL', message: 'null' });
    // Only an array of issues is a validation error.
    expect(toErrorDto(Object.assign(new Error('odd'), { issues: 'none' }))).toEqual({
      code: 'INTERNAL',
      message: 'odd',
    });
    expect(toErrorDto({ issues: [{ path: [], message: 'm' }] })).toEqual({
      code: 'INVALID_ARGUMENT',
      message: 'arguments: m',
    });
  });
});
