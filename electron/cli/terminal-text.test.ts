import { describe, expect, it } from 'vitest';
import { terminalSafe, terminalSafeJson, terminalSafeMultiline } from './terminal-text';

describe('terminalSafe', () => {
  it('removes an OSC title sequence and a clear-screen, leaving harmless text', () => {
    const name = '\u001b]0;pwned\u0007\u001b[2J\u001b[HBob';
    const safe = terminalSafe(name);
    // eslint-disable-next-line no-control-regex -- control characters are what this checks
    expect(safe).not.toMatch(/[\u0000-\u001f]/u);
    expect(safe).toBe(']0;pwned[2J[HBob');
  });

  it('removes C1 controls (8-bit CSI, OSC), DEL and NUL', () => {
    expect(terminalSafe('a\u009b2Jb\u009d0;x\u009cc\u007fd\u0000e')).toBe('a2Jb0;xcde');
  });

  it('removes bidi overrides, isolates and marks, and line separators', () => {
    const spoof = 'invoice\u202egpj.exe\u2066x\u2069\u200e\u200f\u061c\u2028\u2029';
    expect(terminalSafe(spoof)).toBe('invoicegpj.exex');
  });

  it('keeps ordinary text, CJK and emoji (ZWJ sequences too)', () => {
    const text = 'Bob 李 👩‍💻 café';
    expect(terminalSafe(text)).toBe(text);
  });

  it('never returns an empty name', () => {
    expect(terminalSafe('\u001b\u0007')).toBe('?');
    expect(terminalSafe('\u202e', '(none)')).toBe('(none)');
    expect(terminalSafe('   ')).toBe('?');
    expect(terminalSafe(' \u001b ')).toBe('?');
  });

  it('multi-line text keeps its lines but loses carriage returns and escapes', () => {
    expect(terminalSafeMultiline('one\r\ntwo\rthree\n\u001b[2Jfour\tfive')).toBe('one\ntwo\nthree\n[2Jfour    five');
  });
});

describe('terminalSafeJson', () => {
  it('escapes C1 and bidi characters that JSON.stringify leaves raw, and parses back to the same value', () => {
    const value = { name: 'a\u009bb\u202ec\u001bd\u0000e', n: 1 };
    const json = terminalSafeJson(value);
    // eslint-disable-next-line no-control-regex -- control characters are what this checks
    expect(json).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/u);
    expect(json).toContain('\\u009b');
    expect(JSON.parse(json)).toEqual(value);
  });
});
