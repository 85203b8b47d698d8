import { describe, expect, it } from 'vitest';
import { PROGRESS_INTERVAL_MS, ProgressMeter } from './progress-meter';

const T = 1_000_000;

describe('ProgressMeter', () => {
  it('allows at most one event per 100 ms', () => {
    expect(PROGRESS_INTERVAL_MS).toBe(100);
    const meter = new ProgressMeter();
    expect(meter.sample(0, T)).toBe(true);
    expect(meter.sample(10, T + 1)).toBe(false);
    expect(meter.sample(20, T + 99)).toBe(false);
    expect(meter.sample(30, T + 100)).toBe(true);
    expect(meter.sample(40, T + 150)).toBe(false);
    expect(meter.sample(50, T + 200)).toBe(true);
    // 1 000 samples over one second: 10 events.
    const second = new ProgressMeter();
    let events = 0;
    for (let ms = 0; ms < 1000; ms++) if (second.sample(ms * 100, T + ms)) events++;
    expect(events).toBe(10);
  });

  it('reports no speed and no ETA before it has two samples 100 ms apart', () => {
    const meter = new ProgressMeter();
    expect(meter.speed).toBe(0);
    expect(meter.eta(100)).toBeNull();
    meter.sample(0, T);
    meter.sample(500, T + 99);
    expect(meter.speed).toBe(0);
    expect(meter.eta(100)).toBeNull();
  });

  it('measures speed from the first interval, then smooths 70/30', () => {
    const meter = new ProgressMeter();
    meter.sample(0, T);
    meter.sample(1000, T + 100);
    expect(meter.speed).toBe(10_000);
    meter.sample(1500, T + 150); // too soon to measure
    expect(meter.speed).toBe(10_000);
    meter.sample(3000, T + 200);
    expect(meter.speed).toBe(13_000); // 10 000 × 0.7 + 20 000 × 0.3
    expect(meter.eta(26_000)).toBe(2);
    expect(meter.eta(26_001)).toBe(3);
    expect(meter.eta(0)).toBe(0);
  });

  it('rounds the speed and never reports it below zero', () => {
    const meter = new ProgressMeter();
    meter.sample(0, T);
    meter.sample(1, T + 300);
    expect(meter.speed).toBe(3);
    const backwards = new ProgressMeter();
    backwards.sample(1000, T);
    backwards.sample(0, T + 100);
    expect(backwards.speed).toBe(0);
  });

  it('starts measuring again after a reset', () => {
    const meter = new ProgressMeter();
    meter.sample(0, T);
    meter.sample(1000, T + 100);
    meter.reset();
    expect(meter.speed).toBe(0);
    expect(meter.eta(10)).toBeNull();
    meter.sample(50_000, T + 5000);
    meter.sample(51_000, T + 5100);
    expect(meter.speed).toBe(10_000);
  });
});
