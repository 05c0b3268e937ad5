import { useEffect, useState, type FormEvent } from 'react';
import { MRN_MAX, NAME_MAX, NewPatient, type Patient } from '../contract.js';
import type { Client } from '../../../renderer/ipc/client.js';
import { formatDate } from '../../../renderer/app/format.js';
import { TrashButton } from '../../records/ui/TrashButton.js';

type Sex = '' | 'F' | 'M' | 'O';

/** The fields of a patient as a form edits them (create and edit alike). */
function PatientFields(props: {
  prefix: string;
  value: { displayName: string; mrn: string; birthDate: string; sex: Sex };
  onChange(v: { displayName: string; mrn: string; birthDate: string; sex: Sex }): void;
}) {
  const { value: v, onChange, prefix } = props;
  // each field has a visible label (the placeholder goes once typed); the birth date is also said in the UI's own
  // date format, as the browser's date field follows the system locale (03/02/1961 could be read either way)
  return (
    <>
      <label className="field">
        <span>Name</span>
        <input
          type="text"
          placeholder="Family name, given name"
          aria-label={`${prefix}atient name`}
          value={v.displayName}
          onChange={(e) => onChange({ ...v, displayName: e.target.value })}
          maxLength={NAME_MAX}
          required
        />
      </label>
      <label className="field">
        <span>Patient ID</span>
        <input
          type="text"
          placeholder="MRN (optional)"
          aria-label={`${prefix}atient ID`}
          value={v.mrn}
          onChange={(e) => onChange({ ...v, mrn: e.target.value })}
          maxLength={MRN_MAX}
        />
      </label>
      <div className="row" style={{ gap: 6, alignItems: 'flex-end' }}>
        <label className="field" style={{ flex: 1 }}>
          <span>
            Birth date{' '}
            {v.birthDate && (
              <small className="muted" data-testid={`${prefix === 'P' ? 'new' : 'edit'}-birth-date-text`}>
                {formatDate(v.birthDate)}
              </small>
            )}
          </span>
          <input
            type="date"
            aria-label={prefix === 'P' ? 'Birth date' : 'Edit birth date'}
            value={v.birthDate}
            min="1880-01-01"
            max={new Date().toISOString().slice(0, 10)}
            onChange={(e) => onChange({ ...v, birthDate: e.target.value })}
          />
        </label>
        <label className="field">
          <span>Sex</span>
          <select aria-label={prefix === 'P' ? 'Sex' : 'Edit sex'} value={v.sex} onChange={(e) => onChange({ ...v, sex: e.target.value as Sex })}>
            <option value="">not stated</option>
            <option value="F">F (female)</option>
            <option value="M">M (male)</option>
            <option value="O">O (other)</option>
          </select>
        </label>
      </div>
    </>
  );
}

/** A patient in one line: name · ID · born 3 Feb 1961 · 2 studies. */
function patientLine(p: Patient): string {
  return [
    p.displayName,
    p.mrn ? `ID ${p.mrn}` : 'no ID',
    p.birthDate && `born ${formatDate(p.birthDate)}`,
    `${p.studyCount} ${p.studyCount === 1 ? 'study' : 'studies'}`,
  ]
    .filter(Boolean)
    .join(' · ');
}

/** The first problem of a patient's fields as entered, as a sentence ("The name is too long: 300 characters, at most 200."), or null. */
function fieldsProblem(v: { displayName: string; mrn: string; birthDate: string; sex: Sex }): string | null {
  const r = NewPatient.safeParse(v);
  if (r.success) return null;
  const m = r.error.issues[0]?.message ?? 'the patient fields are not valid';
  return `${m.charAt(0).toUpperCase()}${m.slice(1)}${/[.!?]$/.test(m) ? '' : '.'}`;
}

/** What stopped a create: a field, the ID in use (refused), or possible duplicates (a second record only when confirmed). */
type CreateProblem = { kind: 'field'; text: string } | { kind: 'id'; mrn: string; patient: Patient } | { kind: 'namesake'; patients: Patient[] };

