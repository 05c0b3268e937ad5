/**
 * 0007: settings of the store itself (issue 6): the file key that seals the
 * files under store/ when the store is encrypted (kept here, inside the
 * encrypted database).
 */
export const name = 'store-meta';
export const sql = `
CREATE TABLE store_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;
