import t, { type Test } from 'tap'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import ExcelJS from '../../server/exports/exceljs.ts'
import { setupCaseWorld, loggedIn, submitIntake, act, APPLICANT, type CaseWorld } from '../fixtures/cases.ts'
import { makeUser } from '../fixtures/factories.ts'
import { idCheckChar } from '../../server/applicants/id-number.ts'
import { specOf } from '../../server/imports/kinds.ts'
import { translator } from '../../server/i18n/i18n.ts'
import { applicantsOfCases, countedRows } from '../../server/privacy/export-record.ts'

t.setTimeout(10 * 60_000)

const SECOND = { ...APPLICANT, name: '李四', phone: '13700001111', idNumber: `${'11010519800101001'}${idCheckChar('11010519800101001')}` }

const exportRows = (w: CaseWorld) => w.db.selectFrom('personalDataAccess').selectAll().where('kind', '=', 'export').orderBy('id').execute()

/** Asks for one export and checks it wrote exactly one record, with its row count and people. */
async function expectOneRecord(t: Test, w: CaseWorld, get: () => Promise<{ statusCode: number; headers: Record<string, unknown> }>, expected: { exportName: string; rowCount: number; applicantIds?: number[] | null; actorId: number }) {
  const before = (await exportRows(w)).length
  const res = await get()
  t.equal(res.statusCode, 200, `${expected.exportName}: sent`)
  const rows = (await exportRows(w)).slice(before)
  t.equal(rows.length, 1, `${expected.exportName}: one record`)
  t.match(rows[0], { exportName: expected.exportName, rowCount: expected.rowCount, actorId: expected.actorId, applicantId: null, field: null }, `${expected.exportName}: name, rows, who`)
  if (expected.applicantIds !== undefined) t.same(rows[0]?.applicantIds ?? null, expected.applicantIds, `${expected.exportName}: whose data`)
  return rows[0]
}

t.test('each export of personal data writes one record with its row count and its people', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  const agent = await loggedIn(w, w.agent)
  const first = await submitIntake(agent, await w.matterId('GD-01'), { ...APPLICANT, materialsReceived: ['有线电视用户证或缴费卡'] })
  const second = await submitIntake(agent, await w.matterId('MZ-01'), { ...SECOND, idNumber: '', decision: 'register' })
  const applicantOf = async (caseId: string) => (await w.db.selectFrom('cases').select('applicantId').where('id', '=', caseId).executeTakeFirstOrThrow()).applicantId
  const [a1, a2] = [await applicantOf(first.caseId!), await applicantOf(second.caseId!)]
  const both = [a1, a2].sort((x, y) => x - y)
  const { caseNo } = await w.db.selectFrom('cases').select('caseNo').where('id', '=', first.caseId!).executeTakeFirstOrThrow()
  await agent.get('/visits')
  t.equal((await agent.post('/visits', { time: '09:15', people: '2', purpose: 'consult', told: '问低保', applicantId: String(a1), caseNo: '' })).statusCode, 303)
  t.equal((await agent.post('/visits', { time: '09:30', people: '1', purpose: 'business', told: '', caseNo: '' })).statusCode, 303)
  await agent.get('/fees')
  t.equal((await agent.post('/fees', { kind: 'collect', amount: '288', department: 'broadcasting', payer: '张小三', caseNo })).statusCode, 303)
  const me = { actorId: w.agent.id }

  // The ledger: every row streamed, and the applicants of its cases.
  const csv = await expectOneRecord(t, w, () => agent.get('/ledger.csv'), { exportName: 'ledger.csv', rowCount: 2, applicantIds: both, ...me })
  t.equal(csv.page, '/ledger.csv')
  await expectOneRecord(t, w, () => agent.get('/ledger.xlsx?stage=registered'), { exportName: 'ledger.xlsx', rowCount: 1, applicantIds: [a2], ...me })
  t.equal((await exportRows(w)).at(-1)!.page, '/ledger.xlsx?stage=registered', 'the page with its filter')
  await expectOneRecord(t, w, () => agent.get('/ledger.pdf'), { exportName: 'ledger.pdf', rowCount: 2, applicantIds: both, ...me })
  await expectOneRecord(t, w, () => agent.get('/ledger.csv?from=2030-01-01'), { exportName: 'ledger.csv', rowCount: 0, applicantIds: [], ...me })

  // The person file on paper: one person.
  await expectOneRecord(t, w, () => agent.get(`/applicants/${a1}/pdf`), { exportName: 'person-file.pdf', rowCount: 1, applicantIds: [a1], ...me })

  // Visits: two, one of them about a known applicant.
  for (const [url, name] of [['/visits.csv?month=2026-03', 'visits.csv'], ['/visits.xlsx?month=2026-03', 'visits.xlsx'], ['/visits/pdf?month=2026-03', 'visits.pdf']]) {
    await expectOneRecord(t, w, () => agent.get(url), { exportName: name, rowCount: 2, applicantIds: [a1], ...me })
  }
  // The fee journal names its payers.
  for (const [url, name] of [['/fees.csv?from=2026-03-02&to=2026-03-02', 'fees.csv'], ['/fees.xlsx?from=2026-03-02&to=2026-03-02', 'fees.xlsx'], ['/fees/pdf?from=2026-03-02&to=2026-03-02', 'fees.pdf']]) {
    await expectOneRecord(t, w, () => agent.get(url), { exportName: name, rowCount: 1, applicantIds: [a1], ...me })
  }

  // Statistics, the overdue list and the villager's own papers carry no one else's data: not recorded.
  const before = (await exportRows(w)).length
  const supervisor = await loggedIn(w, w.supervisor)
  for (const [who, url] of [[agent, '/stats.csv'], [agent, '/stats.xlsx'], [supervisor, '/overdue.csv'], [supervisor, '/overdue.xlsx'], [agent, `/cases/${first.caseId}/documents/acceptance-notice`], [agent, `/cases/${first.caseId}/documents/acceptance-notice/pdf`]] as const) {
    t.equal((await who.get(url)).statusCode, 200, url)
  }
  t.equal((await exportRows(w)).length, before, 'statistics, overdue lists and receipts: no record')
  t.same(await w.db.selectFrom('personalDataAccess').select('id').where('kind', '!=', 'export').execute(), [], 'and no reveal either')
})

