import t from 'tap'
import { idNumberHashes } from '../../server/privacy/id-vault.ts'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { setupCaseWorld, loggedIn, submitIntake, APPLICANT } from '../fixtures/cases.ts'
import { makeOrg, makeUser } from '../fixtures/factories.ts'
import { importCatalogue } from '../../server/matters/matters.service.ts'
import { findMatterByCode } from '../../server/matters/matters.repository.ts'
import { demoCatalogue } from '../../server/demo/matters.ts'

// What two counties on one installation share, and what they do not (issue 15, item 8).

t.test("an ID number with a file in another county is no one's business here: each county keeps its own files", async (t) => {
  const w = await setupCaseWorld(t)
  const otherCounty = await makeOrg(w.db)
  await importCatalogue(w.db, null, otherCounty.countyId, demoCatalogue(), { demo: true })
  const otherAgent = await makeUser(w.db, otherCounty, 'agent', { villageId: otherCounty.villages[0].id })
  const there = await loggedIn(w, otherAgent)
  const thereMatter = (await findMatterByCode(w.db, otherCounty.countyId, 'MZ-03'))!.matterId
  t.equal((await submitIntake(there, thereMatter, { ...APPLICANT, materialsReceived: [] })).res.statusCode, 303, 'filed in the other county')

  const here = await loggedIn(w, w.agent)
  const res = await submitIntake(here, await w.matterId('MZ-03'), { ...APPLICANT, materialsReceived: [] })
  t.equal(res.res.statusCode, 303, 'the same person gets a file here too')
  t.notMatch(res.res.body, '已有档案', 'nothing says a file exists elsewhere')
  const files = await w.db.selectFrom('applicants').select('countyId').where('idNumberHash', 'in', idNumberHashes(APPLICANT.idNumber)).execute()
  t.equal(files.length, 2, 'one file in each county')

  const again = await submitIntake(here, await w.matterId('MZ-03'), { ...APPLICANT, name: '张小三二', materialsReceived: [] })
  t.equal(again.res.statusCode, 400, 'within one county, one ID number is still one file')
  t.match(again.res.body, '此身份证号已有档案')
})

t.test('the holiday schedule is shared: with several counties no county administrator can change it; the operator imports it', async (t) => {
  const w = await setupCaseWorld(t, '2026-11-26 10:00')
  const admin = await loggedIn(w, await makeUser(w.db, w.org, 'admin'))
  await admin.get('/admin/calendar?month=2027-01')
  t.equal((await admin.post('/admin/calendar/days', { date: '2027-01-04', setting: 'holiday', name: '试验假日' })).statusCode, 303, 'with one county its administrator keeps the schedule')

  await makeOrg(w.db) // a second county joins the installation
  const before = await w.db.selectFrom('calendarDays').selectAll().orderBy('date').execute()
  await admin.get('/admin/calendar?month=2027-01')
  const refused = await admin.post('/admin/calendar/days', { date: '2027-01-05', setting: 'holiday', name: '另一假日' })
  t.equal(refused.statusCode, 400)
  t.match(refused.body, '节假日安排全国统一')
  await admin.get('/admin/calendar/import')
  const imported = await admin.post('/admin/calendar/import', { year: '2027', json: JSON.stringify({ source: 'test', blocks: [{ name: '元旦', holidays: ['2027-01-01'], workdays: [] }] }) })
  t.equal(imported.statusCode, 400, 'the import page refuses too')
  t.match(imported.body, '节假日安排全国统一')
  t.same(await w.db.selectFrom('calendarDays').selectAll().orderBy('date').execute(), before, 'nothing changed')

  const year = { source: 'test', blocks: [{ name: '元旦', holidays: ['2027-01-01'], workdays: [] }] }
  const dir = mkdtempSync(path.join(tmpdir(), 'bianmin-calendar-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const jsonFile = path.join(dir, '2027.json')
  writeFileSync(jsonFile, JSON.stringify(year))
  const run = promisify(execFile)
  const root = path.resolve(import.meta.dirname, '../..')
  const out = await run(path.join(root, 'node_modules/.bin/tsx'), ['server/cli/admin.ts', 'import-calendar', '--year', '2027', '--file', jsonFile], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: w.url, DATA_DIR: '/tmp/bianmin-cli-test', JWT_SECRET: 'x'.repeat(40), NODE_ENV: 'production' },
  })
  t.match(out.stdout, '2027: 1 days')
  const jan1 = await w.db.selectFrom('calendarDays').select(['kind', 'name']).where('date', '=', '2027-01-01').executeTakeFirst()
  t.same(jan1, { kind: 'holiday', name: '元旦' }, 'the operator changed the shared schedule')
})
