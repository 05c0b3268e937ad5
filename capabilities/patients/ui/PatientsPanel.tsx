import { useEffect, useState, type FormEvent } from 'react';
import type { Patient } from '../contract.js';
import type { Client } from '../../../renderer/ipc/client.js';

/** Search, create (where the session may) and open patients; a new patient has a name, an ID, a birth date and a sex. */
export function PatientsPanel(props: {
  client: Client;
  /** The session may create patients (patients.create): else the form is not shown. */
  canCreate: boolean;
  selected: Patient | null;
  onOpen(p: Patient): void;
  onError(e: unknown): void;
  version: number;
}) {
  const { client, onError } = props;
  const [query, setQuery] = useState('');
  const [patients, setPatients] = useState<Patient[]>([]);
  const [name, setName] = useState('');
  const [mrn, setMrn] = useState('');
  const [birthDate, setBirthDate] = useState('');
  const [sex, setSex] = useState<'' | 'F' | 'M' | 'O'>('');

  useEffect(() => {
    const t = setTimeout(() => client.call('patients', 'list', query).then(setPatients, onError), 150);
    return () => clearTimeout(t);
  }, [client, query, onError, props.version]);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const p = await client.call('patients', 'create', { displayName: name, mrn, birthDate, sex });
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

  return (
    <>
      {props.canCreate && (
        <>
          <h2>New patient</h2>
          <form onSubmit={create} style={{ display: 'grid', gap: 6 }} aria-label="new patient">
            <input type="text" placeholder="Name" aria-label="Patient name" value={name} onChange={(e) => setName(e.target.value)} required />
            <input type="text" placeholder="Patient ID (optional)" aria-label="Patient ID" value={mrn} onChange={(e) => setMrn(e.target.value)} />
            <div className="row" style={{ gap: 6 }}>
              <input type="date" aria-label="Birth date" value={birthDate} onChange={(e) => setBirthDate(e.target.value)} style={{ flex: 1 }} />
              <select aria-label="Sex" value={sex} onChange={(e) => setSex(e.target.value as typeof sex)}>
                <option value="">sex…</option>
                <option value="F">F</option>
                <option value="M">M</option>
                <option value="O">O</option>
              </select>
            </div>
            <button className="primary" type="submit" disabled={!name.trim()}>
              Create patient
            </button>
          </form>
        </>
      )}
      <h2>Patients</h2>
      <input type="search" placeholder="Search name or ID" aria-label="Search patients" value={query} onChange={(e) => setQuery(e.target.value)} />
      <ul className="patients" aria-label="patients">
        {patients.map((p) => (
          <li key={p.id} className={props.selected?.id === p.id ? 'active' : ''} onClick={() => props.onOpen(p)}>
            {p.displayName}
            <small>
              {[p.mrn, p.birthDate && `born ${p.birthDate}`, p.sex, `${p.studyCount} ${p.studyCount === 1 ? 'study' : 'studies'}`].filter(Boolean).join(' · ')}
            </small>
          </li>
        ))}
        {patients.length === 0 && <li style={{ color: 'var(--muted)', cursor: 'default' }}>No patients{query ? ' match' : ' yet'}.</li>}
      </ul>
    </>
  );
}
