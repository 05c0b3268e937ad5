/** A twin's annotation set (migration 0012). */
import { AppError } from '../../electron/contract/errors.js';
import { nowIso as now, type Row } from '../../electron/db/files.js';
import type { TwinStore } from '../../electron/db/store.js';
import type { Annotation, AnnotationSet } from './contract.js';
import { numberAnnotations } from './numbering.js';

/** The twin's set, every item numbered (a set stored before numbers were gets them: numbering.ts); revision 0 and empty when nothing was saved. */
export function getAnnotations(store: TwinStore, twinId: string): AnnotationSet {
  const r = store.db.prepare('SELECT * FROM twin_annotations WHERE twin_id = ?').get(twinId) as Row | undefined;
  if (!r) return { twinId, revision: 0, annotations: [], savedAt: null, savedBy: null };
  return {
    twinId,
    revision: r['revision'] as number,
    annotations: numberAnnotations(JSON.parse(r['annotations'] as string) as Annotation[]),
    savedAt: r['saved_at'] as string,
    savedBy: r['saved_by'] as string,
  };
}

/**
 * Replaces the set made from `baseRevision`, in one transaction; items without a number get one (numbering.ts).
 * @throws AppError CONFLICT when the stored revision moved on
 */
export function saveAnnotations(store: TwinStore, twinId: string, baseRevision: number, list: Annotation[], by: string): AnnotationSet {
  const annotations = numberAnnotations(list);
  return store.db.transaction(() => {
    const cur = getAnnotations(store, twinId);
    if (cur.revision !== baseRevision)
      throw new AppError(
        'CONFLICT',
        `the measurements of this twin were saved by ${cur.savedBy ?? 'someone'} at ${cur.savedAt ?? '?'} (revision ${cur.revision}) after this copy (revision ${baseRevision}) was loaded; reload them — nothing was overwritten`,
      );
    const at = now();
    store.db
      .prepare(
        'INSERT INTO twin_annotations (twin_id, revision, annotations, saved_at, saved_by) VALUES (?, ?, ?, ?, ?) ' +
          'ON CONFLICT(twin_id) DO UPDATE SET revision = excluded.revision, annotations = excluded.annotations, saved_at = excluded.saved_at, saved_by = excluded.saved_by',
      )
      .run(twinId, baseRevision + 1, JSON.stringify(annotations), at, by);
    return { twinId, revision: baseRevision + 1, annotations, savedAt: at, savedBy: by };
  })();
}
