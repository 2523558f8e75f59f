import t from 'tap'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { setupCaseWorld, loggedIn, submitIntake, versionOn, APPLICANT } from '../fixtures/cases.ts'
import { createTestDatabase } from '../fixtures/database.ts'
import { backupDatabase, restoreDatabase } from '../../server/backup/backup.ts'
import { verifyChain } from '../../server/ledger/chain.ts'

// Two databases, a backup and a restore: a busy machine needs more than tap's 30 s.
t.setTimeout(5 * 60_000)

async function everyTable(url: string): Promise<Record<string, string[]>> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  const tables = (await client.query<{ name: string }>(`select tablename as name from pg_tables where schemaname = 'public' order by 1`)).rows.map((r) => r.name)
  const out: Record<string, string[]> = {}
  for (const table of tables) out[table] = (await client.query<{ j: string }>(`select row_to_json(t)::text as j from "${table}" t order by 1`)).rows.map((r) => r.j)
  await client.end()
  return out
}

t.test('a backup restores into an empty database with every table equal', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  const agent = await loggedIn(w, w.agent)
  const { caseId } = await submitIntake(agent, await w.matterId('MZ-03'), { ...APPLICANT, materialsReceived: ['书面申请', '居民身份证', '户口簿', '家庭收入状况证明', '家庭财产申报及授权核对书'] })
  const page = await agent.get(`/cases/${caseId}`)
  await agent.post(`/cases/${caseId}/forward`, { version: versionOn(page.body), windowId: String(w.org.windows[0].id), method: 'paper' })
  await agent.get('/fees')
  await agent.post('/fees', { kind: 'collect', amount: '12.34', department: 'labour', payer: '王五' })
  await agent.get('/visits')
  await agent.post('/visits', { people: '2', purpose: 'consult', told: '说明 "引号" 和\n换行' })
  await agent.get('/notices')
  await agent.post('/notices/announcements', { title: '通知', body: '正文', shownFrom: '2026-03-02' })

  const dir = mkdtempSync(path.join(tmpdir(), 'bianmin-backup-'))
  const manifest = await backupDatabase(w.url, dir)
  // Every ID number and phone is in there: the owner alone may read it.
  const { statSync, readdirSync } = await import('node:fs')
  t.equal(statSync(dir).mode & 0o777, 0o700, 'the backup folder is 0700')
  t.ok(readdirSync(dir).every((f) => (statSync(path.join(dir, f)).mode & 0o777) === 0o600), 'each file is 0600')
  t.ok(manifest.tables.find((x) => x.name === 'cases')?.rows === 1)
  t.ok(manifest.migrations.length >= 10)

  const target = await createTestDatabase(t)
  await restoreDatabase(target.url, dir)
  const [source, copy] = await Promise.all([everyTable(w.url), everyTable(target.url)])
  t.same(Object.keys(copy), Object.keys(source), 'the same tables')
  for (const table of Object.keys(source)) t.same(copy[table], source[table], `${table}: ${source[table].length} rows equal`)
  t.equal((await verifyChain(target.db, 'case_events')).firstBreak, null, 'the hash chains survive the round trip')
  const next = await target.db.insertInto('counties').values({ code: 'NEXT', name: '新县' }).returning('id').executeTakeFirstOrThrow()
  t.ok(next.id > w.org.countyId, 'sequences continue past the restored rows')
  await t.rejects(restoreDatabase(target.url, dir), /not empty/, 'never over existing data')
})
