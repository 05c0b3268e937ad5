/** The PACS browser's query keys (DICOM dates and ranges), its text (names, dates) and which failures a retry resumes. */
import { describe, expect, it } from 'vitest';
import { EMPTY_QUERY, failureKind, findQueryOf, showDicomDate, showMulti, showPersonName } from './pacsText.js';

describe('the PACS browser query and text', () => {
  it('leaves empty fields out and writes DICOM date ranges (PS3.4 C.2.2.2.5)', () => {
    expect(findQueryOf(EMPTY_QUERY)).toEqual({});
    expect(findQueryOf({ ...EMPTY_QUERY, patientName: ' DOE^J* ', modality: 'ct', dateFrom: '2024-01-02', dateTo: '2024-03-04' })).toEqual({
      patientName: 'DOE^J*',
      modality: 'CT',
      studyDate: '20240102-20240304',
    });
    expect(findQueryOf({ ...EMPTY_QUERY, dateFrom: '2024-01-02' }).studyDate).toBe('20240102-');
    expect(findQueryOf({ ...EMPTY_QUERY, dateTo: '2024-01-02' }).studyDate).toBe('-20240102');
    expect(findQueryOf({ ...EMPTY_QUERY, dateFrom: '2024-01-02', dateTo: '2024-01-02' }).studyDate).toBe('20240102');
    expect(() => findQueryOf({ ...EMPTY_QUERY, dateFrom: '2026-12-31', dateTo: '2020-01-01' })).toThrow(
      'Study date from 2026-12-31 is after to 2020-01-01: no study can match',
    );
  });
  it('shows names, dates and multi-values as people read them', () => {
    expect(showPersonName('PACSE2E^ANNA')).toBe('PACSE2E, ANNA');
    expect(showPersonName('Doe^John^Q')).toBe('Doe, John Q');
    expect(showPersonName('')).toBe('—');
    expect(showDicomDate('20221208')).toBe('2022-12-08');
    expect(showDicomDate('')).toBe('—');
    expect(showMulti('CT\\SEG')).toBe('CT, SEG');
  });
  it('offers a resuming retry for PACS faults and a confirmation for an identity mismatch', () => {
    expect(['PACS_UNAVAILABLE', 'PACS_TIMEOUT', 'PACS_INCOMPLETE', 'PACS_REJECTED'].map(failureKind)).toEqual(Array(4).fill('resumable'));
    expect(failureKind('IDENTITY_MISMATCH')).toBe('identity');
    expect(failureKind('COMPUTE_FAILED')).toBe('other');
  });
});
