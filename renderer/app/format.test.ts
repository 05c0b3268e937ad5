import { describe, expect, it } from 'vitest';
import { formatDate, formatDateTime, formatTime } from './format.js';

describe('UI date format', () => {
  it('says one moment the same way from an ISO string, epoch ms and a Date', () => {
    const iso = '2026-12-03T14:05:09.000Z';
    const ms = Date.parse(iso);
    expect(formatDateTime(iso)).toBe(formatDateTime(ms));
    expect(formatDateTime(new Date(ms))).toBe(formatDateTime(iso));
    expect(formatDateTime(iso)).toMatch(/2026/);
    expect(formatTime(iso)).toMatch(/^\d{2}:\d{2}:\d{2}$/);
  });
  it('reads a bare birth date as that calendar day in every time zone', () => {
    expect(formatDate('1961-02-01')).toMatch(/1961/);
    expect(formatDate('1961-02-01')).toMatch(/\b1\b|01/);
  });
  it('says "—" for what is absent or invalid rather than "Invalid Date"', () => {
    expect(formatDateTime(null)).toBe('—');
    expect(formatDate('not a date')).toBe('—');
    expect(formatTime(undefined)).toBe('—');
  });
});
