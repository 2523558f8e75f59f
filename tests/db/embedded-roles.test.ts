import t from 'tap'
import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { sql } from 'kysely'
import { loadConfig } from '../../server/config/config.ts'
import { openDatabase } from '../../server/db/open.ts'
import { startEmbeddedPostgres } from '../../server/db/embedded.ts'
import { freePort } from '../fixtures/ports.ts'


const canConnect = async (url: string) => {
  const client = new pg.Client({ connectionString: url })
  try {
    await client.connect()
    await client.end()
    return true
  } catch {
    return false
  }
}

t.test('the embedded database: generated passwords in DATA_DIR, and the app connects as a role that owns nothing', async (t) => {
  t.setTimeout(120_000)
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bianmin-roles-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const port = await freePort()
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }, { dataDir, embeddedPgPort: port, databaseUrl: null, jwtSecret: 'x'.repeat(40) })
  const database = await openDatabase(config)
  t.teardown(() => database.close())

  for (const file of ['pg-owner-password', 'pg-app-password']) {
    const full = path.join(dataDir, file)
    t.equal(statSync(full).mode & 0o777, 0o600, `${file} is readable by its owner only`)
    t.ok(readFileSync(full, 'utf8').trim().length >= 24, `${file} holds a generated password`)
  }
  t.notOk(await canConnect(`postgres://bianmin:bianmin-local@127.0.0.1:${port}/bianmin`), 'the old fixed password opens nothing')

  const who = await sql<{ user: string; superuser: string }>`select current_user as user, current_setting('is_superuser') as superuser`.execute(database.db)
  t.same(who.rows[0], { user: 'bianmin_app', superuser: 'off' }, 'the app runs as bianmin_app, not a superuser')
  const { id: countyId } = await database.db.insertInto('counties').values({ code: 'R1', name: '权限县' }).returning('id').executeTakeFirstOrThrow()
  t.ok(countyId, 'it reads and writes rows')

  const refused = async (label: string, statement: ReturnType<typeof sql>) => {
    const error = await statement.execute(database.db).then(() => null, (e: Error & { code?: string }) => e)
    t.ok(error, `${label}: refused`)
    t.match(error?.code, /^42501$|^42P01$/, `${label}: ${error?.message}`)
  }
  await refused('switching off the append-only trigger', sql`alter table case_events disable trigger all`)
  await refused('creating a table', sql`create table stolen (x int)`)
  await refused('dropping a table', sql`drop table visits`)
  await refused('running a program', sql`copy (select 1) to program 'true'`)
  await refused('marking a migration done', sql`insert into kysely_migration (name, timestamp) values ('x', 'y')`)
  await refused('creating a role', sql`create role intruder login`)
})

t.test('a cluster made with the old fixed password gets a generated one at its next start', async (t) => {
  t.setTimeout(120_000)
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bianmin-oldpw-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const port = await freePort()
  // As an older release left it: initialised, with the fixed password and no password file.
  let server = await startEmbeddedPostgres({ dataDir, port })
  const generated = readFileSync(path.join(dataDir, 'pg-owner-password'), 'utf8').trim()
  const client = new pg.Client({ connectionString: server.url('postgres') })
  await client.connect()
  await client.query(`alter role bianmin password 'bianmin-local'`)
  await client.end()
  await server.stop()
  rmSync(path.join(dataDir, 'pg-owner-password'))

  server = await startEmbeddedPostgres({ dataDir, port })
  t.teardown(() => server.stop())
  const replaced = readFileSync(path.join(dataDir, 'pg-owner-password'), 'utf8').trim()
  t.not(replaced, generated, 'a new password was generated')
  t.ok(await canConnect(server.url('postgres')), 'the owner connects with it')
  t.notOk(await canConnect(`postgres://bianmin:bianmin-local@127.0.0.1:${port}/postgres`), 'the fixed one no longer works')
})
