import t from 'tap'
import { setupCaseWorld, loggedIn, submitIntake, versionOn, APPLICANT, townWindowId, type CaseWorld } from '../fixtures/cases.ts'
import { makeUser } from '../fixtures/factories.ts'
import { revealedFrom } from '../../server/privacy/need-to-see.ts'

t.setTimeout(5 * 60_000)

const MASKED_ID = '110105***********X'
const MASKED_PHONE = '139****5678'

const accessRows = (w: CaseWorld) => w.db.selectFrom('personalDataAccess').selectAll().orderBy('id').execute()

t.test('staff pages show the ID number and phone masked; "show" reveals one field and records it', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  const agent = await loggedIn(w, w.agent)
  const { caseId } = await submitIntake(agent, await w.matterId('MZ-01'), { ...APPLICANT, materialsReceived: ['书面申请', '居民身份证', '受灾情况说明'] })
  const { applicantId } = await w.db.selectFrom('cases').select('applicantId').where('id', '=', caseId!).executeTakeFirstOrThrow()

  for (const url of [`/cases/${caseId}`, `/applicants/${applicantId}`, '/ledger']) {
    const page = await agent.get(url)
    t.equal(page.statusCode, 200, url)
    t.notMatch(page.body, APPLICANT.phone, `${url}: no full phone`)
    t.notMatch(page.body, APPLICANT.idNumber, `${url}: no full ID number`)
    t.match(page.body, MASKED_PHONE, `${url}: the phone masked`)
    t.match(page.body, `action="/applicants/${applicantId}/reveal"`, `${url}: with the "show" control`)
  }
  const casePage = await agent.get(`/cases/${caseId}`)
  t.match(casePage.body, MASKED_ID)
  t.match(casePage.body, /name="field" value="id_number"><input type="hidden" name="from" value="\/cases\/\d+">/, 'the control says which field and which page')
  t.match(casePage.body, '>显示</button>')
  t.same(await accessRows(w), [], 'looking at pages records nothing')

  w.clock.set('2026-03-02 10:15')
  const shown = await agent.post(`/applicants/${applicantId}/reveal`, { field: 'id_number', from: `/cases/${caseId}` })
  t.equal(shown.statusCode, 200)
  t.match(shown.body, '张小三')
  t.match(shown.body, `data-revealed>${APPLICANT.idNumber}</p>`, 'the full ID number, large')
  t.notMatch(shown.body, APPLICANT.phone, 'one field only')
  t.match(shown.body, '此次查看已记录：王代办，2026-03-02 10:15')
  t.match(shown.body, `href="/cases/${caseId}"`, 'back to the page it came from')
  const rows = await accessRows(w)
  t.equal(rows.length, 1, 'one record')
  t.match(rows[0], { kind: 'reveal', actorId: w.agent.id, countyId: w.org.countyId, applicantId, field: 'id_number', page: `/cases/${caseId}`, exportName: null, rowCount: null })
  t.equal(new Date(rows[0].at).toISOString(), new Date('2026-03-02T10:15:00+08:00').toISOString(), 'when, by the app clock')

  const phone = await (await loggedIn(w, w.supervisor)).post(`/applicants/${applicantId}/reveal`, { field: 'phone', from: `/applicants/${applicantId}` })
  t.equal(phone.statusCode, 200, 'the town supervisor may reveal')
  t.match(phone.body, `data-revealed><a href="tel:${APPLICANT.phone}">${APPLICANT.phone}</a></p>`)
  t.match((await accessRows(w))[1], { kind: 'reveal', actorId: w.supervisor.id, field: 'phone', page: `/applicants/${applicantId}` })

  // In English too.
  const county = await loggedIn(w, w.countySupervisor)
  await county.get('/lang/en')
  const english = await county.post(`/applicants/${applicantId}/reveal`, { field: 'phone', from: '/ledger?stage=registered' })
  t.match(english.body, 'This view has been recorded')
  t.match(english.body, 'href="/ledger?stage&#x3D;registered"', 'the page with its query')
  t.equal((await accessRows(w)).length, 3)
})

