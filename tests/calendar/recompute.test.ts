import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { setupCaseWorld, loggedIn, submitIntake, act, townWindowId, APPLICANT, type CaseWorld } from '../fixtures/cases.ts'
import { makeOrg, makeUser } from '../fixtures/factories.ts'
import { idCheckChar } from '../../server/applicants/id-number.ts'
import { importCatalogue } from '../../server/matters/matters.service.ts'
import { findMatterByCode } from '../../server/matters/matters.repository.ts'
import { demoCatalogue } from '../../server/demo/matters.ts'
import { forgetCachedCalendar } from '../../server/calendar/calendar.repository.ts'
import type { Browser } from '../fixtures/browser.ts'

t.beforeEach(() => forgetCachedCalendar())

let person = 0
/** A new applicant each time: one ID number, one file. */
const applicant = () => {
  const first17 = `110105194912310${String(10 + ++person).slice(-2)}`
  return { ...APPLICANT, name: `村民${person}`, idNumber: first17 + idCheckChar(first17) }
}

async function materialsOf(w: Pick<CaseWorld, 'db'>, matterId: number): Promise<string[]> {
  const mv = await w.db.selectFrom('matterVersions').select('materials').where('matterId', '=', matterId).orderBy('version', 'desc').executeTakeFirstOrThrow()
  return mv.materials.map((m) => m.name)
}

async function accepted(agent: Browser, matterId: number, materials: string[]): Promise<string> {
  const { res, caseId } = await submitIntake(agent, matterId, { ...applicant(), materialsReceived: materials })
  if (res.statusCode !== 303 || !caseId) throw new Error(`intake failed: ${res.statusCode}`)
  return caseId
}

const caseRow = (w: CaseWorld, id: string) =>
  w.db.selectFrom('cases').select(['stage', 'version', 'forwardDue', 'completeDue', 'replyDue', 'dueOn', 'pausedSince']).where('id', '=', id).executeTakeFirstOrThrow()
const recomputeEvents = (w: CaseWorld, id: string) => w.db.selectFrom('caseEvents').select(['actorId', 'actorRole', 'data']).where('caseId', '=', id).where('action', '=', 'due_recomputed').execute()
const toldAbout = (w: CaseWorld, userId: number, caseId: string) =>
  w.db.selectFrom('notifications').select('params').where('userId', '=', userId).where('caseId', '=', caseId).where('kind', '=', 'deadline.recomputed').execute()

// 2027's schedule with New Year's Day (Friday 1 January) a holiday: every count over it moves by a day.
const SCHEDULE_2027 = JSON.stringify({ source: '测试', blocks: [{ name: '元旦', holidays: ['2027-01-01'], workdays: [] }] })

