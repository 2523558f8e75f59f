import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import path from 'node:path'
import { Kysely, PostgresDialect } from 'kysely'
import { startEmbeddedPostgres } from '../../server/db/embedded.ts'
import { createDb, createPool, ensureDatabase } from '../../server/db/connect.ts'
import { migrateToLatest } from '../../server/db/migrate.ts'
import { buildApp } from '../../server/app.ts'
import { loadConfig } from '../../server/config/config.ts'
import { freePort } from '../fixtures/ports.ts'


/** A database of its own, stopped and started under a running app. */
t.test('the database stops while serving: pages answer 503 and /healthz fails; it comes back without a restart', async (t) => {
  const dataDir = mkdtempSync(path.join(path.resolve(import.meta.dirname, '../../data'), 'fault-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const port = await freePort()
  let server = await startEmbeddedPostgres({ dataDir, port })
  t.teardown(() => server.stop())
  await ensureDatabase(server.url('postgres'), 'bianmin')
  const migrations = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: createPool(server.url('bianmin'), 1) }) })
  await migrateToLatest(migrations)
  await migrations.destroy()
  const db = createDb(createPool(server.url('bianmin'), 5))
  const config = loadConfig({ NODE_ENV: 'test' }, { jwtSecret: 'fault-test-secret-fault-test-secret-01', dataDir, databaseUrl: server.url('bianmin') })
  const app = await buildApp({ config, db, logger: false })
  t.teardown(async () => {
    await app.close()
    await db.destroy()
  })

  t.equal((await app.inject('/healthz')).statusCode, 200)
  t.equal((await app.inject('/guides')).statusCode, 404, 'no county yet: a plain 404, the database answers')

  await server.stop()
  const health = await app.inject('/healthz')
  t.equal(health.statusCode, 503, 'healthz fails while the database is down')
  t.same(health.json(), { status: 'unavailable', database: 'down' })
  const page = await app.inject('/guides')
  t.equal(page.statusCode, 503, 'a page answers 503')
  t.match(page.body, '系统暂时无法访问数据库')
  t.notMatch(page.body, /ECONNREFUSED|at .*\.ts:\d+/, 'no technical detail shown')

  server = await startEmbeddedPostgres({ dataDir, port })
  let recovered = 0
  for (let i = 0; i < 20 && recovered !== 200; i++) {
    recovered = (await app.inject('/healthz')).statusCode
    if (recovered !== 200) await new Promise((r) => setTimeout(r, 250))
  }
  t.equal(recovered, 200, 'the same app recovers once the database is back')
  t.equal((await app.inject('/guides')).statusCode, 404)
})