t.test('the 好差评 export, CSV and JSON, is recorded with its records', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  const agent = await loggedIn(w, w.agent)
  const { caseId } = await submitIntake(agent, await w.matterId('LB-03'), { ...APPLICANT, serviceForm: 'on_the_spot', materialsReceived: ['居民身份证', '户口簿'] })
  t.equal((await act(agent, caseId!, 'complete', { outcome: 'approved' })).statusCode, 303)
  t.equal((await act(agent, caseId!, 'reply', { how: 'station', overall: 'satisfied' })).statusCode, 303)
  const { applicantId } = await w.db.selectFrom('cases').select('applicantId').where('id', '=', caseId!).executeTakeFirstOrThrow()
  const county = await loggedIn(w, w.countySupervisor)
  const csv = await expectOneRecord(t, w, () => county.get('/ratings/export.csv?month=2026-03'), { exportName: 'ratings.csv', rowCount: 1, applicantIds: [applicantId], actorId: w.countySupervisor.id })
  t.equal(csv.page, '/ratings/export.csv?month=2026-03')
  await expectOneRecord(t, w, () => county.get('/ratings/export.json?month=2026-03'), { exportName: 'ratings.json', rowCount: 1, applicantIds: [applicantId], actorId: w.countySupervisor.id })
  await expectOneRecord(t, w, () => county.get('/ratings/export.json?month=2026-02'), { exportName: 'ratings.json', rowCount: 0, applicantIds: [], actorId: w.countySupervisor.id })
})

t.test("an import's errors.xlsx is recorded with the uploaded rows it carries", async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  const admin = await makeUser(w.db, w.org, 'admin')
  const browser = await loggedIn(w, admin)
  const kind = specOf('applicants')
  const tr = translator('zh-CN')
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'bianmin-privacy-')), 'upload.xlsx')
  const workbook = new ExcelJS.Workbook()
  const sheet = workbook.addWorksheet('申请人档案')
  sheet.addRow(kind.columns.map((c) => tr(`imports.columns.${c.key}`)))
  for (const name of ['甲', '乙', '丙']) sheet.addRow(kind.columns.map((c) => (c.key === 'name' ? name : c.key === 'phone' ? '13912345678' : c.key === 'village' ? w.org.villages[0].name : '')))
  await workbook.xlsx.writeFile(file)
  const job = await w.db
    .insertInto('importJobs')
    .values({ countyId: w.org.countyId, kind: 'applicants', mode: 'dry_run', status: 'done', fileName: 'upload.xlsx', filePath: file, fileSha256: '0'.repeat(64), dryRunId: null, createdBy: admin.id })
    .returning('id')
    .executeTakeFirstOrThrow()
  await expectOneRecord(t, w, () => browser.get(`/imports/${job.id}/errors.xlsx`), { exportName: 'import-errors.xlsx', rowCount: 3, applicantIds: null, actorId: admin.id })
})

t.test('a download cut off is recorded with the rows that went out', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  const agent = await w.db.selectFrom('users').selectAll().where('id', '=', w.agent.id).executeTakeFirstOrThrow()
  const actor = { ...agent, post: null, townId: w.org.towns[0].id, tokenVersion: 0 } as never
  const rows = countedRows([{ a: 1 }, { a: 2 }, { a: 3 }, { a: 4 }], { db: w.db, actor, exportName: 'test.csv', page: '/test.csv', whose: { applicantId: () => null }, now: () => new Date('2026-03-02T01:00:00Z') })
  t.same((await rows.next()).value, { a: 1 })
  t.same((await rows.next()).value, { a: 2 })
  t.same(await exportRows(w), [], 'nothing recorded while it streams')
  await rows.return(undefined)
  const recorded = await exportRows(w)
  t.equal(recorded.length, 1)
  t.match(recorded[0], { exportName: 'test.csv', rowCount: 2, page: '/test.csv' })
})

t.test("a large export's people are looked up in one query, past PostgreSQL's 65,535 parameters", async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  const agent = await loggedIn(w, w.agent)
  const { caseId } = await submitIntake(agent, await w.matterId('MZ-01'), { ...APPLICANT, idNumber: '', decision: 'register' })
  const { applicantId } = await w.db.selectFrom('cases').select('applicantId').where('id', '=', caseId!).executeTakeFirstOrThrow()
  const ids = [caseId!, ...Array.from({ length: 70_000 }, (_, i) => String(1_000_000 + i))]
  t.same(await applicantsOfCases(w.db, ids), [applicantId])
})