t.test('importing next year’s schedule moves the open cases’ pending dates in one go', async (t) => {
  // Monday 28 December 2026: 2027's holidays are not yet published.
  const w = await setupCaseWorld(t, '2026-12-28 10:00')
  const admin = await makeUser(w.db, w.org, 'admin')
  const [agent, clerk, supervisor, adminBrowser] = await Promise.all([loggedIn(w, w.agent), loggedIn(w, w.clerk), loggedIn(w, w.supervisor), loggedIn(w, admin)])
  const matterId = await w.matterId('MZ-01') // forward 3, complete 10, reply 2 working days
  const materials = await materialsOf(w, matterId)
  const windowId = townWindowId(w)
  const toWindow = async (id: string) => {
    t.equal((await act(agent, id, 'forward', { windowId, method: 'paper', materialsSent: materials })).statusCode, 303)
    t.equal((await act(clerk, id, 'receive')).statusCode, 303)
  }

  // A: accepted; forward due 2026-12-31, completion 2027-01-11 counted over weekends only.
  const a = await accepted(agent, matterId, materials)
  // B: registered for a decision within 5 working days: 2027-01-04.
  const b = (await submitIntake(agent, matterId, { ...applicant(), decision: 'register' })).caseId!
  // C: completed today: its reply is due 2026-12-30, before any 2027 holiday.
  const c = await accepted(agent, matterId, materials)
  await toWindow(c)
  t.equal((await act(clerk, c, 'complete', { outcome: 'approved', handback: '证明' })).statusCode, 303)
  // D: withdrawn: finished, its stored dates stay as they were.
  const d = await accepted(agent, matterId, materials)
  t.equal((await act(agent, d, 'withdraw', { reason: '申请人撤回' })).statusCode, 303)
  // E: an approved extension to a date the supervisor chose.
  const e = await accepted(agent, matterId, materials)
  await toWindow(e)
  t.equal((await act(clerk, e, 'request_extension', { newDue: '2027-02-15', reason: '需入户核查' })).statusCode, 303)
  t.equal((await act(supervisor, e, 'decide_extension', { decision: 'approved' })).statusCode, 303)
  // F: at the window with its clock stopped (due_on empty).
  const f = await accepted(agent, matterId, materials)
  await toWindow(f)
  t.equal((await act(clerk, f, 'pause', { reason: '等待申请人补充说明' })).statusCode, 303)

  const beforeRows = Object.fromEntries(await Promise.all([a, b, c, d, e, f].map(async (id) => [id, await caseRow(w, id)])))
  t.match(beforeRows[a], { completeDue: '2027-01-11', forwardDue: '2026-12-31', dueOn: '2026-12-31' })
  t.match(beforeRows[b], { dueOn: '2027-01-04' })
  t.match(beforeRows[e], { completeDue: '2027-02-15' })
  t.match(beforeRows[f], { completeDue: '2027-01-11', dueOn: null })

  // Before the import a 2027 date is provisional on the case page and on the printed notice.
  let page = await agent.get(`/cases/${a}`)
  t.match(page.body, /2027-01-11<\/a> <small class="provisional"[^>]*>（暂定）<\/small>/, 'the case page marks the completion date')
  t.notMatch(page.body, /2026-12-31<\/a> <small class="provisional"/, 'a 2026 date is not provisional')
  const notice = await agent.get(`/cases/${a}/documents/acceptance-notice`)
  t.match(notice.body, /<strong>2027-01-11<\/strong> <small class="provisional"[^>]*>（暂定）<\/small>/, 'the acceptance notice marks it')
  if (w.app.printing.available) {
    const pdf = await agent.get(`/cases/${a}/documents/acceptance-notice/pdf`)
    t.equal(pdf.headers['content-type'], 'application/pdf')
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'provisional-')), 'notice.pdf')
    writeFileSync(file, pdf.rawPayload)
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' })
    t.match(text, /2027-01-11\s*（暂定）/, 'the printed PDF says 暂定 beside the date')
  }
  const home = await agent.get('/')
  t.match(home.body, /2027-01-04 · 暂定<\/a>/, 'the due badge of the registered case says 暂定')

  // The administrator imports 2027 through the page.
  const imported = await adminBrowser.post('/admin/calendar/import', { year: '2027', json: SCHEDULE_2027 })
  t.equal(imported.statusCode, 200)
  t.match(imported.body, '已导入 2027 年的 1 个日期')

  const after = Object.fromEntries(await Promise.all([a, b, c, d, e, f].map(async (id) => [id, await caseRow(w, id)])))
  t.match(after[a], { completeDue: '2027-01-12', forwardDue: '2026-12-31', dueOn: '2026-12-31', version: beforeRows[a].version + 1 }, 'A: completion moves a day, the running forward date does not')
  t.match(after[b], { dueOn: '2027-01-05', version: beforeRows[b].version + 1 }, 'B: the registration date moves')
  t.same(after[c], beforeRows[c], 'C: a case whose dates do not move is not written')
  t.same(after[d], beforeRows[d], 'D: a finished case is not touched')
  t.same(after[e], beforeRows[e], 'E: the extension’s chosen date is kept')
  t.match(after[f], { completeDue: '2027-01-12', dueOn: null, pausedSince: '2026-12-28', version: beforeRows[f].version + 1 }, 'F: stopped clock stays stopped, its completion date moves')

  for (const id of [a, b, f]) {
    const events = await recomputeEvents(w, id)
    t.equal(events.length, 1, 'one event per moved case')
    t.match(events[0], { actorId: admin.id, actorRole: 'admin' }, 'recorded as the administrator’s doing')
  }
  t.same((await recomputeEvents(w, a))[0].data, { old: { completeDue: '2027-01-11' }, new: { completeDue: '2027-01-12' } })
  for (const id of [c, d, e]) t.equal((await recomputeEvents(w, id)).length, 0, 'no event where nothing moved')

  // Who holds the case hears of it: the agent for A and B, the window's clerk for F.
  t.match(await toldAbout(w, w.agent.id, a), [{ params: { dueKind: 'complete', oldDue: '2027-01-11', newDue: '2027-01-12' } }])
  t.match(await toldAbout(w, w.agent.id, b), [{ params: { dueKind: 'registration', oldDue: '2027-01-04', newDue: '2027-01-05' } }])
  t.equal((await toldAbout(w, w.clerk.id, f)).length, 1, 'the window holds the paused case')
  t.equal((await toldAbout(w, w.agent.id, f)).length, 0)
  t.equal((await toldAbout(w, w.agent.id, c)).length + (await toldAbout(w, w.clerk.id, e)).length, 0)
  const inbox = await agent.get('/inbox')
  t.match(inbox.body, '的办结时限由 2027-01-11 改为 2027-01-12')

  // 2027 is published now: nothing provisional any more.
  page = await agent.get(`/cases/${a}`)
  t.match(page.body, '2027-01-12</a>')
  t.notMatch(page.body, 'class="provisional"')
  t.notMatch((await agent.get(`/cases/${a}/documents/acceptance-notice`)).body, '暂定')

  // Importing the same schedule again moves nothing and writes nothing.
  t.equal((await adminBrowser.post('/admin/calendar/import', { year: '2027', json: SCHEDULE_2027 })).statusCode, 200)
  t.equal((await recomputeEvents(w, a)).length, 1)
  t.equal((await caseRow(w, a)).version, after[a].version)

  // A single day set on the month page moves them too (back, here).
  const set = await adminBrowser.post('/admin/calendar/days', { date: '2027-01-01', setting: 'default', name: '' })
  t.equal(set.statusCode, 303)
  t.match(set.headers.location, 'moved=3')
  t.match((await adminBrowser.get(String(set.headers.location))).body, '3 件在办办件的时限随之调整')
  t.match(await caseRow(w, a), { completeDue: '2027-01-11' })
})

