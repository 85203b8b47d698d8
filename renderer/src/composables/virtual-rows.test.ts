import { describe, expect, it } from 'vitest';
import { ref } from 'vue';
import { findIndex, useVirtualRows } from './virtual-rows';

const rows = (n: number, estimate = 50) => ref(Array.from({ length: n }, (_, i) => ({ key: `r${i}`, estimate })));

describe('virtual rows', () => {
  it('findIndex finds the row containing a y offset', () => {
    const offsets = [0, 10, 30, 60];
    expect(findIndex(offsets, 0)).toBe(0);
    expect(findIndex(offsets, 9)).toBe(0);
    expect(findIndex(offsets, 10)).toBe(1);
    expect(findIndex(offsets, 59)).toBe(2);
    expect(findIndex(offsets, 1000)).toBe(3);
  });

  it('renders only the rows near the viewport, however long the list', () => {
    const list = rows(100_000);
    const v = useVirtualRows(list, { overscanPx: 200 });
    v.viewport.value = 600;
    v.scrollTop.value = 50 * 50_000;
    expect(v.visible.value.length).toBeLessThan(30);
    expect(v.visible.value[0]!.index).toBeGreaterThan(49_990);
    expect(v.totalHeight.value).toBe(5_000_000);
  });

  it('measured heights replace estimates and report how much content above the viewport moved', () => {
    const v = useVirtualRows(rows(100), { overscanPx: 0 });
    v.viewport.value = 200;
    v.scrollTop.value = 1000; // row 20 is at the top
    const shift = v.record([
      { key: 'r0', height: 80 }, // above: +30
      { key: 'r5', height: 20 }, // above: -30
      { key: 'r10', height: 100 }, // above: +50
      { key: 'r30', height: 500 }, // below: no shift
      { key: 'gone', height: 10 }, // unknown rows are ignored
    ]);
    expect(shift).toBe(50);
    expect(v.offsetOf('r11')).toBe(11 * 50 + 50);
    expect(v.totalHeight.value).toBe(100 * 50 + 30 - 30 + 50 + 450);
    expect(v.offsetOf('nope')).toBeNull();
  });
});
