/**
 * 0009: calibration review (issue 20 §2): a new calibration of a kind the
 * setup already has is stored as `proposed` and becomes current only when a
 * user accepts it (or is `rejected`); each carries the identity of the
 * probe or tool it was made for (`device`, '' when the source does not say),
 * and who reviewed it when. Records from before are accepted.
 */
export const name = 'calibration-review';
export const sql = `
ALTER TABLE calibrations ADD COLUMN status TEXT NOT NULL DEFAULT 'accepted';
ALTER TABLE calibrations ADD COLUMN device TEXT NOT NULL DEFAULT '';
ALTER TABLE calibrations ADD COLUMN reviewed_at TEXT;
ALTER TABLE calibrations ADD COLUMN reviewed_by TEXT;
`;