/**
 * Search, create (where the session may) and open patients; a new patient has a name, an ID, a birth date and a
 * sex. The open patient can be edited or moved to the trash where the session may (records.edit, records.trash).
 */
export function PatientsPanel(props: {
  client: Client;
  /** The session may create patients (patients.create): else the form is not shown. */
  canCreate: boolean;
  /** Whether the session may call a method (`service.method`): the edit and trash controls are behind records.edit and records.trash. */
  can?(method: string): boolean;
  selected: Patient | null;
  onOpen(p: Patient): void;
  /** The open patient was edited (its record as it now is). */
  onEdited?(p: Patient): void;
  /** A patient was moved to the trash. */
  onTrashed?(id: string): void;
  onError(e: unknown): void;
  version: number;
}) {
  const { client, onError } = props;
  const [query, setQuery] = useState('');
  const [patients, setPatients] = useState<Patient[]>([]);
  const [name, setName] = useState('');
  const [mrn, setMrn] = useState('');
  const [birthDate, setBirthDate] = useState('');
  const [sex, setSex] = useState<Sex>('');
  const [editing, setEditing] = useState<{ id: string; displayName: string; mrn: string; birthDate: string; sex: Sex } | null>(null);
  const [problem, setProblem] = useState<CreateProblem | null>(null);
  const [editProblem, setEditProblem] = useState<string | null>(null);
  const can = props.can ?? (() => false);

  useEffect(() => {
    const t = setTimeout(() => client.call('patients', 'list', query).then(setPatients, onError), 150);
    return () => clearTimeout(t);
  }, [client, query, onError, props.version]);

  // a create checks the fields, then asks for duplicates: an ID in use is refused (open that patient instead), a namesake born
  // the same day is shown with "Open" and "Create a new patient anyway" (confirmDuplicate, audited)
  const create = async (e: FormEvent | null, confirmDuplicate = false) => {
    e?.preventDefault();
    const fields = { displayName: name, mrn, birthDate, sex };
    const bad = fieldsProblem(fields);
    if (bad) return setProblem({ kind: 'field', text: bad });
    try {
      if (!confirmDuplicate) {
        const d = await client.call('patients', 'duplicates', { displayName: name, mrn, birthDate });
        if (d.sameId) return setProblem({ kind: 'id', mrn: mrn.trim(), patient: d.sameId });
        if (d.sameNameAndBirthDate.length) return setProblem({ kind: 'namesake', patients: d.sameNameAndBirthDate });
      }
      const p = await client.call('patients', 'create', { ...fields, ...(confirmDuplicate ? { confirmDuplicate: true } : {}) });
      setProblem(null);
      setName('');
      setMrn('');
      setBirthDate('');
      setSex('');
      setPatients(await client.call('patients', 'list', query));
      props.onOpen(p);
    } catch (err) {
      onError(err);
    }
  };

  const saveEdit = async (e: FormEvent) => {
    e.preventDefault();
    if (!editing) return;
    const bad = fieldsProblem(editing);
    if (bad) return setEditProblem(bad);
    try {
      await client.call('records', 'edit', { kind: 'patient', ...editing });
      const p = await client.call('patients', 'get', editing.id);
      setEditing(null);
      setEditProblem(null);
      setPatients(await client.call('patients', 'list', query));
      props.onEdited?.(p);
    } catch (err) {
      // an ID another patient holds: said in the form, which stays open
      if ((err as { code?: string }).code === 'CONFLICT') setEditProblem((err as Error).message);
      else onError(err);
    }
  };
  const openOther = (p: Patient) => {
    setProblem(null);
    props.onOpen(p);
  };
  const trashed = async (id: string) => {
    setEditing(null);
    props.onTrashed?.(id);
    setPatients(await client.call('patients', 'list', query).catch(() => patients));
  };
  const selected = props.selected;

  return (
    <>
      {props.canCreate && (
        <>
          <h2>New patient</h2>
          <form onSubmit={create} style={{ display: 'grid', gap: 6 }} aria-label="new patient">
            <PatientFields
              prefix="P"
              value={{ displayName: name, mrn, birthDate, sex }}
              onChange={(v) => (setName(v.displayName), setMrn(v.mrn), setBirthDate(v.birthDate), setSex(v.sex), setProblem(null))}
            />
            <button className="primary" type="submit" disabled={!name.trim()}>
              Create patient
            </button>
            {problem?.kind === 'field' && (
              <div className="problem" role="alert" aria-label="patient problem" style={{ color: 'var(--danger)' }}>
                {problem.text}
              </div>
            )}
            {problem?.kind === 'id' && (
              <div className="problem" role="alert" aria-label="patient problem" style={{ color: 'var(--danger)' }}>
                ID {problem.mrn} is already {problem.patient.displayName}&apos;s
                {problem.patient.birthDate ? ` (born ${formatDate(problem.patient.birthDate)})` : ''}: no second record is made with it.{' '}
                <button type="button" onClick={() => openOther(problem.patient)}>
                  Open {problem.patient.displayName}
                </button>
              </div>
            )}
            {problem?.kind === 'namesake' && (
              <div className="problem" role="alert" aria-label="possible duplicate" style={{ display: 'grid', gap: 4 }}>
                <span>
                  Possible duplicate: a patient of the same name (words in any order){' '}
                  {birthDate ? 'born the same day, or with no birth date,' : 'with any birth date (none was given to tell them apart)'} already has a record.
                </span>
                {problem.patients.map((p) => (
                  <div key={p.id} className="row" style={{ gap: 6, flexWrap: 'wrap' }}>
                    <span>{patientLine(p)}</span>
                    <button type="button" onClick={() => openOther(p)}>
                      Open {p.displayName}
                    </button>
                  </div>
                ))}
                <button type="button" onClick={() => void create(null, true)}>
                  Create a new patient anyway (recorded in the audit log)
                </button>
              </div>
            )}
          </form>
        </>
      )}
      <h2>Patients</h2>
      <input
        type="search"
        placeholder="Search name or ID"
        aria-label="Search patients"
        value={query}
        maxLength={NAME_MAX}
        onChange={(e) => setQuery(e.target.value)}
      />
      <ul className="patients" aria-label="patients">
        {patients.map((p) => (
          <li key={p.id} className={props.selected?.id === p.id ? 'active' : ''} onClick={() => props.onOpen(p)}>
            {p.displayName}
            <small>
              {[p.mrn, p.birthDate && `born ${formatDate(p.birthDate)}`, p.sex, `${p.studyCount} ${p.studyCount === 1 ? 'study' : 'studies'}`]
                .filter(Boolean)
                .join(' · ')}
            </small>
          </li>
        ))}
        {patients.length === 0 && <li style={{ color: 'var(--muted)', cursor: 'default' }}>No patients{query ? ' match' : ' yet'}.</li>}
      </ul>
      {selected && (can('records.edit') || can('records.trash')) && patients.some((p) => p.id === selected.id) && (
        <div className="row" aria-label="open patient record" role="group">
          {can('records.edit') && !editing && (
            <button
              onClick={() =>
                setEditing({ id: selected.id, displayName: selected.displayName, mrn: selected.mrn, birthDate: selected.birthDate, sex: selected.sex as Sex })
              }
            >
              Edit patient
            </button>
          )}
          {can('records.trash') && (
            <TrashButton
              client={client}
              kind="patient"
              id={selected.id}
              label={`patient ${selected.displayName}`}
              onTrashed={() => void trashed(selected.id)}
              onError={onError}
            />
          )}
        </div>
      )}
      {editing && selected?.id === editing.id && (
        <form onSubmit={saveEdit} style={{ display: 'grid', gap: 6 }} aria-label="edit patient">
          <PatientFields prefix="Edit p" value={editing} onChange={(v) => (setEditing({ ...editing, ...v }), setEditProblem(null))} />
          {editProblem && (
            <div className="problem" role="alert" aria-label="edit problem" style={{ color: 'var(--danger)' }}>
              {editProblem}
            </div>
          )}
          <div className="row">
            <button className="primary" type="submit" disabled={!editing.displayName.trim()}>
              Save patient
            </button>
            <button type="button" onClick={() => (setEditing(null), setEditProblem(null))}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </>
  );
}
