/**
 * Help → About OrthoTwin: what this workstation is (version, build, runtime),
 * its intended use, where its data lives and whether the store is encrypted,
 * the licences of the direct and bundled dependencies, and the capabilities loaded
 * (their services, job kinds and CLI commands), from `system.about`.
 */
import { useEffect, useState } from 'react';
import type { WorkspaceProps } from '../../../renderer/app/contributions.js';
import { errorText } from '../../../renderer/app/errors.js';
import type { AboutInfo } from '../contract.js';

/** The intended use, shown wherever the product describes itself. */
export const INTENDED_USE = 'Research and planning workstation; not a certified medical device.';

const list = (xs: string[]): string => (xs.length ? xs.join(', ') : '—');

/** The About panel (shown in the Help dialog). */
export function AboutPanel({ client }: WorkspaceProps) {
  const [about, setAbout] = useState<AboutInfo | null>(null);
  const [failed, setFailed] = useState<string | null>(null);

  useEffect(() => {
    let gone = false;
    client.call('system', 'about').then(
      (a) => gone || setAbout(a),
      (e: unknown) => gone || setFailed(errorText(e)),
    );
    return () => {
      gone = true;
    };
  }, [client]);

  return (
    <section className="about" data-testid="about" aria-label="about">
      <p data-testid="about-intended-use">
        <strong>{INTENDED_USE}</strong>
      </p>
      {failed && (
        <div className="error" role="alert">
          {failed}
        </div>
      )}
      {!about && !failed && <p className="muted">Loading…</p>}
      {about && (
        <>
          <dl>
            <dt>Version</dt>
            <dd data-testid="about-version">
              {about.name} {about.version}
            </dd>
            <dt>Build</dt>
            <dd data-testid="about-build">
              {about.build.commit} · {about.build.date}
            </dd>
            <dt>Runtime</dt>
            <dd>
              {about.electron ? `Electron ${about.electron} · ` : ''}Node {about.node} · {about.platform}
            </dd>
            <dt>Data directory</dt>
            <dd data-testid="about-data-dir">{about.dataDir}</dd>
            <dt>Store</dt>
            <dd data-testid="about-store">{about.storeEncrypted ? 'encrypted at rest' : 'not encrypted'}</dd>
          </dl>
          <h3>Capabilities</h3>
          <table className="device-table" data-testid="about-capabilities">
            <thead>
              <tr>
                <th>Capability</th>
                <th>Version</th>
                <th>Services</th>
                <th>Job kinds</th>
                <th>CLI</th>
              </tr>
            </thead>
            <tbody>
              {about.capabilities.map((c) => (
                <tr key={c.name} data-capability={c.name}>
                  <td title={c.name}>{c.title}</td>
                  <td>{c.version}</td>
                  <td>{list(c.services)}</td>
                  <td>{list(c.jobs)}</td>
                  <td>{list(c.cli)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>Licences</h3>
          <p className="muted">
            Direct runtime dependencies and the libraries bundled into this window; the indirect ones are listed in the installer&apos;s SBOM and third-party
            notice.
          </p>
          <div className="scroll">
            <table className="device-table" data-testid="about-licences">
              <thead>
                <tr>
                  <th>Package</th>
                  <th>Version</th>
                  <th>Licence</th>
                </tr>
              </thead>
              <tbody>
                {about.licences.map((l) => (
                  <tr key={`${l.name}@${l.version}`}>
                    <td>{l.name}</td>
                    <td>{l.version}</td>
                    <td>{l.licence}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
