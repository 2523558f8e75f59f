import t from 'tap'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { Kysely, PostgresDialect, sql } from 'kysely'
import { Migrator, FileMigrationProvider } from 'kysely/migration'
import { promises as fs } from 'node:fs'
import { setupCaseWorld, loggedIn, submitIntake, APPLICANT, type CaseWorld } from '../fixtures/cases.ts'
import { idCheckChar, normaliseIdNumber } from '../../server/applicants/id-number.ts'
import { idNumberHashes, idVault, openIdNumber, parseKeyring, useIdVault } from '../../server/privacy/id-vault.ts'
import { migrationFolder } from '../../server/config/paths.ts'
import { createPool } from '../../server/db/connect.ts'
import { migrateToLatest } from '../../server/db/migrate.ts'
import ExcelJS from '../../server/exports/exceljs.ts'
import { runImportJob } from '../../server/imports/run-import.ts'

// Command-line runs (npm run backup, rotate-pii-key) each start tsx: a busy machine needs more than tap's 30 s.
t.setTimeout(5 * 60_000)

const run = promisify(execFile)
const root = path.resolve(import.meta.dirname, '../..')
const tsx = path.join(root, 'node_modules/.bin/tsx')
const MATERIALS = ['书面申请', '居民身份证', '户口簿', '家庭收入状况证明', '家庭财产申报及授权核对书']

/** Every valid resident ID number (date and check character right) anywhere in a text. */
function idNumbersIn(text: string): string[] {
  const found: string[] = []
  for (let i = 0; i + 18 <= text.length; i++) {
    const candidate = text.slice(i, i + 18)
    if (/^\d{17}[\dX]$/.test(candidate) && normaliseIdNumber(candidate)) found.push(candidate)
  }
  return found
}

async function rawDump(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  const tables = (await client.query<{ name: string }>(`select tablename as name from pg_tables where schemaname = 'public' order by 1`)).rows.map((r) => r.name)
  let out = ''
  for (const table of tables) out += (await client.query<{ j: string }>(`select row_to_json(t)::text as j from "${table}" t`)).rows.map((r) => r.j).join('\n')
  await client.end()
  return out
}

async function applicantsDryRun(w: CaseWorld, rows: string[][]) {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'bianmin-import-')), 'apps.xlsx')
  const workbook = new ExcelJS.Workbook()
  const sheet = workbook.addWorksheet('申请人档案')
  sheet.addRow(['村', '姓名', '身份证号', '联系电话'])
  for (const row of rows) sheet.addRow(row)
  await workbook.xlsx.writeFile(file)
  const { id } = await w.db
    .insertInto('importJobs')
    .values({ countyId: w.org.countyId, kind: 'applicants', mode: 'dry_run', fileName: 'apps.xlsx', filePath: file, fileSha256: '0'.repeat(64), dryRunId: null, createdBy: w.countySupervisor.id })
    .returning('id')
    .executeTakeFirstOrThrow()
  await runImportJob(w.db, id, w.config.timeZone, () => new Date())
  return w.db.selectFrom('importJobs').select(['errorCount', 'errors']).where('id', '=', id).executeTakeFirstOrThrow()
}

function someoneElse(n: number) {
  const first17 = `510781198501${String(n).padStart(2, '0')}15${n}`
  return { ...APPLICANT, name: `李四${n}`, phone: `1390000000${n}`, idNumber: first17 + idCheckChar(first17) }
}

async function intakeSome(w: CaseWorld) {
  const agent = await loggedIn(w, w.agent)
  const matterId = await w.matterId('MZ-03')
  const first = await submitIntake(agent, matterId, { ...APPLICANT, materialsReceived: MATERIALS })
  const second = await submitIntake(agent, matterId, { ...someoneElse(1), materialsReceived: MATERIALS })
  return { agent, matterId, caseIds: [first.caseId!, second.caseId!] }
}

