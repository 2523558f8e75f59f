import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { setupCaseWorld, loggedIn, submitIntake, versionOn, APPLICANT, townWindowId } from '../fixtures/cases.ts'
import { publishOverdueMonthlyLists } from '../../server/notices/notices.service.ts'

const MATERIALS = ['书面申请', '居民身份证', '户口簿', '家庭收入状况证明', '家庭财产申报及授权核对书']
const PERSONAL = ['张小三', '13912345678', '11010519491231002X', '110105']

function pdfText(pdf: Buffer): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'poster-')), 'p.pdf')
  writeFileSync(file, pdf)
  return execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' })
}

t.test('a posting runs on the board, stops the clock and blocks completion until it ends', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  const agent = await loggedIn(w, w.agent)
  const clerk = await loggedIn(w, w.clerk)
  const { caseId } = await submitIntake(agent, await w.matterId('MZ-03'), { ...APPLICANT, materialsReceived: MATERIALS })
  let page = await agent.get(`/cases/${caseId}`)
  const windowId = townWindowId(w)
  await agent.post(`/cases/${caseId}/forward`, { version: versionOn(page.body), windowId, method: 'paper' })
  page = await clerk.get(`/cases/${caseId}`)
  await clerk.post(`/cases/${caseId}/receive`, { version: versionOn(page.body) })
  const dueBefore = (await w.db.selectFrom('cases').select('completeDue').where('id', '=', caseId!).executeTakeFirstOrThrow()).completeDue

  // Agent posts on Tuesday 3 March: 7 calendar days, shown 3–9 March.
  w.clock.set('2026-03-03 09:00')
  page = await agent.get(`/cases/${caseId}`)
  const bad = await agent.post(`/cases/${caseId}/start_posting`, { version: versionOn(page.body), proposedResult: '', householdSize: '0', amount: 'x' })
  t.equal(bad.statusCode, 400)
  t.equal((await w.db.selectFrom('notices').select('id').execute()).length, 0, 'nothing posted on bad input')
  const posted = await agent.post(`/cases/${caseId}/start_posting`, { version: versionOn(page.body), proposedResult: '拟纳入农村低保', householdSize: '3', amount: '450' })
  t.equal(posted.statusCode, 303)

  const board = await w.browser().get(`/board/${w.org.villages[0].code}`)
  t.equal(board.statusCode, 200)
  t.match(board.body, '农村低保对象申报办理公示（第1轮）')
  t.match(board.body, '张*三')
  t.match(board.body, '三组')
  t.match(board.body, '450.00')
  t.match(board.body, '拟纳入农村低保')
  t.match(board.body, '2026-03-03 – 2026-03-09')
  for (const p of PERSONAL) t.notMatch(board.body, p, `the board never shows ${p}`)

  page = await clerk.get(`/cases/${caseId}`)
  t.notMatch(page.body, 'id="step-complete"', 'no completion while posted')
  const forced = await clerk.post(`/cases/${caseId}/complete`, { version: versionOn(page.body), outcome: 'approved' })
  t.equal(forced.statusCode, 400, 'a completion posted by hand is refused')
  t.notMatch(page.body, 'id="step-resume"', 'the clerk cannot restart the clock during the posting')

  // An objection on 5 March; the period ends on the 9th.
  w.clock.set('2026-03-05 10:00')
  page = await agent.get(`/cases/${caseId}`)
  await agent.post(`/cases/${caseId}/record_objection`, { version: versionOn(page.body), objection: '村民反映其子女有稳定收入' })
  w.clock.set('2026-03-10 09:00')
  page = await agent.get(`/cases/${caseId}`)
  t.notMatch(page.body, 'id="step-close_posting"', 'not closed while the objection is open')
  await agent.post(`/cases/${caseId}/resolve_objection`, { version: versionOn(page.body), objectionOutcome: '经入户核实，子女在外务工收入不稳定，维持原意见' })
  page = await agent.get(`/cases/${caseId}`)
  t.equal((await agent.post(`/cases/${caseId}/close_posting`, { version: versionOn(page.body) })).statusCode, 303)
  const after = await w.db.selectFrom('cases').select(['completeDue', 'pausedSince', 'pauses']).where('id', '=', caseId!).executeTakeFirstOrThrow()
  t.equal(after.pausedSince, null)
  t.same(after.pauses, [{ from: '2026-03-04', to: '2026-03-10', reason: 'posting' }])
  t.ok(after.completeDue! > dueBefore!, `the due date moved from ${dueBefore} to ${after.completeDue}`)
  page = await clerk.get(`/cases/${caseId}`)
  t.equal((await clerk.post(`/cases/${caseId}/complete`, { version: versionOn(page.body), outcome: 'approved' })).statusCode, 303, 'completion after the posting')
})

