import t from 'tap'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import path from 'node:path'
import { sql } from 'kysely'
import { setupCaseWorld, loggedIn, submitIntake, act, APPLICANT, type CaseWorld } from '../fixtures/cases.ts'
import { createTestDatabase } from '../fixtures/database.ts'
import { makeOrg, makeUser } from '../fixtures/factories.ts'
import { anonymiseDormantApplicants, purgeExpiredAccessRecords, removeOldImportWorkbooks } from '../../server/privacy/retention.ts'
import { dryRunOf } from '../fixtures/imports.ts'
import { existsSync } from 'node:fs'
import { monthlyStats, staffPerformance, totalsOf } from '../../server/supervision/stats.ts'
import { ledgerQuery } from '../../server/ledger/ledger.repository.ts'
import { loadCalendar } from '../../server/calendar/calendar.repository.ts'
import { ConfigError, loadConfig } from '../../server/config/config.ts'
import type { Scope } from '../../server/accounts/actor.ts'
import type { Db } from '../../server/db/connect.ts'

// Two worlds and command-line runs: a busy machine needs more than tap's 30 s.
t.setTimeout(5 * 60_000)

const TIME_ZONE = 'Asia/Shanghai'
const RULE = { years: 5, timeZone: TIME_ZONE }
/** Six years and a bit after the fixture's March 2026. */
const LATER = new Date('2032-06-01T09:00:00+08:00')

/** Every figure the product shows for 2026 that the dormant applicant's cases and visit count in. */
async function statistics(w: CaseWorld) {
  const scope: Scope = { kind: 'county', countyId: w.org.countyId }
  const months = Array.from({ length: 12 }, (_, i) => `2026-${String(i + 1).padStart(2, '0')}`)
  const year = await Promise.all(months.map((m) => monthlyStats(w.db, w.org.countyId, scope, m, TIME_ZONE)))
  const march = year[2]
  const calendar = await loadCalendar(w.db)
  const ledger = await ledgerQuery(w.db, scope, { from: '2026-01-01', to: '2026-12-31', today: '2026-12-31' })
    .clearSelect()
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow()
  return {
    march: { detail: march.detail, visits: [...march.visitsByVillage.entries()] },
    marchTotals: totalsOf(march.detail, [...march.visitsByVillage.values()]),
    yearTotals: totalsOf(year.flatMap((m) => m.detail), year.flatMap((m) => [...m.visitsByVillage.values()])),
    staff: await staffPerformance(w.db, w.org.countyId, scope, '2026-03', calendar, (window) => window.name),
    ledgerRows: Number(ledger.n),
  }
}

const applicantOf = async (db: Db, caseId: string) => (await db.selectFrom('cases').select('applicantId').where('id', '=', caseId).executeTakeFirstOrThrow()).applicantId
const person = (db: Db, id: number) => db.selectFrom('applicants').select(['name', 'idNumberSealed', 'idNumberHash', 'phone', 'address', 'villageGroup', 'anonymisedAt']).where('id', '=', id).executeTakeFirstOrThrow()

