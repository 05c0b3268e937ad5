/**
 * Exports of a series. De-identified export of a DICOM series (issue 6 §7): the series' source
 * files, found again by scanning the path it was imported from, each
 * de-identified after PS3.15 Annex E (`io/deidentify.ts`) into a folder, with
 * file names that carry no identifier (IMG00001.dcm, …). One export = one
 * secret: UIDs and the patient pseudonym are consistent inside it and cannot
 * be linked to another export. The export is audited (without identifiers).
 *
 * Every export folder also holds `orthotwin-export.json` (EXPORT_MANIFEST,
 * issue 20 §7): the patient, the study, the moment of the export (ISO 8601,
 * UTC) and the software (`OrthoTwin <version>`). A de-identified export's
 * manifest names the patient by the export's pseudonym only and the study by
 * its new UID (its date only with the Full Dates Option); the DICOM files say
 * the software in De-identification Method (0012,0063).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../electron/contract/errors.js';
import type { DeidExportResult } from './contract.js';
import type { TwinStore } from '../../electron/db/store.js';
import { EXPORT_MANIFEST, scanDicom } from '../../electron/io/dicom.js';
import { deidentifyDicom, DeidentifyError, newUid } from '../../electron/io/deidentify.js';
import { appPackage } from '../../electron/platform/appInfo.js';
import { getSeriesSource } from './repo.js';

export { EXPORT_MANIFEST };

/** What an export's manifest says (see the file comment). */
export interface ExportManifest {
  software: string;
  exportedAt: string;
  deidentified: boolean;
  patient: { id: string; name?: string; birthDate?: string; sex?: string };
  study: { instanceUid: string; date: string; description?: string };
  series: { instanceUid: string; modality: string; format: string; files: number };
}

/** "OrthoTwin 0.1.0": the software named in exports. */
export const softwareName = (): string => `OrthoTwin ${appPackage().version}`;

/** The patient and study rows an export describes. */
function exportContext(store: TwinStore, seriesId: string): { patient: Record<string, string>; study: Record<string, string> } {
  const r = store.db
    .prepare(
      `SELECT p.display_name, p.mrn, p.birth_date, p.sex, st.study_instance_uid, st.study_date, st.description
       FROM series se JOIN studies st ON st.id = se.study_id JOIN patients p ON p.id = st.patient_id WHERE se.id = ?`,
    )
    .get(seriesId) as Record<string, string> | undefined;
  if (!r) throw new AppError('NOT_FOUND', `no series ${seriesId}`);
  return {
    patient: { name: r['display_name'] ?? '', id: r['mrn'] ?? '', birthDate: r['birth_date'] ?? '', sex: r['sex'] ?? '' },
    study: { instanceUid: r['study_instance_uid'] ?? '', date: r['study_date'] ?? '', description: r['description'] ?? '' },
  };
}

/** A DICOM date (YYYYMMDD) as ISO 8601 (YYYY-MM-DD); other values as they are. */
const isoDate = (d: string): string => d.replace(/^(\d{4})(\d{2})(\d{2})$/, '$1-$2-$3');

async function writeManifest(outDir: string, m: ExportManifest): Promise<void> {
  await fs.promises.writeFile(path.join(outDir, EXPORT_MANIFEST), JSON.stringify(m, null, 2) + '\n', { flag: 'wx' });
}

/**
 * @param outDir created; must be empty or absent (nothing is overwritten)
 * @throws AppError NOT_FOUND for an unknown series; BAD_REQUEST when the series is not DICOM, its source is gone, the folder is not empty, or a file cannot be de-identified (named)
 */