t.test('announcements are plain text; published notices are never edited, only withdrawn, and history stays', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  const agent = await loggedIn(w, w.agent)
  await agent.get('/notices')
  const empty = await agent.post('/notices/announcements', { title: '', body: '正文', shownFrom: '2026-03-02' })
  t.equal(empty.statusCode, 400)
  t.match(empty.body, 'value=""')
  t.match(empty.body, '正文', 'the text typed stays')
  const ok = await agent.post('/notices/announcements', { title: '停水通知<script>alert(1)</script>', body: '3月5日停水。\n请提前储水。<b>谢谢</b>', shownFrom: '2026-03-02', shownTo: '2026-03-06' })
  t.equal(ok.statusCode, 303)
  let board = await w.browser().get(`/board/${w.org.villages[0].code}`)
  t.match(board.body, '停水通知&lt;script&gt;')
  t.notMatch(board.body, '<script>alert(1)</script>')
  t.match(board.body, '3月5日停水。\n请提前储水。&lt;b&gt;谢谢&lt;/b&gt;', 'line breaks kept, markup inert')
  const notice = await w.db.selectFrom('notices').selectAll().executeTakeFirstOrThrow()
  await t.rejects(w.db.updateTable('notices').set({ title: '改过的标题' }).where('id', '=', notice.id).execute(), /never edited/, 'the database refuses to edit it')
  await t.rejects(w.db.deleteFrom('notices').where('id', '=', notice.id).execute(), /never deleted/)

  const noReason = await agent.post(`/notices/${notice.id}/withdraw`, { reason: '' })
  t.equal(noReason.statusCode, 400)
  t.equal((await agent.post(`/notices/${notice.id}/withdraw`, { reason: '停水时间改为3月6日' })).statusCode, 303)
  t.equal((await agent.post('/notices/announcements', { title: '停水通知（更正）', body: '3月6日停水。', shownFrom: '2026-03-02', replacesId: notice.id })).statusCode, 303)
  board = await w.browser().get(`/board/${w.org.villages[0].code}`)
  t.match(board.body, '停水通知（更正）')
  t.match(board.body, '已撤回的公示')
  t.match(board.body, '停水时间改为3月6日', 'the withdrawal reason stays visible')
  const otherAgent = await loggedIn(w, w.otherAgent)
  t.equal((await otherAgent.post(`/notices/${notice.id}/withdraw`, { reason: 'x' })).statusCode, 404, 'another station cannot touch it')
})

t.test('the monthly case list: prepared, approved by the town, or published on the 5th; names masked', async (t) => {
  const w = await setupCaseWorld(t, '2026-02-10 09:00')
  const agent = await loggedIn(w, w.agent)
  const { caseId } = await submitIntake(agent, await w.matterId('LB-03'), { ...APPLICANT, serviceForm: 'on_the_spot', materialsReceived: ['居民身份证', '户口簿'] })
  const page = await agent.get(`/cases/${caseId}`)
  await agent.post(`/cases/${caseId}/complete`, { version: versionOn(page.body), outcome: 'approved' })
  w.clock.set('2026-03-02 09:00')
  await agent.get('/notices')
  t.equal((await agent.post('/notices/monthly', { month: '2026-04' })).statusCode, 400, 'not a future month')
  t.equal((await agent.post('/notices/monthly', { month: '2026-02' })).statusCode, 303)
  t.equal((await agent.post('/notices/monthly', { month: '2026-02' })).statusCode, 400, 'once per month')
  let board = await w.browser().get(`/board/${w.org.villages[0].code}`)
  t.notMatch(board.body, '2026-02 代办事项办理情况', 'not public before approval')
  const supervisor = await loggedIn(w, w.supervisor)
  const list = await supervisor.get(`/notices?villageId=${w.org.villages[0].id}`)
  const id = /action="\/notices\/(\d+)\/approve"/.exec(list.body)![1]
  t.equal((await supervisor.post(`/notices/${id}/approve`)).statusCode, 303)
  board = await w.browser().get(`/board/${w.org.villages[0].code}`)
  t.match(board.body, '2026-02 代办事项办理情况')
  t.match(board.body, '张*三')
  for (const p of PERSONAL) t.notMatch(board.body, p)

  // Another station's list, never approved, goes up on the 5th.
  const other = await loggedIn(w, w.otherAgent)
  await other.get('/notices')
  await other.post('/notices/monthly', { month: '2026-02' })
  t.equal(await publishOverdueMonthlyLists(w.db, '2026-03-04', new Date()), 0, 'not before the 5th')
  t.equal(await publishOverdueMonthlyLists(w.db, '2026-03-05', new Date()), 1)
  t.match((await w.browser().get(`/board/${w.org.villages[2].code}`)).body, '2026-02 代办事项办理情况')
})