t.test('an applicant with nothing for years is anonymised; the statistics do not change', async (t) => {
  t.setTimeout(240_000)
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  const agent = await loggedIn(w, w.agent)
  const step = async (caseId: string, action: string, form: Record<string, string> = {}) => {
    t.equal((await act(agent, caseId, action, form)).statusCode, 303, `${action} on ${caseId}`)
  }
  const onTheSpot = async (fields: Record<string, string>) =>
    (await submitIntake(agent, await w.matterId('LB-03'), { ...fields, serviceForm: 'on_the_spot', materialsReceived: ['居民身份证', '户口簿'] })).caseId!

  // March 2026: 张小三's case is done, answered and rated, and he came by once; 李四's too; 王五's case
  // is registered and left open.
  const dormantCase = await onTheSpot(APPLICANT)
  await step(dormantCase, 'complete', { outcome: 'approved' })
  const recentCase = await onTheSpot({ name: '李四', phone: '13700001111', idNumber: '440524198001010013' })
  await step(recentCase, 'complete', { outcome: 'approved' })
  w.clock.set('2026-03-03 10:00')
  await step(dormantCase, 'reply', { how: 'station', overall: 'satisfied' })
  await step(recentCase, 'reply', { how: 'phone', overall: 'very_satisfied' })
  const openCase = (await submitIntake(agent, await w.matterId('MZ-03'), { name: '王五', phone: '13700002222', idNumber: '', decision: 'register' })).caseId!
  const dormant = await applicantOf(w.db, dormantCase)
  const recentVisitor = await applicantOf(w.db, recentCase)
  const withOpenCase = await applicantOf(w.db, openCase)
  await agent.get('/visits')
  t.equal((await agent.post('/visits', { time: '', people: '1', purpose: 'consult', applicantId: String(dormant), told: '问结果', caseNo: '' })).statusCode, 303)
  // The database stamps creation and last change with the machine's clock, not the test's: put
  // them back in March 2026, where the app's clock made these rows.
  for (const table of ['applicants', 'cases'] as const) await sql`update ${sql.table(table)} set created_at = least(created_at, '2026-03-03T10:00+08:00')`.execute(w.db)
  await sql`update cases set updated_at = least(updated_at, '2026-03-03T10:00+08:00')`.execute(w.db)
  // The results-ready texts to 张小三 and 李四 went out that day; one to 王五 is still waiting.
  t.equal((await w.db.updateTable('smsOutbox').set({ status: 'sent', sentAt: new Date('2026-03-03T02:00:00Z') }).executeTakeFirst()).numUpdatedRows, 2n, 'two texts were queued')
  await w.db.insertInto('smsOutbox').values({ countyId: w.org.countyId, caseId: openCase, phone: '13700002222', template: 'result-ready', body: '办结' }).execute()

  // January 2031: 李四 comes by. May 2031: 赵六's file is made (no case yet).
  w.clock.set('2031-01-10 10:00')
  await agent.get('/visits')
  t.equal((await agent.post('/visits', { time: '', people: '1', purpose: 'consult', applicantId: String(recentVisitor), told: '咨询', caseNo: '' })).statusCode, 303)
  const { id: newcomer } = await w.db
    .insertInto('applicants')
    .values({ countyId: w.org.countyId, villageId: w.org.villages[0].id, name: '赵六', phone: '13700003333', createdAt: new Date('2031-05-01T02:00:00Z') })
    .returning('id')
    .executeTakeFirstOrThrow()

  const before = await statistics(w)
  const supervisor = await loggedIn(w, w.countySupervisor)
  const csvBefore = (await supervisor.get('/stats.csv?month=2026-03')).body
  t.equal(before.marchTotals.completed, 2, 'March counts both completed cases')
  t.equal(before.yearTotals.visitBatches, 1, 'and 张小三’s visit (李四’s is in 2031)')
  t.equal(before.ledgerRows, 3)

  t.equal(await anonymiseDormantApplicants(w.db, LATER, { ...RULE, years: 7 }), 0, 'six years is not seven')
  t.equal(await anonymiseDormantApplicants(w.db, LATER, RULE), 1, 'one file anonymised')

  t.same(await person(w.db, dormant), { name: '张*三', idNumberSealed: null, idNumberHash: null, phone: '', address: '', villageGroup: APPLICANT.villageGroup, anonymisedAt: LATER }, 'name reduced, ID, phone and address gone')
  t.same((await person(w.db, recentVisitor)).name, '李四', 'a visit 17 months ago keeps the file whole')
  t.same((await person(w.db, withOpenCase)).phone, '13700002222', 'an open case six years old keeps the file whole')
  t.same((await person(w.db, newcomer)).anonymisedAt, null, 'a file made a year ago is kept')

  const audit = await w.db.selectFrom('auditEvents').select(['actorId', 'action', 'subjectType', 'subjectId', 'data']).where('action', '=', 'applicant.anonymised').execute()
  t.same(audit, [{ actorId: null, action: 'applicant.anonymised', subjectType: 'applicant', subjectId: String(dormant), data: { afterYears: 5, lastActivity: '2026-03-03' } }], 'recorded by the system, with the rule and the last activity')
  t.notMatch(JSON.stringify(audit), /张|139|110105/, 'and no personal data')

  const texts = await w.db.selectFrom('smsOutbox').select(['caseId', 'phone']).orderBy('id').execute()
  t.same(texts, [{ caseId: dormantCase, phone: '' }, { caseId: recentCase, phone: '13700001111' }, { caseId: openCase, phone: '13700002222' }], 'the phone leaves the text sent to 张小三 only')

  t.same(await statistics(w), before, 'the month, the year, staff performance and the 台账 count the same')
  t.equal((await supervisor.get('/stats.csv?month=2026-03')).body, csvBefore, 'the statistics page’s CSV is the same')
  const counts = async () =>
    Promise.all([
      w.db.selectFrom('cases').select((eb) => eb.fn.countAll<string>().as('n')).where('applicantId', '=', dormant).executeTakeFirstOrThrow(),
      w.db.selectFrom('visits').select((eb) => eb.fn.countAll<string>().as('n')).where('applicantId', '=', dormant).executeTakeFirstOrThrow(),
      w.db.selectFrom('caseRatings').select((eb) => eb.fn.countAll<string>().as('n')).where('caseId', '=', dormantCase).executeTakeFirstOrThrow(),
    ])
  t.same((await counts()).map((r) => Number(r.n)), [1, 1, 1], 'the case, the visit and the rating stay')

  const file = await supervisor.get(`/applicants/${dormant}`)
  t.equal(file.statusCode, 200)
  t.match(file.body, '<h1>张*三', 'the file shows the reduced name')
  t.match(file.body, '此档案已于 2032-06-01 按保存期限匿名化', 'and says when it was anonymised')
  t.notMatch(file.body, /13912345678|11010519491231002X|高桥村三组/, 'no phone, ID number or address left on it')
  t.notMatch((await supervisor.get(`/applicants/${recentVisitor}`)).body, '匿名化', 'a whole file has no such notice')

  const picker = await loggedIn(w, w.agent)
  t.notMatch((await picker.get(`/cases/new?q=${encodeURIComponent('三')}`)).body, '张*三', 'the intake picker no longer offers the anonymised file')
  t.match((await picker.get(`/cases/new?q=${encodeURIComponent('李四')}`)).body, '李四', 'while it finds a whole one')

  t.equal(await anonymiseDormantApplicants(w.db, LATER, RULE), 0, 'a second run finds nothing to do')
  t.equal((await w.db.selectFrom('auditEvents').select('id').where('action', '=', 'applicant.anonymised').execute()).length, 1, 'and records nothing')
})