export async function exportDeidentifiedSeries(
  store: TwinStore,
  actor: string,
  seriesId: string,
  outDir: string,
  o: { retainDates: boolean },
): Promise<DeidExportResult> {
  const src = getSeriesSource(store, seriesId);
  if (src.format !== 'dicom')
    throw new AppError('BAD_REQUEST', `series ${seriesId} was imported from ${src.format}, not DICOM: only DICOM series are exported de-identified`);
  if (!fs.existsSync(src.sourcePath))
    throw new AppError('BAD_REQUEST', `${src.sourcePath}: the series' source files are no longer there`, { file: src.sourcePath });
  if (fs.existsSync(outDir) && fs.readdirSync(outDir).length > 0)
    throw new AppError('BAD_REQUEST', `${outDir}: the export folder is not empty`, { file: outDir });
  const candidates = scanDicom(src.sourcePath).series.filter((s) => s.seriesInstanceUid === src.seriesInstanceUid);
  if (candidates.length !== 1)
    throw new AppError(
      'BAD_REQUEST',
      `${src.sourcePath}: ${candidates.length === 0 ? 'the series is no longer in its source folder' : 'several series share its UID'}`,
      {
        file: src.sourcePath,
      },
    );
  const files = candidates[0]!.files;
  const ctx = exportContext(store, seriesId);
  // the study as the files say it (the de-identified files' Study Instance UID is made from it)
  const studyUid = candidates[0]!.studyInstanceUid || (ctx.study['instanceUid'] ?? '');
  fs.mkdirSync(outDir, { recursive: true });
  const secret = crypto.randomBytes(32);
  const software = softwareName();
  const pseudonym = `ANON-${crypto.randomBytes(5).toString('hex').toUpperCase()}`;
  const total = { removed: 0, emptied: 0, replaced: 0, uidsReplaced: 0, privateRemoved: 0 };
  const warnings = new Set<string>();
  for (let i = 0; i < files.length; i++) {
    const file = files[i]!;
    let r;
    try {
      r = deidentifyDicom(await fs.promises.readFile(file), path.basename(file), { retainDates: o.retainDates, secret, patientPseudonym: pseudonym, software });
    } catch (e) {
      if (e instanceof DeidentifyError) throw new AppError('BAD_REQUEST', e.message, { file });
      throw e;
    }
    await fs.promises.writeFile(path.join(outDir, `IMG${String(i + 1).padStart(5, '0')}.dcm`), r.bytes, { flag: 'wx' });
    for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += r[k];
    // one warning for the series, without the (identifying) file name
    for (const w of r.warnings) warnings.add(w.replace(/^[^:]+: /, ''));
  }
  // the manifest: the pseudonym, the study's new UID (as in the files), its date only when dates are kept
  // a UID as deidentifyDicom replaces it (an empty study or series UID gets one made from its tag)
  const deidUid = (v: string, tag: string): string => newUid(secret, v === '' ? `empty:${tag}` : v);
  await writeManifest(outDir, {
    software,
    exportedAt: new Date().toISOString(),
    deidentified: true,
    patient: { id: pseudonym },
    study: {
      instanceUid: deidUid(studyUid, '0020000D'),
      date: o.retainDates ? isoDate(candidates[0]!.studyDate || (ctx.study['date'] ?? '')) : '',
    },
    series: {
      instanceUid: deidUid(src.seriesInstanceUid, '0020000E'),
      modality: src.modality,
      format: src.format,
      files: files.length,
    },
  });
  store.audit(actor, 'export', 'series', seriesId, { deidentified: true, files: files.length, retainDates: o.retainDates });
  return { outDir: path.resolve(outDir), files: files.length, patientPseudonym: pseudonym, warnings: [...warnings], ...total };
}

/**
 * Copies a series' original files (with their identifiers) into an empty
 * folder: a DICOM series' files (found again in its source folder), or the
 * imported file itself. Who may call it is the site policy's
 * `export.identifiedRoles` (checked in access.ts). Audited.
 * @throws AppError NOT_FOUND for an unknown series; BAD_REQUEST when the source is gone or the folder is not empty
 */
export async function exportIdentifiedSeries(store: TwinStore, actor: string, seriesId: string, outDir: string): Promise<{ outDir: string; files: number }> {
  const src = getSeriesSource(store, seriesId);
  if (!fs.existsSync(src.sourcePath))
    throw new AppError('BAD_REQUEST', `${src.sourcePath}: the series' source files are no longer there`, { file: src.sourcePath });
  if (fs.existsSync(outDir) && fs.readdirSync(outDir).length > 0)
    throw new AppError('BAD_REQUEST', `${outDir}: the export folder is not empty`, { file: outDir });
  const files =
    src.format === 'dicom' ? (scanDicom(src.sourcePath).series.find((s) => s.seriesInstanceUid === src.seriesInstanceUid)?.files ?? []) : [src.sourcePath];
  if (files.length === 0) throw new AppError('BAD_REQUEST', `${src.sourcePath}: the series is no longer in its source folder`, { file: src.sourcePath });
  const ctx = exportContext(store, seriesId);
  fs.mkdirSync(outDir, { recursive: true });
  for (const f of files) await fs.promises.copyFile(f, path.join(outDir, path.basename(f)), fs.constants.COPYFILE_EXCL);
  // the original files stay byte for byte; the manifest beside them says whose they are, when and by what they were exported
  await writeManifest(outDir, {
    software: softwareName(),
    exportedAt: new Date().toISOString(),
    deidentified: false,
    patient: { id: ctx.patient['id'] ?? '', name: ctx.patient['name'] ?? '', birthDate: ctx.patient['birthDate'] ?? '', sex: ctx.patient['sex'] ?? '' },
    study: { instanceUid: ctx.study['instanceUid'] ?? '', date: isoDate(ctx.study['date'] ?? ''), description: ctx.study['description'] ?? '' },
    series: { instanceUid: src.seriesInstanceUid, modality: src.modality, format: src.format, files: files.length },
  });
  store.audit(actor, 'export', 'series', seriesId, { deidentified: false, files: files.length });
  return { outDir: path.resolve(outDir), files: files.length };
}
