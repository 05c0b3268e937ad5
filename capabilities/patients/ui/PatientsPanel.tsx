import { useEffect, useState, type FormEvent } from 'react';
import type { Patient } from '../contract.js';
import type { Client } from '../../../renderer/ipc/client.js';

/** Search, create and open patients. */
export function PatientsPanel(props: { client: Client; selected: Patient | null; onOpen(p: Patient): void; onError(e: unknown): void; version: number }) {
  const { client, onError } = props;
  const [query, setQuery] = useState('');
  const [patients, setPatients] = useState<Patient[]>([]);
  const [name, setName] = useState('');
  const [mrn, setMrn] = useState('');

  useEffect(() => {
    const t = setTimeout(() => client.call('patients', 'list', query).then(setPatients, onError), 150);
    return () => clearTimeout(t);
  }, [client, query, onError, props.version]);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const p = await client.call('patients', 'create', { displayName: name, mrn });
      setName('');
      setMrn('');
      setPatients(await client.call('patients', 'list', query));
      props.onOpen(p);
    } catch (err) {
      onError(err);
    }
  };

  return (
    <>
      <h2>New patient</h2>
      <form onSubmit={create} style={{ display: 'grid', gap: 6 }} aria-label="new patient">
        <input type="text" placeholder="Name" aria-label="Patient name" value={name} onChange={(e) => setName(e.target.value)} required />
        <input type="text" placeholder="Patient ID (optional)" aria-label="Patient ID" value={mrn} onChange={(e) => setMrn(e.target.value)} />
        <button className="primary" type="submit" disabled={!name.trim()}>
          Create patient
        </button>
      </form>
      <h2>Patients</h2>
      <input type="search" placeholder="Search name or ID" aria-label="Search patients" value={query} onChange={(e) => setQuery(e.target.value)} />
      <ul className="patients" aria-label="patients">
        {patients.map((p) => (
          <li key={p.id} className={props.selected?.id === p.id ? 'active' : ''} onClick={() => props.onOpen(p)}>
            {p.displayName}
            <small>{[p.mrn, `${p.studyCount} ${p.studyCount === 1 ? 'study' : 'studies'}`].filter(Boolean).join(' · ')}</small>
          </li>
        ))}
        {patients.length === 0 && <li style={{ color: 'var(--muted)', cursor: 'default' }}>No patients{query ? ' match' : ' yet'}.</li>}
      </ul>
    </>
  );
}