t.test('a county’s own holiday moves its cases and not another county’s', async (t) => {
  // Wednesday 15 April 2026; Monday 20 April stands in for 三月三.
  const w = await setupCaseWorld(t, '2026-04-15 10:00')
  const admin = await makeUser(w.db, w.org, 'admin', { displayName: '县管理员' })
  const other = await makeOrg(w.db, ['civil_affairs'])
  await importCatalogue(w.db, null, other.countyId, demoCatalogue(), { demo: true })
  const otherAgent = await makeUser(w.db, other, 'agent', { villageId: other.villages[0].id })
  const otherAdmin = await makeUser(w.db, other, 'admin')
  const [agent, agent2, adminBrowser, admin2Browser] = await Promise.all([loggedIn(w, w.agent), loggedIn(w, otherAgent), loggedIn(w, admin), loggedIn(w, otherAdmin)])
  const matterId = await w.matterId('MZ-01')
  const otherMatterId = (await findMatterByCode(w.db, other.countyId, 'MZ-01'))!.matterId
  const mine = await accepted(agent, matterId, await materialsOf(w, matterId))
  const theirs = await accepted(agent2, otherMatterId, await materialsOf(w, otherMatterId))
  t.match(await caseRow(w, mine), { forwardDue: '2026-04-20' })
  t.match(await caseRow(w, theirs), { forwardDue: '2026-04-20' })

  // Bad input: a message per field, values kept, nothing written.
  const bad = await adminBrowser.post('/admin/calendar/regional', { date: '2026-02-30', name: '' })
  t.equal(bad.statusCode, 400)
  t.match(bad.body, '请填写有效日期')
  t.match(bad.body, '请填写假日名称')
  t.match(bad.body, 'value="2026-02-30"')
  const tooLong = await adminBrowser.post('/admin/calendar/regional', { date: '2026-04-20', name: '长'.repeat(51) })
  t.equal(tooLong.statusCode, 400)

  const added = await adminBrowser.post('/admin/calendar/regional', { date: '2026-04-20', name: '三月三' })
  t.equal(added.statusCode, 303)
  t.match(added.headers.location, 'moved=1')
  const month = await adminBrowser.get(String(added.headers.location))
  t.match(month.body, '1 件在办办件的时限随之调整')
  t.match(month.body, /<strong>2026-04-20<\/strong> 三月三 <small class="muted">县管理员 于 2026-04-15 10:00 录入<\/small>/)
  t.match(month.body, /class="rest holiday regional"><strong>20<\/strong><br><small><span class="badge">本县<\/span> 三月三/)
  const twice = await adminBrowser.post('/admin/calendar/regional', { date: '2026-04-20', name: '三月三' })
  t.equal(twice.statusCode, 400)
  t.match(twice.body, '2026-04-20 已是本县假日')

  t.match(await caseRow(w, mine), { forwardDue: '2026-04-21', dueOn: '2026-04-21', completeDue: '2026-04-30' }, 'this county counts its own day off')
  t.match(await caseRow(w, theirs), { forwardDue: '2026-04-20', dueOn: '2026-04-20', completeDue: '2026-04-29', version: 1 }, 'the other county does not')
  t.equal((await recomputeEvents(w, theirs)).length, 0)
  // Cases taken in after the change count the county's day off from the start, the other county's do not.
  t.match(await caseRow(w, await accepted(agent, matterId, await materialsOf(w, matterId))), { forwardDue: '2026-04-21', completeDue: '2026-04-30' }, 'a new case of this county counts it')
  t.match(await caseRow(w, await accepted(agent2, otherMatterId, await materialsOf(w, otherMatterId))), { forwardDue: '2026-04-20', completeDue: '2026-04-29' }, 'a new case of the other county does not')
  t.equal((await toldAbout(w, w.agent.id, mine)).length, 1)
  t.notMatch((await admin2Browser.get('/admin/calendar?year=2026&month=4')).body, /regional-days|<span class="badge">本县/, 'another county’s admin does not see it')
  t.match((await agent.get('/deadline?start=2026-04-15&days=3')).body, '<strong class="due-date">2026-04-21</strong>', 'the county’s staff calculator counts it')
  t.match((await agent2.get('/deadline?start=2026-04-15&days=3')).body, '<strong class="due-date">2026-04-20</strong>')

  // Another county's admin cannot remove it; its own admin can, and the removal is kept.
  const row = await w.db.selectFrom('regionalHolidays').select('id').where('countyId', '=', w.org.countyId).executeTakeFirstOrThrow()
  const refused = await admin2Browser.post(`/admin/calendar/regional/${row.id}/remove`, {})
  t.equal(refused.statusCode, 400)
  t.match(refused.body, '这一天已被删除或不属于本县')
  t.equal((await adminBrowser.post(`/admin/calendar/regional/${row.id}/remove`, {})).statusCode, 303)
  t.match(await w.db.selectFrom('regionalHolidays').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow(), { removedBy: admin.id, name: '三月三' }, 'the removed day stays on record')
  t.equal((await w.db.selectFrom('auditEvents').select('action').where('subjectType', '=', 'regional_holiday').execute()).length, 2)
  t.match(await caseRow(w, mine), { forwardDue: '2026-04-20', completeDue: '2026-04-29' }, 'removing it moves the dates back')
  t.equal((await recomputeEvents(w, mine)).length, 2)
  t.equal((await adminBrowser.post(`/admin/calendar/regional/${row.id}/remove`, {})).statusCode, 400, 'removing twice is refused with a message')
  t.equal((await adminBrowser.post('/admin/calendar/regional/abc/remove', {})).statusCode, 400)

  // English.
  await adminBrowser.get('/lang/en')
  const en = await adminBrowser.post('/admin/calendar/regional', { date: '', name: '' })
  t.equal(en.statusCode, 400)
  t.match(en.body, 'Enter the holiday&#x27;s name.')
  t.match(en.body, 'County&#x27;s own public holidays')
})
