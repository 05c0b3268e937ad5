import { describe, expect, it } from 'vitest';
import { DeviceClockMap, hostClockUs } from './clock.js';

describe('device clock mapping', () => {
  it('recovers offset and drift under one-sided transport delay', () => {
    const m = new DeviceClockMap(4000, 0);
    // device clock runs 80 ppm fast relative to the host, starts at 5 s; host offset 1.7e15 µs; delays 0.2–3 ms
    let seed = 7;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let i = 0; i < 4000; i++) {
      const hostTrue = 1.7e15 + i * 25_000;
      const device = 5e6 + (hostTrue - 1.7e15) * (1 + 80e-6);
      m.add(device, hostTrue + 200 + 2800 * rnd() ** 3);
    }
    const s = m.current;
    expect(s.drift).toBeCloseTo(1 / (1 + 80e-6) - 1, 6);
    // the mapped time of a device instant is within 0.3 ms of its true host time (min delay 0.2 ms)
    const device = 5e6 + 50e6 * (1 + 80e-6);
    expect(Math.abs(m.toHost(device) - (1.7e15 + 50e6))).toBeLessThan(300);
    expect(s.jitterUs).toBeGreaterThan(2000);
    m.setCalibration(-12_000);
    expect(m.toHost(device) - (1.7e15 + 50e6)).toBeLessThan(-11_500);
  });

  it('host clock is microseconds since the epoch and monotonic', () => {
    const a = hostClockUs();
    const b = hostClockUs();
    expect(b).toBeGreaterThanOrEqual(a);
    expect(Math.abs(a / 1000 - Date.now())).toBeLessThan(1000);
  });
});
