/**
 * 0008: a job's title (its kind's progress title, e.g. "Skin registration"),
 * stored with the job so that progress and failures name the work by what it
 * is; older rows keep an empty title and are shown by their kind.
 */
export const name = 'job-title';
export const sql = `
ALTER TABLE jobs ADD COLUMN title TEXT NOT NULL DEFAULT '';
`;
