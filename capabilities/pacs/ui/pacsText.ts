/**
 * The PACS browser's text and query logic without React: DICOM dates and
 * date ranges from the form's ISO dates, names as people read them, and what
 * a failed retrieval's error code means for the user (which faults a retry
 * resumes).
 */
import type { FindQuery } from '../contract.js';

/** The query form's fields as typed (dates as `YYYY-MM-DD` from a date input; '' when empty). */
export interface QueryForm {
  patientName: string;
  patientId: string;
  dateFrom: string;
  dateTo: string;
  modality: string;
  studyDescription: string;
}

export const EMPTY_QUERY: QueryForm = { patientName: '', patientId: '', dateFrom: '', dateTo: '', modality: '', studyDescription: '' };

/** `YYYY-MM-DD` → `YYYYMMDD` ('' stays ''). */
export const dicomDate = (iso: string): string => iso.replace(/-/g, '');

/**
 * The study-level C-FIND / QIDO-RS keys of the form: empty fields are left out (the PACS matches any value), a
 * date range as DICOM writes it (PS3.4 C.2.2.2.5: `from-to`, either end open; one day when both are the same).
 * Throws an Error naming both dates when "from" is after "to" (no study could match: the PACS would answer an empty
 * list that reads as "no such study").
 */
export function findQueryOf(f: QueryForm): FindQuery {
  const q: FindQuery = {};
  if (f.patientName.trim()) q.patientName = f.patientName.trim();
  if (f.patientId.trim()) q.patientId = f.patientId.trim();
  if (f.modality.trim()) q.modality = f.modality.trim().toUpperCase();
  if (f.studyDescription.trim()) q.studyDescription = f.studyDescription.trim();
  const from = dicomDate(f.dateFrom),
    to = dicomDate(f.dateTo);
  if (from && to && from > to) throw new Error(`Study date from ${f.dateFrom} is after to ${f.dateTo}: no study can match; swap the dates or clear one`);
  if (from && to && from === to) q.studyDate = from;
  else if (from || to) q.studyDate = `${from}-${to}`;
  return q;
}

/** A DICOM date `YYYYMMDD` as `YYYY-MM-DD` (anything else as it came, '' as '—'). */
export function showDicomDate(d: string): string {
  if (/^\d{8}$/.test(d)) return `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)}`;
  return d || '—';
}

/** A DICOM person name (`Family^Given^Middle`) as "Family, Given Middle". */
export function showPersonName(pn: string): string {
  const [family = '', given = '', middle = ''] = pn.split('^');
  const rest = [given, middle].filter(Boolean).join(' ');
  return [family, rest].filter(Boolean).join(', ') || '—';
}

/** A multi-valued attribute (`CT\SEG`) as "CT, SEG". */
export const showMulti = (v: string): string => v.split('\\').filter(Boolean).join(', ') || '—';

/**
 * What a retrieval's failure means for the next step: the PACS faults a retry resumes (the received instances are
 * kept: only the missing ones are fetched), an identity mismatch the user may confirm, or neither.
 */
export function failureKind(code: string | undefined): 'resumable' | 'identity' | 'other' {
  if (code === 'PACS_UNAVAILABLE' || code === 'PACS_TIMEOUT' || code === 'PACS_INCOMPLETE' || code === 'PACS_REJECTED') return 'resumable';
  if (code === 'IDENTITY_MISMATCH') return 'identity';
  return 'other';
}

/** The named fault of a PACS error code, as the browser heads its message. */
export function faultName(code: string | undefined): string {
  switch (code) {
    case 'PACS_UNAVAILABLE':
      return 'PACS not reachable';
    case 'PACS_REJECTED':
      return 'Association rejected';
    case 'PACS_TIMEOUT':
      return 'PACS timed out';
    case 'PACS_INCOMPLETE':
      return 'Incomplete series';
    case 'IDENTITY_MISMATCH':
      return 'Another patient?';
    default:
      return 'Failed';
  }
}
