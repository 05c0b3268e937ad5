/**
 * Latest-wins delivery: frames keep only the latest behind the one in flight; signal blocks (sEMG, IMU) queue up to
 * 2 s, so a burst of blocks released at once by a stalled event loop reaches the client whole.
 */
import { describe, expect, it } from 'vitest';
import { backlogFor, LatestWins, SIGNAL_BACKLOG } from './latestWins.js';

/** A connection whose sends complete only when `flush` is called. */
function slowConnection(): { out: LatestWins; sent: number[]; flush: () => void } {
  const sent: number[] = [];
  const pending: (() => void)[] = [];
  const out = new LatestWins((msg, done) => {
    sent.push(msg[0]!);
    pending.push(done);
  });
  const flush = (): void => {
    while (pending.length) pending.shift()!();
  };
  return { out, sent, flush };
}

describe('LatestWins', () => {
  it('keeps only the latest image behind the one in flight, counting the replaced ones', () => {
    const { out, sent, flush } = slowConnection();
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) out.offer('us\u0000image', (d) => (seen.push(d), Uint8Array.of(i)), backlogFor('image'));
    flush();
    flush();
    expect(sent).toEqual([0, 4]);
    expect(out.dropped).toBe(3);
    expect(seen).toEqual([0, 0, 1, 2, 3]);
  });

  it('delivers a burst of sEMG blocks whole and in order', () => {
    const { out, sent, flush } = slowConnection();
    for (let i = 0; i < 12; i++) out.offer('picox\u0000emg', () => Uint8Array.of(i), backlogFor('emg'));
    for (let k = 0; k < 12; k++) flush();
    expect(sent).toEqual([...Array(12).keys()]);
    expect(out.dropped).toBe(0);
  });

  it('drops the oldest waiting sEMG blocks only beyond 2 s of backlog', () => {
    const { out, sent, flush } = slowConnection();
    const n = SIGNAL_BACKLOG + 4;
    for (let i = 0; i < n; i++) out.offer('picox\u0000emg', () => Uint8Array.of(i), backlogFor('emg'));
    for (let k = 0; k < n; k++) flush();
    // the one in flight, then the newest SIGNAL_BACKLOG
    expect(sent).toEqual([0, ...Array.from({ length: SIGNAL_BACKLOG }, (_, j) => n - SIGNAL_BACKLOG + j)]);
    expect(out.dropped).toBe(3);
  });
});
