/**
 * The one date format of the UI (issue 20 §7): the user's locale, 24-hour
 * clock, the day always with the year, so every panel says "3 Dec 2026,
 * 14:05" the same way. Files and exports keep ISO 8601 (UTC); only what a
 * person reads goes through here.
 */

const DATE_TIME = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false });
const DATE = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
const TIME = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });

const asDate = (v: string | number | Date): Date | null => {
  // a bare calendar date (YYYY-MM-DD, e.g. a birth date) is a day, not UTC midnight: read it in local time
  const d = typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? new Date(`${v}T00:00:00`) : new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
};

/** A moment (ISO 8601 string, epoch ms or Date) as the UI says it: "3 Dec 2026, 14:05" in the user's locale; "—" when absent or invalid. */
export function formatDateTime(v: string | number | Date | null | undefined): string {
  const d = v == null ? null : asDate(v);
  return d ? DATE_TIME.format(d) : '—';
}

/** A calendar day (ISO 8601 date or moment) as the UI says it: "3 Dec 2026"; "—" when absent or invalid. */
export function formatDate(v: string | number | Date | null | undefined): string {
  const d = v == null ? null : asDate(v);
  return d ? DATE.format(d) : '—';
}

/** A time of day as the UI says it: "14:05:09"; "—" when absent or invalid. */
export function formatTime(v: string | number | Date | null | undefined): string {
  const d = v == null ? null : asDate(v);
  return d ? TIME.format(d) : '—';
}
