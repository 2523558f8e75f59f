import pg from 'pg'
import { Kysely, PostgresDialect, CamelCasePlugin } from 'kysely'
import type { Database } from './schema.ts'

// DATE columns stay 'YYYY-MM-DD' strings: a JS Date would shift them by the server's time zone.
pg.types.setTypeParser(1082, (value) => value)

export type Db = Kysely<Database>

export function createPool(connectionString: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, connectionTimeoutMillis: 5000, idleTimeoutMillis: 30000 })
  // A dropped connection must not crash the process; the next query reconnects.
  pool.on('error', () => {})
  return pool
}

export function createDb(pool: pg.Pool): Db {
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins: [new CamelCasePlugin()] })
}

/** Creates the application database on a fresh server (embedded or external). */
export async function ensureDatabase(serverUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl })
  await client.connect()
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [database])
    if (found.rowCount === 0) await client.query(`create database "${database.replace(/"/g, '')}" encoding 'UTF8' template template0`)
  } finally {
    await client.end()
  }
}
