import { describe, expect, it } from 'vitest';
import { auditExportFile } from './auditFile.js';

describe('audit export file', () => {
  const now = new Date('2026-12-03T14:05:09.000Z');
  const records = [{ id: 1, action: 'login' }];
  it('JSON: the software, the moment (ISO 8601) and the records', () => {
    const f = auditExportFile('json', records, 'OrthoTwin 0.1.0', now);
    expect(f.name).toBe('orthotwin-audit-2026-12-03.json');
    expect(JSON.parse(f.body)).toEqual({ software: 'OrthoTwin 0.1.0', exportedAt: '2026-12-03T14:05:09.000Z', records });
  });
  it('FHIR: a collection Bundle with its timestamp and source', () => {
    const f = auditExportFile('fhir', records, 'OrthoTwin 0.1.0', now);
    expect(f.name).toBe('orthotwin-audit-2026-12-03.fhir.json');
    expect(JSON.parse(f.body)).toEqual({
      resourceType: 'Bundle',
      type: 'collection',
      timestamp: '2026-12-03T14:05:09.000Z',
      meta: { source: 'OrthoTwin 0.1.0' },
      entry: [{ resource: records[0] }],
    });
  });
});
