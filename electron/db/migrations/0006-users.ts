/**
 * 0006: local user accounts (issue 6): a role each (administrator, surgeon,
 * sonographer, researcher), a scrypt password hash, failed-login lockout.
 * With no account the workstation runs in single-user mode (the local user
 * is the administrator); creating the first administrator turns login on.
 */
export const name = 'users';
export const sql = `
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL UNIQUE COLLATE NOCASE,
  display_name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('administrator', 'surgeon', 'sonographer', 'researcher')),
  password_hash TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  failed_logins INTEGER NOT NULL DEFAULT 0,
  locked_until TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
`;
