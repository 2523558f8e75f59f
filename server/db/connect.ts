import { createHash } from 'node:crypto'
import pg from 'pg'
import { Kysely, PostgresDialect, CamelCasePlugin } from 'kysely'
import type { Database } from './schema.ts'

// DATE columns stay 'YYYY-MM-DD' strings: a JS Date would shift them by the server's time zone.
pg.types.setTypeParser(1082, (value) => value)

export type Db = Kysely<Database>

// Prepared statements kept per connection, at most this many (the oldest is forgotten by pg's
// client when the connection closes; a connection idle for 30 s closes).
const PREPARED_PER_CONNECTION = 500

/**
 * Every parameterised statement runs as a named prepared statement on its connection, so
 * PostgreSQL parses and plans a page's statements once per connection rather than on every
 * request (Kysely compiles the same text for the same query shape). The name is a digest of the
 * text; statements without parameters (DDL, transaction control, multi-statement scripts) go as
 * they are.
 */
function prepareStatements(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown
  let prepared = 0
  client.query = ((config: unknown, values?: unknown, callback?: unknown) => {
    if (typeof config === 'string' && Array.isArray(values) && values.length > 0 && callback === undefined && prepared < PREPARED_PER_CONNECTION) {
      const name = `k${createHash('sha1').update(config).digest('base64url')}`
      const known = (client as unknown as { connection: { parsedStatements: Record<string, string> } }).connection.parsedStatements[name] !== undefined
      if (!known) prepared++
      return query({ name, text: config, values })
    }
    return query(config, values, callback)
  }) as typeof client.query
}

export function createPool(connectionString: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, connectionTimeoutMillis: 5000, idleTimeoutMillis: 30000 })
  // A dropped connection must not crash the process; the next query reconnects.
  pool.on('error', () => {})
  pool.on('connect', (client) => prepareStatements(client))
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
