import { Kysely, PostgresDialect } from 'kysely'
import type pg from 'pg'
import type { AppConfig } from '../config/config.ts'
import { startEmbeddedPostgres, type EmbeddedServer } from './embedded.ts'
import { createDb, createPool, ensureDatabase, type Db } from './connect.ts'
import { migrateToLatest } from './migrate.ts'

export const APP_DATABASE = 'bianmin'

export interface OpenDatabase {
  db: Db
  pool: pg.Pool
  url: string
  embedded: EmbeddedServer | null
  close: () => Promise<void>
}

/**
 * Connects to DATABASE_URL, or starts the embedded PostgreSQL in DATA_DIR/pg;
 * then brings the schema up to date. Used by the server and every command.
 */
export async function openDatabase(config: AppConfig, log: (message: string) => void = () => {}, options: { migrate?: boolean } = {}): Promise<OpenDatabase> {
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
  const pool = createPool(url, 20)
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
