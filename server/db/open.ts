import { Kysely, PostgresDialect } from 'kysely'
import type pg from 'pg'
import type { AppConfig } from '../config/config.ts'
import { localSecret, startEmbeddedPostgres, type EmbeddedServer } from './embedded.ts'
import { appRoleUrl, ensureAppRole } from './app-role.ts'
import { createDb, createPool, ensureDatabase, type Db } from './connect.ts'
import { migrateToLatest } from './migrate.ts'
import { useIdVault } from '../privacy/id-vault.ts'

export const APP_DATABASE = 'bianmin'

export interface OpenDatabase {
  /** The app's connections: with the embedded database, as the role that owns nothing (app-role.ts). */
  db: Db
  pool: pg.Pool
  /** The owner's address, for backups and restores. */
  url: string
  embedded: EmbeddedServer | null
  close: () => Promise<void>
}

/**
 * Connects to DATABASE_URL, or starts the embedded PostgreSQL in DATA_DIR/pg;
 * then brings the schema up to date. Used by the server and every command. With the embedded
 * database the app's connections run as a role that may only read and write rows, unless
 * `asOwner` (the bench generator, which truncates and loads tables).
 */
export async function openDatabase(config: AppConfig, log: (message: string) => void = () => {}, options: { migrate?: boolean; asOwner?: boolean } = {}): Promise<OpenDatabase> {
  // The migrations seal ID numbers a database still holds in clear; the commands read them.
  useIdVault(config.piiKeyFile)
  let embedded: EmbeddedServer | null = null
  let url: string
  if (config.databaseUrl) {
    url = config.databaseUrl
  } else {
    embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPgPort, log })
    await ensureDatabase(embedded.url('postgres'), APP_DATABASE)
    url = embedded.url(APP_DATABASE)
  }
  try {
    if (options.migrate !== false) {
      const migrationDb = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: createPool(url, 1) }) })
      try {
        await migrateToLatest(migrationDb)
      } finally {
        await migrationDb.destroy()
      }
    }
  } catch (error) {
    await embedded?.stop()
    throw error
  }
  let appUrl = url
  if (embedded && !options.asOwner) {
    const password = localSecret(config.dataDir, 'pg-app-password').value
    await ensureAppRole(url, password)
    appUrl = appRoleUrl(url, password)
  }
  const pool = createPool(appUrl, 20)
  const db = createDb(pool)
  return {
    db,
    pool,
    url,
    embedded,
    close: async () => {
      await db.destroy()
      await embedded?.stop()
    },
  }
}
