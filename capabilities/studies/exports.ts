/**
 * Exports of a series. De-identified export of a DICOM series (issue 6 §7): the series' source
 * files, found again by scanning the path it was imported from, each
 * de-identified after PS3.15 Annex E (`io/deidentify.ts`) into a folder, with
 * file names that carry no identifier (IMG00001.dcm, …). One export = one
 * secret: UIDs and the patient pseudonym are consistent inside it and cannot
 * be linked to another export. The export is audited (without identifiers).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../electron/contract/errors.js';
import type { DeidExportResult } from './contract.js';
import type { TwinStore } from '../../electron/db/store.js';
import { scanDicom } from '../../electron/io/dicom.js';
import { deidentifyDicom, DeidentifyError } from '../../electron/io/deidentify.js';
import { getSeriesSource } from './repo.js';

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
  fs.mkdirSync(outDir, { recursive: true });
  const secret = crypto.randomBytes(32);
  const pseudonym = `ANON-${crypto.randomBytes(5).toString('hex').toUpperCase()}`;
  const total = { removed: 0, emptied: 0, replaced: 0, uidsReplaced: 0, privateRemoved: 0 };
  const warnings = new Set<string>();
  for (let i = 0; i < files.length; i++) {
    const file = files[i]!;
    let r;
    try {
      r = deidentifyDicom(await fs.promises.readFile(file), path.basename(file), { retainDates: o.retainDates, secret, patientPseudonym: pseudonym });
    } catch (e) {
      if (e instanceof DeidentifyError) throw new AppError('BAD_REQUEST', e.message, { file });
      throw e;
    }
    await fs.promises.writeFile(path.join(outDir, `IMG${String(i + 1).padStart(5, '0')}.dcm`), r.bytes, { flag: 'wx' });
    for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += r[k];
    // one warning for the series, without the (identifying) file name
    for (const w of r.warnings) warnings.add(w.replace(/^[^:]+: /, ''));
  }
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
  fs.mkdirSync(outDir, { recursive: true });
  for (const f of files) await fs.promises.copyFile(f, path.join(outDir, path.basename(f)), fs.constants.COPYFILE_EXCL);
  store.audit(actor, 'export', 'series', seriesId, { deidentified: false, files: files.length });
  return { outDir: path.resolve(outDir), files: files.length };
}