t.test('out of scope, missing or malformed: 404 and no record; no field, no record', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  const agent = await loggedIn(w, w.agent)
  const { caseId } = await submitIntake(agent, await w.matterId('MZ-01'), { ...APPLICANT, idNumber: '', decision: 'register' })
  const { applicantId } = await w.db.selectFrom('cases').select('applicantId').where('id', '=', caseId!).executeTakeFirstOrThrow()

  const other = await loggedIn(w, w.otherAgent)
  const foreign = await other.post(`/applicants/${applicantId}/reveal`, { field: 'phone', from: '/' })
  t.equal(foreign.statusCode, 404, "another village's applicant")
  t.notMatch(foreign.body, APPLICANT.phone)
  const missing = await other.post('/applicants/999999/reveal', { field: 'phone', from: '/' })
  t.equal(missing.statusCode, 404, 'a missing applicant: the same answer')
  t.equal((await other.post('/applicants/abc/reveal', { field: 'phone' })).statusCode, 404, 'a malformed id')
  t.equal((await other.post(`/applicants/${applicantId}/reveal`, {})).statusCode, 404, 'out of scope even with no field')
  const admin = await loggedIn(w, await makeUser(w.db, w.org, 'admin'))
  t.equal((await admin.post(`/applicants/${applicantId}/reveal`, { field: 'name' })).statusCode, 400, 'an unknown field')

  const none = await agent.post(`/applicants/${applicantId}/reveal`, { field: 'id_number', from: `/cases/${caseId}` })
  t.equal(none.statusCode, 200)
  t.match(none.body, '此人未登记该项')
  t.notMatch(none.body, '已记录')
  t.same(await accessRows(w), [], 'nothing recorded')
})

t.test('a clerk may reveal only the applicants of cases at the clerk’s window', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  const agent = await loggedIn(w, w.agent)
  const clerk = await loggedIn(w, w.clerk)
  const { caseId } = await submitIntake(agent, await w.matterId('MZ-01'), { ...APPLICANT, materialsReceived: ['书面申请', '居民身份证', '受灾情况说明'] })
  const { applicantId } = await w.db.selectFrom('cases').select('applicantId').where('id', '=', caseId!).executeTakeFirstOrThrow()
  t.equal((await clerk.post(`/applicants/${applicantId}/reveal`, { field: 'phone', from: '/' })).statusCode, 404, 'not yet at the window')

  const page = await agent.get(`/cases/${caseId}`)
  t.equal((await agent.post(`/cases/${caseId}/forward`, { version: versionOn(page.body), windowId: townWindowId(w), method: 'online' })).statusCode, 303)
  const clerkPage = await clerk.get(`/cases/${caseId}`)
  t.notMatch(clerkPage.body, APPLICANT.idNumber, 'the clerk sees it masked too')
  const shown = await clerk.post(`/applicants/${applicantId}/reveal`, { field: 'id_number', from: `/cases/${caseId}` })
  t.equal(shown.statusCode, 200, 'at the window: may reveal')
  t.match(shown.body, APPLICANT.idNumber)
  t.equal((await (await loggedIn(w, w.otherClerk)).post(`/applicants/${applicantId}/reveal`, { field: 'phone', from: '/' })).statusCode, 404, 'another window of the same town')
  const rows = await accessRows(w)
  t.equal(rows.length, 1)
  t.match(rows[0], { actorId: w.clerk.id, applicantId, field: 'id_number' })
})

