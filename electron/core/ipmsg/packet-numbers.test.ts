import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/temp-dir';
import { PacketNumbers } from './packet-numbers';

describe('PacketNumbers', () => {
  it('start at the clock in seconds and count up', () => {
    const numbers = new PacketNumbers(null, 1_700_000_000_500);
    expect([numbers.take(), numbers.take(), numbers.take()]).toEqual([1_700_000_000, 1_700_000_001, 1_700_000_002]);
  });

  it('keep increasing across a restart in the same second, and when the clock went back', async () => {
    const file = path.join(await tempDir(), 'ipmsg-packet-number');
    const first = new PacketNumbers(file, 1_700_000_000_000);
    let last = 0;
    for (let i = 0; i < 1500; i++) last = first.take(); // crosses a reserved block
    const again = new PacketNumbers(file, 1_700_000_000_000);
    expect(again.take()).toBeGreaterThan(last);
    const clockBack = new PacketNumbers(file, 1_600_000_000_000);
    expect(clockBack.take()).toBeGreaterThan(last);
  });

  it('a damaged file is ignored (the clock decides)', async () => {
    const file = path.join(await tempDir(), 'ipmsg-packet-number');
    for (const junk of ['garbage', 'x1800000000', '1800000000x']) {
      fs.writeFileSync(file, junk);
      expect(new PacketNumbers(file, 1_700_000_000_000).take()).toBe(1_700_000_000);
    }
  });

  it('a block is written down before its first number is used, and only once per block', async () => {
    const file = path.join(await tempDir(), 'ipmsg-packet-number');
    const numbers = new PacketNumbers(file, 1_700_000_000_000);
    expect(numbers.take()).toBe(1_700_000_000);
    expect(fs.readFileSync(file, 'utf8').trim()).toBe('1700001000');
    numbers.take();
    numbers.take();
    expect(fs.readFileSync(file, 'utf8').trim()).toBe('1700001000');
  });
});
