/**
 * 0014: the identity fields that differed when a series was imported after
 * the user confirmed that a study of another stated identity belongs to the
 * patient (issue 20 §1), e.g. "name, birth date"; '' when the study's identity
 * matched. Such a series' twins become the default only when the user marks
 * one, never by being the newest.
 */
export const name = 'series-identity-override';
export const sql = `
ALTER TABLE series ADD COLUMN identity_override TEXT NOT NULL DEFAULT '';
`;