t.test('access records older than the kept years are deleted, younger ones stay, and the purge is recorded', async (t) => {
  const { db } = await createTestDatabase(t)
  const org = await makeOrg(db)
  const clerk = await makeUser(db, org, 'clerk')
  const now = new Date()
  const yearsAgo = (years: number) => {
    const at = new Date(now)
    at.setUTCFullYear(at.getUTCFullYear() - years)
    return at
  }
  const { id: applicantId } = await db.insertInto('applicants').values({ countyId: org.countyId, villageId: org.villages[0].id, name: '张小三', phone: '13912345678' }).returning('id').executeTakeFirstOrThrow()
  const reveal = (at: Date) => ({ countyId: org.countyId, actorId: clerk.id, at, kind: 'reveal' as const, applicantId, field: 'phone' as const, page: `/applicants/${applicantId}` })
  await db.insertInto('personalDataAccess').values([reveal(yearsAgo(4)), reveal(yearsAgo(2))]).execute()
  const kept = async () => (await db.selectFrom('personalDataAccess').select('at').orderBy('at').execute()).map((r) => r.at.getTime())

  t.equal(await purgeExpiredAccessRecords(db, now, { years: 5 }), 0, 'kept five years: the four-year-old record stays')
  t.same(await kept(), [yearsAgo(4).getTime(), yearsAgo(2).getTime()])
  t.equal(await purgeExpiredAccessRecords(db, now, { years: 1 }), 1, 'asked for one year, three are kept all the same')
  t.same(await kept(), [yearsAgo(2).getTime()], 'the two-year-old record stays')
  const audit = await db.selectFrom('auditEvents').select(['actorId', 'action', 'data']).where('action', '=', 'personal_data_access.purged').execute()
  t.same(audit, [{ actorId: null, action: 'personal_data_access.purged', data: { deleted: 1, before: yearsAgo(3).toISOString(), keptYears: 3 } }], 'one event with the count and the cut-off')
  await t.rejects(db.deleteFrom('personalDataAccess').execute(), /append-only for three years/, 'the table itself still refuses to lose a young record')
})

