import { chmodSync, createReadStream, createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import path from 'node:path'
import { once } from 'node:events'
import pg from 'pg'

/**
 * A consistent export of the whole database without pg_dump (the embedded binaries lack it):
 * one REPEATABLE READ READ ONLY transaction, so every table is read at the same snapshot; each
 * table goes to <table>.ndjson, one row a line, read through a cursor so memory stays flat.
 */
export interface Manifest {
  format: 'bianmin-backup/1'
  takenAt: string
  migrations: string[]
  tables: { name: string; rows: number }[]
}

async function userTables(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(`select tablename as name from pg_tables where schemaname = 'public' order by tablename`)
  return rows.map((r) => r.name)
}

export async function backupDatabase(url: string, dir: string): Promise<Manifest> {
  // A backup holds every ID number and phone: readable by its owner only.
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  chmodSync(dir, 0o700)
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query('begin isolation level repeatable read read only')
    // The database's own now(): the instant of the snapshot every table below is read from (the CLI
    // has no app clock, and this stamps the copy, not a business event).
    const takenAt = (await client.query<{ now: Date }>('select now()')).rows[0].now.toISOString()
    const tables = await userTables(client)
    const manifest: Manifest = { format: 'bianmin-backup/1', takenAt, migrations: [], tables: [] }
    manifest.migrations = (await client.query<{ name: string }>('select name from kysely_migration order by name')).rows.map((r) => r.name)
    for (const table of tables) {
      const out = createWriteStream(path.join(dir, `${table}.ndjson`), { mode: 0o600 })
      await client.query(`declare rows_cursor no scroll cursor for select row_to_json(t)::text as j from "${table}" t`)
      let count = 0
      for (;;) {
        const { rows } = await client.query<{ j: string }>('fetch 2000 from rows_cursor')
        if (rows.length === 0) break
        for (const r of rows) if (!out.write(r.j + '\n')) await once(out, 'drain')
        count += rows.length
      }
      await client.query('close rows_cursor')
      out.end()
      await once(out, 'finish')
      manifest.tables.push({ name: table, rows: count })
    }
    await client.query('commit')
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2), { mode: 0o600 })
    return manifest
  } finally {
    await client.end()
  }
}

/**
 * Loads a backup into an empty database whose schema is already migrated to the same version:
 * all rows in one transaction with triggers and foreign keys deferred (session_replication_role),
 * then every sequence moved past the highest id.
 */
export async function restoreDatabase(url: string, dir: string): Promise<Manifest> {
  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest
  if (manifest.format !== 'bianmin-backup/1') throw new Error('not a Bianmin backup')
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const migrations = (await client.query<{ name: string }>('select name from kysely_migration order by name')).rows.map((r) => r.name)
    if (JSON.stringify(migrations) !== JSON.stringify(manifest.migrations)) throw new Error('the target database is at another schema version')
    await client.query('begin')
    for (const { name } of manifest.tables) {
      if (name === 'kysely_migration' || name === 'kysely_migration_lock') continue
      const { rows } = await client.query<{ n: string }>(`select count(*) as n from "${name}"`)
      // The migrations fill the national calendar and its version row; the backup's replace them.
      if (Number(rows[0].n) > 0 && name !== 'calendar_days' && name !== 'calendar_version') throw new Error(`table ${name} is not empty: restore into an empty database`)
    }
    // Append-only triggers and foreign-key order do not apply to a faithful copy.
    await client.query(`set local session_replication_role = replica`)
    for (const { name } of manifest.tables) {
      if (name === 'kysely_migration' || name === 'kysely_migration_lock') continue
      await client.query(`delete from "${name}"`)
      // Generated columns (applicants.name_grams) are the database's to fill, not the backup's.
      const stored = await client.query<{ column: string }>(
        `select attname as column from pg_attribute where attrelid = $1::regclass and attnum > 0 and not attisdropped and attgenerated = '' order by attnum`,
        [`"${name}"`],
      )
      const columns = stored.rows.map((r) => `"${r.column}"`).join(', ')
      const lines = createInterface({ input: createReadStream(path.join(dir, `${name}.ndjson`)), crlfDelay: Infinity })
      let batch: string[] = []
      const flush = async () => {
        if (batch.length === 0) return
        await client.query(`insert into "${name}" (${columns}) select ${columns} from json_populate_recordset(null::"${name}", $1::json)`, [`[${batch.join(',')}]`])
        batch = []
      }
      for await (const line of lines) {
        if (!line) continue
        batch.push(line)
        if (batch.length >= 1000) await flush()
      }
      await flush()
    }
    const sequences = await client.query<{ table: string; column: string; seq: string }>(`
      select c.relname as table, a.attname as column, pg_get_serial_sequence(quote_ident(c.relname), a.attname) as seq
      from pg_class c join pg_attribute a on a.attrelid = c.oid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'r' and a.attnum > 0 and not a.attisdropped and pg_get_serial_sequence(quote_ident(c.relname), a.attname) is not null`)
    for (const s of sequences.rows) {
      await client.query(`select setval($1, coalesce((select max("${s.column}") from "${s.table}"), 0) + 1, false)`, [s.seq])
    }
    await client.query('commit')
    return manifest
  } catch (error) {
    await client.query('rollback').catch(() => {})
    throw error
  } finally {
    await client.end()
  }
}
