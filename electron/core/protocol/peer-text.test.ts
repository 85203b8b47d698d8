import { describe, expect, it } from 'vitest';
import { forPeer, withoutLocalPaths } from './peer-text';

describe('withoutLocalPaths', () => {
  it.each([
    ['/home/ann/Downloads/Ferry/a.txt', '<local path>'],
    ['no space left in /home/ann/Downloads', 'no space left in <local path>'],
    ['open ~/secret/x: denied', 'open <local path> denied'],
    ['C:\\Users\\Ann\\Downloads\\a.txt is busy', '<local path> is busy'],
    ['d:/data/ferry.db failed', '<local path> failed'],
    ['\\\\server\\share\\dir\\f failed', '<local path> failed'],
    ["could not open '/var/lib/x' (EACCES)", "could not open '<local path>' (EACCES)"],
    ['saved to "/tmp/a b.txt"', 'saved to "<local path> b.txt"'],
    ['`/etc/passwd`', '`<local path>`'],
    ['path=/srv/x,next', 'path=<local path>,next'],
    ['(/opt/a) and (/opt/b);', '(<local path>) and (<local path>);'],
    ['one /a\ttwo\n/b', 'one <local path>\ttwo\n<local path>'],
  ])('%j → %j', (input, output) => {
    expect(withoutLocalPaths(input)).toBe(output);
  });

  it.each([
    'the file is 3/4 done',
    'http://example.com/x is not a local path',
    'and/or',
    'ratio 1:2',
    'no path here',
    'ab:/y',
    '',
  ])('leaves %j alone', (text) => {
    expect(withoutLocalPaths(text)).toBe(text);
  });
});

describe('forPeer', () => {
  it('scrubs the message of a header and of each rejected entry, keeping everything else', () => {
    const header = {
      type: 'offer-answer',
      id: 'x',
      accept: true,
      message: 'saved in /home/ann',
      rejected: [
        { index: 0, code: 'NAME_REJECTED', message: 'C:\\Users\\ann\\con is reserved' },
        { index: 1, code: 'DISK_FULL' },
        null,
        { index: 2, code: 'X', message: 7 },
      ],
    };
    const copy = structuredClone(header);
    expect(forPeer(header)).toEqual({
      type: 'offer-answer',
      id: 'x',
      accept: true,
      message: 'saved in <local path>',
      rejected: [
        { index: 0, code: 'NAME_REJECTED', message: '<local path> is reserved' },
        { index: 1, code: 'DISK_FULL' },
        null,
        { index: 2, code: 'X', message: 7 },
      ],
    });
    expect(header).toEqual(copy); // the caller's header is not changed
  });

  it('returns a header without peer-readable text as it is', () => {
    const ping = { type: 'ping', ts: 1 };
    expect(forPeer(ping)).toBe(ping);
    const odd = { type: 'error', message: 5, rejected: 'none' };
    expect(forPeer(odd)).toBe(odd);
  });
});
