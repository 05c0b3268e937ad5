/**
 * Administration beside the accounts: verify the audit log's hash chain
 * (altered, deleted, reordered or truncated records are listed), export it as
 * JSON or FHIR R4 AuditEvent, and re-encrypt the twin store under a new key.
 * The services allow these to administrators only.
 */
import { useState } from 'react';
import type { AuditVerification } from '../contract.js';
import type { Client } from '../../../renderer/ipc/client.js';
import { download } from '../../../renderer/app/download.js';
import { auditExportFile } from './auditFile.js';

/** Audit log verification and export, and the store key rotation (administrators). */
export function AdminPanel({
  client,
  storeEncrypted,
  version,
  onError,
}: {
  client: Client;
  storeEncrypted: boolean;
  /** The application's version, named in the export ("OrthoTwin <version>"). */
  version: string;
  onError(e: unknown): void;
}) {
  const [verification, setVerification] = useState<AuditVerification | null>(null);
  const [rotated, setRotated] = useState<string | null>(null);

  const verify = (): void => {
    client.call('audit', 'verify').then(setVerification, onError);
  };
  const exportAudit = async (format: 'json' | 'fhir'): Promise<void> => {
    try {
      const records = await client.call('audit', 'export', format);
      const file = auditExportFile(format, records, `OrthoTwin ${version}`);
      download(file.name, 'application/json', file.body);
    } catch (e) {
      onError(e);
    }
  };
  const rotate = async (): Promise<void> => {
    try {
      const r = await client.call('system', 'rotateStoreKey');
      setRotated(`re-encrypted; the new key is in ${r.keyStore}`);
    } catch (e) {
      onError(e);
    }
  };

  return (
    <section className="panel" aria-label="administration">
      <h2>Audit log and encryption</h2>
      <div className="row">
        <button onClick={verify}>Verify the audit log</button>
        <button onClick={() => void exportAudit('json')}>Export (JSON)</button>
        <button onClick={() => void exportAudit('fhir')}>Export (FHIR AuditEvent)</button>
        {verification && (
          <span data-testid="audit-verification" className={verification.ok ? 'badge ok' : 'badge bad'}>
            {verification.ok
              ? `intact: ${verification.records} records, chain and anchor verified`
              : `${verification.problems.length} problem(s) in ${verification.records} records`}
          </span>
        )}
      </div>
      {verification && !verification.ok && (
        <ul>
          {verification.problems.map((p) => (
            <li key={`${p.id}-${p.kind}`}>{p.message}</li>
          ))}
        </ul>
      )}
      <div className="row">
        <span>
          {storeEncrypted ? 'The twin store is encrypted at rest.' : 'The twin store is not encrypted (no key store: see the README, "Encryption at rest").'}
        </span>
        <button disabled={!storeEncrypted} onClick={() => void rotate()}>
          Rotate the store key
        </button>
        {rotated && <span className="badge ok">{rotated}</span>}
      </div>
    </section>
  );
}