t.test('the database and its backup hold no ID number in clear, and look-up by ID number still works', async (t) => {
  t.setTimeout(180_000)
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  const { agent, matterId, caseIds } = await intakeSome(w)
  const people = [APPLICANT, someoneElse(1)]

  const stored = await w.db.selectFrom('applicants').select(['idNumberSealed', 'idNumberHash']).where('idNumberSealed', 'is not', null).execute()
  t.equal(stored.length, 2, 'both ID numbers are stored')
  t.ok(stored.every((r) => r.idNumberSealed!.startsWith('v1.') && r.idNumberHash!.includes('.')), 'sealed, with a keyed hash')
  t.same(stored.map((r) => openIdNumber(r.idNumberSealed)).sort(), people.map((p) => p.idNumber).sort(), 'and they open to what was typed')

  // Look-up by ID number: the search, the intake picker, and the one-file-per-person rule.
  const search = await agent.get(`/cases?q=${people[1].idNumber}`)
  t.equal(search.statusCode, 200)
  t.match(search.body, people[1].name, 'the search by ID number finds the case')
  t.notMatch(search.body, people[0].name, 'and only that one')
  const picker = await agent.get(`/cases/new?matterId=${matterId}&q=${APPLICANT.idNumber.toLowerCase()}`)
  t.match(picker.body, APPLICANT.name, 'the intake picker finds the file by ID number (a lower-case x too)')
  const again = await submitIntake(agent, matterId, { ...APPLICANT, name: '张小三二', materialsReceived: MATERIALS })
  t.equal(again.res.statusCode, 400, 'one ID number is still one file')
  t.match(again.res.body, '此身份证号已有档案')
  t.ok(caseIds.every(Boolean))

  // An import's problem list keeps what was in a wrong cell: an ID number with a wrong check
  // character is still someone's number, kept masked.
  const wrongCheck = APPLICANT.idNumber.slice(0, 17) + '1'
  const job = await applicantsDryRun(w, [[w.org.villages[0].name, '王五', wrongCheck, '13900000009']])
  t.match(JSON.stringify(job.errors), '110105*', 'the problem is listed, masked')
  t.notMatch(JSON.stringify(job.errors), wrongCheck)

  const dump = await rawDump(w.url)
  t.same(idNumbersIn(dump), [], 'no valid ID number anywhere in the database')
  for (const id of [...people.map((p) => p.idNumber), wrongCheck]) t.notOk(dump.includes(id.slice(6)), `not even ${id.slice(0, 6)}…'s without the region`)

  const keyring = parseKeyring(readFileSync(w.config.piiKeyFile, 'utf8'))
  t.equal(statSync(w.config.piiKeyFile).mode & 0o777, 0o600, 'the keyring is readable by its owner only')
  for (const secret of Object.values(keyring.keys)) t.notOk(dump.includes(secret), 'no key is in the database')

  // `npm run backup`, as the operator runs it.
  const dir = mkdtempSync(path.join(tmpdir(), 'bianmin-backup-pii-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const env = { ...process.env, DATABASE_URL: w.url, DATA_DIR: path.dirname(w.config.piiKeyFile), PII_KEY_FILE: w.config.piiKeyFile, JWT_SECRET: 'x'.repeat(40) }
  const backup = await run('npm', ['run', '--silent', 'backup', '--', dir], { cwd: root, env })
  t.match(backup.stdout, /Backup of \d+ tables/)
  const files = readdirSync(dir)
  t.ok(files.includes('applicants.ndjson'), 'the applicants are in the backup')
  t.notOk(files.some((f) => f.includes('pii-keys')), 'the keyring is not')
  const copy = files.map((f) => readFileSync(path.join(dir, f), 'utf8')).join('\n')
  t.ok(copy.includes(stored[0].idNumberSealed!), 'the sealed values are')
  t.same(idNumbersIn(copy), [], 'no valid ID number anywhere in the backup')
  for (const secret of Object.values(keyring.keys)) t.notOk(copy.includes(secret), 'no key in the backup')
})

t.test('rotate-pii-key re-seals every ID number under a new key; look-up and the pages go on working', async (t) => {
  t.setTimeout(180_000)
  const keyDir = mkdtempSync(path.join(tmpdir(), 'bianmin-keys-'))
  t.teardown(() => rmSync(keyDir, { recursive: true, force: true }))
  const piiKeyFile = path.join(keyDir, 'pii-keys.json')
  const w = await setupCaseWorld(t, '2026-03-02 09:00', { piiKeyFile })
  const { agent, matterId } = await intakeSome(w)
  const before = parseKeyring(readFileSync(piiKeyFile, 'utf8'))
  t.same(Object.keys(before.keys), ['k1'], 'a fresh keyring has one key')

  const env = { ...process.env, DATABASE_URL: w.url, DATA_DIR: keyDir, PII_KEY_FILE: piiKeyFile, JWT_SECRET: 'x'.repeat(40), NODE_ENV: 'production' }
  const rotated = await run(tsx, ['server/cli/admin.ts', 'rotate-pii-key'], { cwd: root, env })
  t.match(rotated.stdout, 'Key k2 is current: 2 ID numbers re-sealed; keys k1 dropped')
  const after = parseKeyring(readFileSync(piiKeyFile, 'utf8'))
  t.same({ current: after.current, keys: Object.keys(after.keys) }, { current: 'k2', keys: ['k2'] }, 'the old key is gone from the keyring')

  const rows = await w.db.selectFrom('applicants').select(['idNumberSealed', 'idNumberHash']).where('idNumberSealed', 'is not', null).execute()
  t.ok(rows.every((r) => r.idNumberSealed!.startsWith('v1.k2.') && r.idNumberHash!.startsWith('k2.')), 'every row under the new key')
  // The server running beside the command picks the new keyring up by itself.
  await new Promise((resolve) => setTimeout(resolve, 1100))
  const search = await agent.get(`/cases?q=${APPLICANT.idNumber}`)
  t.match(search.body, APPLICANT.name, 'the running server still finds by ID number')
  const again = await submitIntake(agent, matterId, { ...APPLICANT, name: '张小三二', materialsReceived: MATERIALS })
  t.equal(again.res.statusCode, 400, 'and still refuses a second file for one ID number')
  const audit = await w.db.selectFrom('auditEvents').select(['action', 'data']).where('action', '=', 'pii.key_rotated').execute()
  t.same(audit.map((a) => a.data), [{ resealed: 2, dropped: ['k1'] }], 'the rotation is in the audit trail')
})

t.test('a database that still holds ID numbers in clear has them sealed by the migration', async (t) => {
  t.setTimeout(120_000)
  const server = process.env.BIANMIN_TEST_SERVER_URL!
  const name = `test_upgrade_${process.pid}`
  const admin = new pg.Client({ connectionString: server })
  await admin.connect()
  await admin.query(`create database ${name} encoding 'UTF8' template template0`)
  await admin.end()
  const url = new URL(server)
  url.pathname = `/${name}`
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: createPool(url.toString(), 2) }) })
  t.teardown(async () => {
    await db.destroy()
    const cleanup = new pg.Client({ connectionString: server })
    await cleanup.connect()
    await cleanup.query(`drop database if exists ${name} with (force)`)
    await cleanup.end()
  })
  const keyDir = mkdtempSync(path.join(tmpdir(), 'bianmin-keys-'))
  t.teardown(() => rmSync(keyDir, { recursive: true, force: true }))
  useIdVault(path.join(keyDir, 'pii-keys.json'))

  // The schema as it was before ID numbers were sealed.
  const names = (await fs.readdir(migrationFolder)).filter((f) => /\.(ts|js)$/.test(f)).map((f) => f.replace(/\.(ts|js)$/, '')).sort()
  const sealing = names.indexOf('2026_12_06_014_seal_id_numbers')
  const migrator = new Migrator({ db, provider: new FileMigrationProvider({ fs, path, migrationFolder }) })
  t.notOk((await migrator.migrateTo(names[sealing - 1])).error, 'migrated to just before the sealing')
  const county = await sql<{ id: number }>`insert into counties (code, name) values ('U1', '旧县') returning id`.execute(db)
  const town = await sql<{ id: number }>`insert into towns (county_id, code, name) values (${county.rows[0].id}, 'U1T', '旧镇') returning id`.execute(db)
  const village = await sql<{ id: number }>`insert into villages (county_id, town_id, code, name) values (${county.rows[0].id}, ${town.rows[0].id}, 'U1V', '旧村') returning id`.execute(db)
  const ids = ['11010519491231002X', someoneElse(2).idNumber]
  for (const [i, idNumber] of ids.entries()) {
    await sql`insert into applicants (county_id, village_id, name, id_number, phone) values (${county.rows[0].id}, ${village.rows[0].id}, ${`旧${i}`}, ${idNumber}, '13900000000')`.execute(db)
  }
  await sql`insert into applicants (county_id, village_id, name, phone) values (${county.rows[0].id}, ${village.rows[0].id}, '无证', '13900000001')`.execute(db)

  await migrateToLatest(db)
  const rows = (await sql<{ name: string; sealed: string | null; hash: string | null }>`select name, id_number_sealed as sealed, id_number_hash as hash from applicants order by id`.execute(db)).rows
  t.same(rows.map((r) => openIdNumber(r.sealed)), [...ids, null], 'each ID number sealed, the one without none')
  t.same(rows.map((r) => r.hash !== null && idNumberHashes(openIdNumber(r.sealed)!).includes(r.hash)), [true, true, false], 'with its look-up hash')
  const columns = (await sql<{ column: string }>`select column_name as column from information_schema.columns where table_name = 'applicants'`.execute(db)).rows.map((r) => r.column)
  t.notOk(columns.includes('id_number'), 'the clear column is gone')
  t.same(idNumbersIn(await rawDump(url.toString())), [], 'no valid ID number is left in the database')
  t.equal(idVault().keyIds.length, 1)
})
