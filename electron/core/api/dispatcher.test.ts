/** The dispatcher every untrusted caller goes through, against a real engine on 127.0.0.1. */
import { describe, expect, it } from 'vitest';
import { requestNames, type FerryApi } from '../../../shared/api';
import { engineWithBug } from '../../../test/helpers/engine-with-bug';
import { startNode } from '../../../test/helpers/nodes';
import { FerryError } from '../ferry-error';
import { Dispatcher, INTERNAL_MESSAGE, toErrorDto, type DispatcherOptions } from './dispatcher';

function dispatcher(engine: FerryApi, options: Partial<DispatcherOptions> = {}) {
  const log: string[] = [];
  const d = new Dispatcher({ engine, host: 'test host', log: (line) => log.push(line), ...options });
  return { d, log };
}

describe('dispatcher', () => {
  it('runs a known request with validated arguments; no arguments means an empty list', async () => {
    const { node } = await startNode('Alice');
    const { d, log } = dispatcher(node);
    expect(await d.call('getSelf', [])).toMatchObject({
      ok: true,
      result: { id: node.peerId, name: 'Alice' },
    });
    expect(await d.call('getSelf', undefined)).toMatchObject({ ok: true, result: { name: 'Alice' } });
    expect(await d.call('updateSettings', [{ displayName: 'Alice B.' }])).toMatchObject({
      ok: true,
      result: { displayName: 'Alice B.' },
    });
    // A request that returns nothing answers null (JSON has no undefined).
    expect(await d.call('markRead', [`direct:ferry:${'a'.repeat(64)}`])).toEqual({ ok: true, result: null });
    expect(log).toEqual([]);
  });

  it('refuses unknown names, non-strings and inherited properties as INVALID_ARGUMENT, naming what exists', async () => {
    const { node } = await startNode('Alice');
    const { d } = dispatcher(node);
    const known = `requests: ${requestNames.join(', ')}`;
    expect(await d.call('stop', [])).toEqual({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: `unknown request "stop"; ${known}` },
    });
    expect(await d.call(42, [])).toEqual({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: `unknown request "42"; ${known}` },
    });
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', undefined, ['getSelf'], null])
      expect(await d.call(name, []), String(name)).toMatchObject({
        ok: false,
        error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^unknown request "/) },
      });
    // A huge name is not echoed back whole.
    const long = await d.call('x'.repeat(100_000), []);
    expect(long.ok || long.error.message.length).toBeLessThan(2_000);
    // The engine still answers.
    expect(await d.call('getSelf', [])).toMatchObject({ ok: true });
  });

  it('names each bad argument by its path; an engine error keeps its code', async () => {
    const { node } = await startNode('Alice');
    const { d, log } = dispatcher(node);
    expect(await d.call('sendMessage', ['not-a-device-id', 'hi'])).toEqual({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: '0: a conversation id is "direct:" and a peer id' },
    });
    expect(await d.call('sendMessage', ['bad', 'hi', 5])).toEqual({
      ok: false,
      error: {
        code: 'INVALID_ARGUMENT',
        message: '0: a conversation id is "direct:" and a peer id; 2: Invalid input: expected object, received number',
      },
    });
    expect(await d.call('updateSettings', [{ displayName: 5 }])).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^0\.displayName: /) },
    });
    expect(await d.call('getSelf', 'x')).toEqual({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: 'arguments: Invalid input: expected tuple, received string' },
    });
    expect(await d.call('forgetPeer', [`ferry:${'a'.repeat(64)}`])).toEqual({
      ok: false,
      error: { code: 'PEER_UNKNOWN', message: 'no such peer; add it by address first' },
    });
    // The caller's mistakes and the engine's refusals are not engine bugs: nothing is logged.
    expect(log).toEqual([]);
  });

  it.each([
    ['a TypeError', () => new TypeError("Cannot read properties of undefined (reading 'id') at /home/me/ferry")],
    ['a RangeError', () => new RangeError('Invalid array length')],
    ['a plain Error', () => new Error('SQLITE_MISUSE: /home/me/.config/Ferry/ferry.db')],
    ['a thrown string', () => 'oops /home/me'],
    ['a thrown object', () => ({ weird: true })],
  ])(
    'an engine bug (%s) answers INTERNAL without blaming the caller or leaking, and is logged once',
    async (_, thrown) => {
      const { node } = await startNode('Alice');
      const { d, log } = dispatcher(engineWithBug(node, 'listPeers', thrown));
      const outcome = await d.call('listPeers', [], 'caller 7');
      expect(outcome).toEqual({ ok: false, error: { code: 'INTERNAL', message: INTERNAL_MESSAGE } });
      expect(JSON.stringify(outcome)).not.toMatch(/home|SQLITE|Invalid array|reading/);
      expect(log).toHaveLength(1);
      expect(log[0]).toContain('request "listPeers" via test host (caller 7)');
      const value = thrown();
      if (value instanceof Error) expect(log[0]).toContain(value.stack!.split('\n')[1]!.trim());
      else expect(log[0]).toContain(JSON.stringify(value));
      // Other requests still work.
      expect(await d.call('getSelf', [])).toMatchObject({ ok: true });
      expect(log).toHaveLength(1);
    },
  );

  it('a failing log does not turn an engine bug into a crash', async () => {
    const { node } = await startNode('Alice');
    const { d } = dispatcher(
      engineWithBug(node, 'listPeers', () => new TypeError('x')),
      {
        log: () => {
          throw new Error('log broke');
        },
      },
    );
    expect(await d.call('listPeers', [])).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
  });

  it('answers only the host extras the host registered, with their arguments validated', async () => {
    const { node } = await startNode('Alice');
    const opened: string[] = [];
    const { d } = dispatcher(node, {
      extras: {
        pickFolder: async () => '/tmp/picked',
        openPath: async (file) => void opened.push(file),
      },
    });
    expect(d.names).toEqual([...requestNames, 'pickFolder', 'openPath']);
    expect(await d.call('pickFolder', [])).toEqual({ ok: true, result: '/tmp/picked' });
    expect(await d.call('openPath', ['/tmp/a.txt'])).toEqual({ ok: true, result: null });
    expect(opened).toEqual(['/tmp/a.txt']);
    expect(await d.call('openPath', ['relative/a.txt'])).toEqual({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: '0: must be an absolute path' },
    });
    expect(await d.call('pickFolder', ['extra'])).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    expect(opened).toEqual(['/tmp/a.txt']);
    expect(await d.call('pickFiles', [])).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^unknown request "pickFiles"/) },
    });
    // A host with no extras answers none of them.
    const bare = dispatcher(node).d;
    for (const name of ['pickFiles', 'pickFolder', 'openPath', 'showInFolder'])
      expect(await bare.call(name, []), name).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
  });

  it('maps anything thrown to {code, message}: validation, FerryError, or an engine bug', () => {
    const bugs: unknown[] = [];
    const onBug = (err: unknown) => bugs.push(err);
    expect(toErrorDto(new FerryError('DISK_FULL', 'the disk is full'), onBug)).toEqual({
      code: 'DISK_FULL',
      message: 'the disk is full',
    });
    expect(toErrorDto(new FerryError('INTERNAL', 'identity files are half there'), onBug)).toEqual({
      code: 'INTERNAL',
      message: 'identity files are half there',
    });
    expect(bugs).toEqual([]);
    const boom = new Error('boom');
    expect(toErrorDto(boom, onBug)).toEqual({ code: 'INTERNAL', message: INTERNAL_MESSAGE });
    expect(toErrorDto('plain', onBug)).toEqual({ code: 'INTERNAL', message: INTERNAL_MESSAGE });
    expect(toErrorDto(null, onBug)).toEqual({ code: 'INTERNAL', message: INTERNAL_MESSAGE });
    // Only an array of issues is a validation error.
    const odd = Object.assign(new Error('odd'), { issues: 'none' });
    expect(toErrorDto(odd, onBug)).toEqual({ code: 'INTERNAL', message: INTERNAL_MESSAGE });
    expect(bugs).toEqual([boom, 'plain', null, odd]);
    expect(toErrorDto({ issues: [{ path: [], message: 'm' }] }, onBug)).toEqual({
      code: 'INVALID_ARGUMENT',
      message: 'arguments: m',
    });
    expect(bugs).toHaveLength(4);
  });
});
