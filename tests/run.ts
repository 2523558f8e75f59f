/**
 * `npm test`: starts one throw-away PostgreSQL (embedded, or the server in DATABASE_URL),
 * migrates a template database, and runs tap. Each test file clones the template into its own
 * database, so files run in parallel without sharing rows.
 */
import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { createServer } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { Kysely, PostgresDialect } from 'kysely'
import { startEmbeddedPostgres } from '../server/db/embedded.ts'
import { migrateToLatest } from '../server/db/migrate.ts'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const TEMPLATE_DATABASE = 'bianmin_test_template'

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}

async function prepareTemplate(serverUrl: string): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  await admin.query(`drop database if exists ${TEMPLATE_DATABASE}`)
  await admin.query(`create database ${TEMPLATE_DATABASE} encoding 'UTF8' template template0`)
  await admin.end()
  const url = new URL(serverUrl)
  url.pathname = `/${TEMPLATE_DATABASE}`
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url.toString(), max: 1 }) }) })
  await migrateToLatest(db)
  await db.destroy()
}

async function main(): Promise<number> {
  let stop = async () => {}
  let serverUrl: string
  if (process.env.DATABASE_URL) {
    serverUrl = process.env.DATABASE_URL
  } else {
    // A folder of its own per run: two runs at once (or an editor's test runner beside a terminal's)
    // must not delete each other's database.
    const dataDir = path.join(root, 'data', `test-${process.pid}`)
    rmSync(dataDir, { recursive: true, force: true })
    const server = await startEmbeddedPostgres({ dataDir, port: await freePort() })
    serverUrl = server.url('postgres')
    stop = async () => {
      await server.stop()
      rmSync(dataDir, { recursive: true, force: true })
    }
  }
  try {
    await prepareTemplate(serverUrl)
    const tap = spawn(process.execPath, [path.join(root, 'node_modules/tap/dist/esm/run.mjs'), ...process.argv.slice(2)], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, BIANMIN_TEST_SERVER_URL: serverUrl, BIANMIN_TEST_TEMPLATE: TEMPLATE_DATABASE, NODE_ENV: 'test' },
    })
    return await new Promise<number>((resolve) => tap.on('exit', (code) => resolve(code ?? 1)))
  } finally {
    await stop()
  }
}

// Exit explicitly so the code reaches the shell through tsx.
process.exit(await main())