t.test('uploaded workbooks are deleted some days after their import; the job page says so', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  const admin = await makeUser(w.db, w.org, 'admin')
  const browser = await loggedIn(w, admin)
  const now = w.clock.now()
  const old = await dryRunOf(w.db, admin.id, w.org.countyId, TIME_ZONE, () => now)
  const recent = await dryRunOf(w.db, admin.id, w.org.countyId, TIME_ZONE, () => now)
  const jobs = await w.db.selectFrom('importJobs').select(['id', 'filePath']).where('id', 'in', [old, recent]).orderBy('id').execute()
  await sql`update import_jobs set created_at = ${new Date(now.getTime() - 31 * 86_400_000)} where id = ${old}`.execute(w.db)
  t.ok(existsSync(jobs[0].filePath) && existsSync(jobs[1].filePath), 'both workbooks are in DATA_DIR')
  t.equal((await browser.get(`/imports/${old}/errors.xlsx`)).statusCode, 200, 'the old one can still be downloaded')

  t.equal(await removeOldImportWorkbooks(w.db, now, { days: 30 }), 1, 'one workbook past its 30 days')
  t.notOk(existsSync(jobs[0].filePath), 'deleted from DATA_DIR')
  t.ok(existsSync(jobs[1].filePath), 'the recent one stays')
  const page = await browser.get(`/imports/${old}`)
  t.match(page.body, '已于 2026-03-02 按保存期限删除', 'the job page says when it went')
  t.notMatch(page.body, `/imports/${old}/errors.xlsx`, 'and offers no download')
  t.match(page.body, '不存在村', 'the problem list stays')
  t.equal((await browser.get(`/imports/${old}/errors.xlsx`)).statusCode, 404)
  t.notMatch((await browser.get(`/imports/${recent}`)).body, '按保存期限删除', 'the recent job is whole')
  const audit = await w.db.selectFrom('auditEvents').select(['action', 'data']).where('action', '=', 'imports.workbooks_removed').execute()
  t.same(audit, [{ action: 'imports.workbooks_removed', data: { files: 1, olderThanDays: 30 } }], 'recorded')
  t.equal(await removeOldImportWorkbooks(w.db, now, { days: 30 }), 0, 'a second run has nothing to do')
})

t.test('the retention settings: defaults, and access records kept no less than three years', async (t) => {
  const load = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'test', ...env }, { jwtSecret: 'x'.repeat(40), dataDir: '/tmp/bianmin-test' })
  t.match(load({}), { anonymiseAfterYears: 5, accessRecordYears: 3 })
  t.match(load({ ANONYMISE_AFTER_YEARS: '8', ACCESS_RECORD_YEARS: '4' }), { anonymiseAfterYears: 8, accessRecordYears: 4 })
  const refusal = (env: Record<string, string>) => {
    try {
      load(env)
    } catch (error) {
      return error instanceof ConfigError ? error.message : `not a ConfigError: ${error}`
    }
    return 'accepted'
  }
  t.match(refusal({ ACCESS_RECORD_YEARS: '2' }), /^ACCESS_RECORD_YEARS must be at least 3/, 'two years of access records is refused at start')
  t.match(refusal({ ANONYMISE_AFTER_YEARS: '0' }), /^ANONYMISE_AFTER_YEARS must be at least 1/)
  t.match(refusal({ ANONYMISE_AFTER_YEARS: 'five' }), /^ANONYMISE_AFTER_YEARS must be a non-negative integer/)
})

t.test('the operator runs both jobs by hand and reads the counts', async (t) => {
  t.setTimeout(120_000)
  const root = path.resolve(import.meta.dirname, '../..')
  const run = promisify(execFile)
  const { url, db } = await createTestDatabase(t)
  const org = await makeOrg(db)
  await db.insertInto('applicants').values({ countyId: org.countyId, villageId: org.villages[0].id, name: '张小三', phone: '13912345678', createdAt: new Date('2001-05-01T02:00:00Z') }).execute()
  const env = { ...process.env, DATABASE_URL: url, DATA_DIR: '/tmp/bianmin-cli-test', JWT_SECRET: 'x'.repeat(40), NODE_ENV: 'production' }
  const tsx = path.join(root, 'node_modules/.bin/tsx')
  t.match((await run(tsx, ['server/cli/admin.ts', 'anonymise'], { cwd: root, env })).stdout, '1 applicant files anonymised (no case or visit for 5 years).')
  t.match((await run(tsx, ['server/cli/admin.ts', 'purge-access-records'], { cwd: root, env })).stdout, '0 access records older than 3 years deleted.')
  t.same(await db.selectFrom('applicants').select(['name', 'phone']).execute(), [{ name: '张*三', phone: '' }])
  const runs = await db.selectFrom('jobRuns').select(['job', 'rows', 'error']).orderBy('id').execute()
  t.same(runs, [{ job: 'anonymise-dormant-applicants', rows: 1, error: null }, { job: 'purge-access-records', rows: 0, error: null }], 'recorded on the jobs page under the nightly jobs’ names')
})