t.test('no public page or poster identifies a villager beyond the masked forms', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  const agent = await loggedIn(w, w.agent)
  const clerk = await loggedIn(w, w.clerk)
  const { caseId } = await submitIntake(agent, await w.matterId('MZ-03'), { ...APPLICANT, materialsReceived: MATERIALS })
  let page = await agent.get(`/cases/${caseId}`)
  await agent.post(`/cases/${caseId}/forward`, { version: versionOn(page.body), windowId: String(w.org.windows[0].id), method: 'paper' })
  page = await clerk.get(`/cases/${caseId}`)
  await clerk.post(`/cases/${caseId}/receive`, { version: versionOn(page.body) })
  page = await agent.get(`/cases/${caseId}`)
  await agent.post(`/cases/${caseId}/start_posting`, { version: versionOn(page.body), proposedResult: '拟纳入', householdSize: '2', amount: '300' })
  const caseNo = (await w.db.selectFrom('cases').select('caseNo').where('id', '=', caseId!).executeTakeFirstOrThrow()).caseNo
  const visitor = w.browser()
  const pages = ['/board', `/board/${w.org.villages[0].code}`, '/guides', '/guides/MZ-03', '/deadline?start=2026-03-02&days=5', `/lookup?no=${caseNo}`, '/login']
  const outputs: string[] = []
  for (const url of pages) {
    const res = await visitor.get(url)
    t.equal(res.statusCode, 200, url)
    outputs.push(res.body)
  }
  await visitor.get('/lookup')
  outputs.push((await visitor.post('/lookup', { no: caseNo, tail: '5678' })).body)
  for (const size of ['A4', 'A3']) {
    const res = await agent.get(`/board/${w.org.villages[0].code}/poster?size=${size}`)
    t.equal(res.headers['content-type'], 'application/pdf', `poster ${size}`)
    const text = pdfText(res.rawPayload)
    t.match(text, '张*三', `the ${size} poster shows the masked name`)
    t.match(text, `/board/${w.org.villages[0].code}`, 'and the online address of its QR code')
    outputs.push(text)
  }
  const all = outputs.join('\n')
  for (const p of PERSONAL) t.notMatch(all, p, `nowhere: ${p}`)
  t.notMatch(all, /\d{17}[\dX]/, 'no 18-character ID number in any form')
  // The only full mobile numbers shown are the station agents' own (public station facts).
  const staffPhones = new Set((await w.db.selectFrom('users').select('phone').where('role', '=', 'agent').execute()).map((u) => u.phone))
  const mobiles = [...all.matchAll(/(?<!\d)1[3-9]\d{9}(?!\d)/g)].map((m) => m[0])
  t.same(mobiles.filter((m) => !staffPhones.has(m)), [], 'no villager mobile number')
  t.equal((await visitor.get(`/board/${w.org.villages[0].code}/poster`)).statusCode, 303, 'posters are printed by staff')
})

t.test('station facts are edited by the station’s agents and its supervisors, and shown on the board', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  const agent = await loggedIn(w, w.agent)
  await agent.get('/notices')
  const bad = await agent.post('/notices/facts', { stationPhone: '12345', officeHours: '每周一至周五' })
  t.equal(bad.statusCode, 400)
  t.match(bad.body, '每周一至周五', 'the hours typed stay')
  t.equal((await agent.post('/notices/facts', { stationPhone: '0816-3200001', officeHours: '逢场天全天' })).statusCode, 303)
  const board = await w.browser().get(`/board/${w.org.villages[0].code}`)
  t.match(board.body, '0816-3200001')
  t.match(board.body, '逢场天全天')
  const supervisor = await loggedIn(w, w.supervisor)
  await supervisor.get(`/notices?villageId=${w.org.villages[1].id}`)
  t.equal((await supervisor.post('/notices/facts', { villageId: String(w.org.villages[1].id), stationPhone: '', officeHours: '周三' })).statusCode, 303)
  t.equal((await supervisor.post('/notices/facts', { villageId: String(w.org.villages[2].id), stationPhone: '', officeHours: '周三' })).statusCode, 404, 'not another town’s station')
})
