/**
 * The fusion workspace's patient banner (issue 20 §2): whose images the live
 * ultrasound is fused with — name, patient ID, birth date, sex — and which
 * prior volume (modality, series, study date, size), always at the top of the
 * workspace (it stays in view while the workspace scrolls), so the sonographer
 * never fuses the wrong patient. Without an open patient it says so, and the
 * workspace offers nothing to start.
 */
import type { Patient } from '../../patients/contract.js';
import type { StudyRecord } from '../../studies/contract.js';
import { formatDate } from '../../../renderer/app/format.js';
import type { PriorVolume } from './priorVolumes.js';

const SEX: Record<string, string> = { F: 'female', M: 'male', O: 'other' };

/** A study date as the UI says it: ISO 8601 or DICOM's YYYYMMDD; null when absent. */
const studyDay = (d: string | undefined): string | null => {
  const iso = d && /^\d{8}$/.test(d) ? `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}` : d;
  const s = formatDate(iso || null);
  return s === '—' ? null : s;
};

const BAR = {
  position: 'sticky',
  top: 0,
  zIndex: 5,
  display: 'flex',
  flexWrap: 'wrap',
  gap: '4px 16px',
  alignItems: 'baseline',
  padding: '6px 10px',
  background: 'var(--panel)',
  borderBottom: '2px solid var(--accent)',
} as const;

interface Props {
  patient: Patient | null;
  /** The prior volume the fusion runs on (null: the patient has none). */
  prior: PriorVolume | null;
  studies: StudyRecord[];
  /** A recorded session is being replayed (its own volume). */
  replaying?: boolean;
}

/** "Fusing for <patient> · ID · born · sex — on <modality · series> (study date, size)". */
export function FusionPatientBanner({ patient, prior, studies, replaying }: Props) {
  if (!patient)
    return (
      <header aria-label="fusion patient" data-testid="fusion-patient-banner" style={{ ...BAR, borderBottomColor: 'var(--danger)' }}>
        <strong data-testid="fusion-patient">No patient open</strong>
        <span>Open the patient in the sidebar first: fusion cannot start without one.</span>
      </header>
    );
  const study = prior ? studies.find((s) => s.id === prior.series.studyId) : undefined;
  const day = studyDay(study?.studyDate);
  const dims = prior?.volume.dims.join('×');
  return (
    <header aria-label="fusion patient" data-testid="fusion-patient-banner" style={BAR}>
      <span data-testid="fusion-patient">
        <span className="muted">Patient </span>
        <strong>{patient.displayName}</strong>
        {' · '}
        {patient.mrn ? `ID ${patient.mrn}` : 'no patient ID'}
        {' · '}
        {patient.birthDate ? `born ${formatDate(patient.birthDate)}` : 'birth date unknown'}
        {' · '}
        {SEX[patient.sex] ?? 'sex unknown'}
      </span>
      <span data-testid="fusion-prior">
        <span className="muted">Fused with </span>
        {prior ? (
          <>
            <strong>
              {prior.series.modality} · {prior.series.description}
            </strong>
            {` (${[day && `study of ${day}`, dims && `${dims} voxels`].filter(Boolean).join(', ')})`}
            {replaying && <span className="badge sim"> recorded session</span>}
            {prior.identityCaution && (
              <span className="badge warn" data-testid="fusion-identity-caution">
                {' '}
                Caution: {prior.identityCaution} — check that this volume is this patient's
              </span>
            )}
          </>
        ) : (
          <strong>no volume: import the MR, CT or 3D ultrasound first</strong>
        )}
      </span>
    </header>
  );
}