t.test('a page outside the site is never linked back to', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  const agent = await loggedIn(w, w.agent)
  const { caseId } = await submitIntake(agent, await w.matterId('MZ-01'), { ...APPLICANT, materialsReceived: ['书面申请', '居民身份证', '受灾情况说明'] })
  const { applicantId } = await w.db.selectFrom('cases').select('applicantId').where('id', '=', caseId!).executeTakeFirstOrThrow()
  for (const from of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)', '', 'cases/1']) {
    const res = await agent.post(`/applicants/${applicantId}/reveal`, { field: 'phone', from })
    t.equal(res.statusCode, 200, `from ${JSON.stringify(from)}`)
    t.notMatch(res.body, 'evil.example', `from ${JSON.stringify(from)}: not linked`)
    t.match(res.body, `href="/applicants/${applicantId}"`, `from ${JSON.stringify(from)}: back to the person file instead`)
  }
  const pages = (await accessRows(w)).map((r) => r.page)
  t.same(pages, Array(6).fill(`/applicants/${applicantId}`), 'recorded as from the person file')
})

t.test('revealedFrom keeps same-site paths only', async (t) => {
  const rows: [string | undefined, string][] = [
    ['/cases/12', '/cases/12'],
    ['/ledger?stage=registered&before=9', '/ledger?stage=registered&before=9'],
    ['/', '/'],
    [undefined, '/applicants/7'],
    ['', '/applicants/7'],
    ['//evil.example', '/applicants/7'],
    ['/\\evil.example', '/applicants/7'],
    ['https://evil.example/cases/1', '/applicants/7'],
    ['cases/1', '/applicants/7'],
    ['/cases/1\r\nSet-Cookie: x', '/applicants/7'],
    [`/${'a'.repeat(300)}`, '/applicants/7'],
  ]
  for (const [from, expected] of rows) t.equal(revealedFrom(from, 7), expected, JSON.stringify(from))
})

t.test('the reply step shows the phone masked; "show the number to call" reveals it as a tel: link, recorded', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  const agent = await loggedIn(w, w.agent)
  const clerk = await loggedIn(w, w.clerk)
  const { caseId } = await submitIntake(agent, await w.matterId('MZ-01'), { ...APPLICANT, materialsReceived: ['书面申请', '居民身份证', '受灾情况说明'] })
  let page = await agent.get(`/cases/${caseId}`)
  await agent.post(`/cases/${caseId}/forward`, { version: versionOn(page.body), windowId: townWindowId(w), method: 'online' })
  page = await clerk.get(`/cases/${caseId}`)
  await clerk.post(`/cases/${caseId}/receive`, { version: versionOn(page.body) })
  page = await clerk.get(`/cases/${caseId}`)
  t.equal((await clerk.post(`/cases/${caseId}/complete`, { version: versionOn(page.body), outcome: 'approved', reason: '' })).statusCode, 303)
  page = await agent.get(`/cases/${caseId}`)
  t.match(page.body, 'id="step-reply"')
  t.notMatch(page.body, APPLICANT.phone, 'the reply form shows no full phone')
  t.notMatch(page.body, APPLICANT.idNumber, 'the ID number stays masked')
  t.match(page.body, /<p class="reply-contact">[^\n]*139\*\*\*\*5678[^\n]*form="reply-call"/, 'the reply step: the phone masked, and a button for the reveal form')
  t.match(page.body, new RegExp(`<form id="reply-call" method="post" action="/applicants/(\\d+)/reveal" hidden>[\\s\\S]*name="field" value="phone"[\\s\\S]*name="from" value="/cases/${caseId}"`), 'that form reveals the phone, from this case')
  t.same(await accessRows(w), [], 'the page alone records nothing')
  const { applicantId } = await w.db.selectFrom('cases').select('applicantId').where('id', '=', caseId!).executeTakeFirstOrThrow()
  const call = await agent.post(`/applicants/${applicantId}/reveal`, { field: 'phone', from: `/cases/${caseId}` })
  t.equal(call.statusCode, 200)
  t.match(call.body, `<a href="tel:${APPLICANT.phone}">${APPLICANT.phone}</a>`, 'the number to call, as a tel: link')
  t.match(await accessRows(w), [{ kind: 'reveal', actorId: w.agent.id, applicantId, field: 'phone', page: `/cases/${caseId}` }], 'the call is a recorded look')
})
