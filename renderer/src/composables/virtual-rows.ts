/**
 * Windowing for a list of rows of varying height: only rows near the viewport
 * are rendered; the rest are represented by their (estimated or measured)
 * heights. Heights are measured as rows render, and rows measured above the
 * viewport shift the scroll position so what the user looks at stays put.
 */
import { computed, ref, shallowRef, type Ref } from 'vue';

export interface VirtualRow {
  key: string;
  /** Height to assume before the row has been measured. */
  estimate: number;
}

/** Index of the last offset ≤ y (offsets ascending, offsets[0] = 0). */
export function findIndex(offsets: readonly number[], y: number): number {
  let lo = 0;
  let hi = offsets.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (offsets[mid]! <= y) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export function useVirtualRows<R extends VirtualRow>(rows: Ref<R[]>, options: { overscanPx?: number } = {}) {
  const overscan = options.overscanPx ?? 600;
  const measured = shallowRef(new Map<string, number>());
  const scrollTop = ref(0);
  const viewport = ref(0);

  const heightOf = (r: R) => measured.value.get(r.key) ?? r.estimate;

  const offsets = computed(() => {
    const list = rows.value;
    const out = new Array<number>(list.length + 1);
    out[0] = 0;
    for (let i = 0; i < list.length; i++) out[i + 1] = out[i]! + heightOf(list[i]!);
    return out;
  });
  const totalHeight = computed(() => offsets.value[rows.value.length] ?? 0);

  const range = computed(() => {
    const n = rows.value.length;
    if (!n) return { start: 0, end: 0 };
    const start = Math.max(0, Math.min(n - 1, findIndex(offsets.value, Math.max(0, scrollTop.value - overscan))));
    const end = Math.min(n, findIndex(offsets.value, scrollTop.value + viewport.value + overscan) + 1);
    return { start, end: Math.max(end, start + 1) };
  });

  const visible = computed(() =>
    rows.value.slice(range.value.start, range.value.end).map((row, i) => ({
      row,
      index: range.value.start + i,
      top: offsets.value[range.value.start + i]!,
    })),
  );

  function offsetOf(key: string): number | null {
    const i = rows.value.findIndex((r) => r.key === key);
    return i < 0 ? null : offsets.value[i]!;
  }

  /**
   * Records measured heights; returns how far content above `scrollTop` moved,
   * which the caller adds to its scroll position to keep the view anchored.
   */
  function record(sizes: { key: string; height: number }[]): number {
    const next = new Map(measured.value);
    let shiftAbove = 0;
    const index = new Map(rows.value.map((r, i) => [r.key, i]));
    for (const { key, height } of sizes) {
      const i = index.get(key);
      if (i === undefined) continue;
      const old = next.get(key) ?? rows.value[i]!.estimate;
      if (Math.abs(old - height) < 0.5) continue;
      next.set(key, height);
      if (offsets.value[i]! + old <= scrollTop.value) shiftAbove += height - old;
    }
    measured.value = next;
    return shiftAbove;
  }

  return { scrollTop, viewport, offsets, totalHeight, range, visible, offsetOf, record };
}
