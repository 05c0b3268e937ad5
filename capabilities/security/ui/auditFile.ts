/**
 * The audit log export's file (issue 20 §7: exports carry their date and the
 * software): JSON as `{ software, exportedAt, records }`; FHIR R4 as a
 * collection Bundle whose `timestamp` is the moment of the export and whose
 * `meta.source` names the software. The log spans all patients: it names no
 * patient or study of its own (the records say what they concern, without
 * identifiers).
 */

/** The file name and the body of an audit export made at `now` by `software` ("OrthoTwin 0.1.0"). */
export function auditExportFile(
  format: 'json' | 'fhir',
  records: readonly unknown[],
  software: string,
  now: Date = new Date(),
): { name: string; body: string } {
  const exportedAt = now.toISOString();
  const body =
    format === 'fhir'
      ? { resourceType: 'Bundle', type: 'collection', timestamp: exportedAt, meta: { source: software }, entry: records.map((resource) => ({ resource })) }
      : { software, exportedAt, records };
  return { name: `orthotwin-audit-${exportedAt.slice(0, 10)}.${format === 'fhir' ? 'fhir.json' : 'json'}`, body: JSON.stringify(body, null, 2) };
}
