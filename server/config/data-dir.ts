import { chmodSync, mkdirSync, statSync } from 'node:fs'

/**
 * DATA_DIR holds the secrets, the ID keyring, the embedded database and uploaded workbooks with
 * ID numbers in clear: its owner's alone. Made 0700; one found open to others is closed to them.
 * As root with the embedded PostgreSQL, others then get back search permission only (x, no
 * listing), so the `postgres` user can reach DATA_DIR/pg (db/embedded.ts); run as a user of its
 * own (deploy/bianmin.service) it stays 0700.
 */
export function makeDataDirPrivate(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const mode = statSync(dataDir).mode & 0o7777
  if (mode & 0o077) chmodSync(dataDir, mode & ~0o077)
}
