import t from 'tap'
import { setupCaseWorld, loggedIn, submitIntake, versionOn, APPLICANT } from '../fixtures/cases.ts'
import { makeUser } from '../fixtures/factories.ts'

const BANNER = '请修改下面标出的内容。'
const hasErrorMarkup = (body: string) => /class="form-error"|class="error"|aria-invalid="true"/.test(body)

t.test('forms opened from a link show no error banner and no field error', async (t) => {
  const w = await setupCaseWorld(t, '2026-11-26 10:00')
  const agent = await loggedIn(w, w.agent)
  const admin = await loggedIn(w, await makeUser(w.db, w.org, 'admin'))
  const anonymous = w.browser()
  const pages: [string, typeof agent][] = [
    [`/cases/new?matterId=${await w.matterId('MZ-03')}`, agent],
    ['/visits', agent],
    ['/fees', agent],
    ['/notices', agent],
    ['/admin/calendar', admin],
    ['/lookup', anonymous],
    ['/deadline', anonymous],
    // A successful calculation is not an error either.
    ['/deadline?start=2026-02-13&days=3', anonymous],
  ]
  for (const [url, who] of pages) {
    const res = await who.get(url)
    t.equal(res.statusCode, 200, url)
    t.notMatch(res.body, BANNER, `${url}: no "fix below" banner`)
    t.notOk(hasErrorMarkup(res.body), `${url}: no error markup`)
  }
})

t.test('a successful look-up shows the progress without an error banner', async (t) => {
  const w = await setupCaseWorld(t, '2026-11-26 10:00')
  const agent = await loggedIn(w, w.agent)
  const { caseId } = await submitIntake(agent, await w.matterId('MZ-03'), { ...APPLICANT, materialsReceived: [] })
  const row = await w.db.selectFrom('cases').select('caseNo').where('id', '=', caseId!).executeTakeFirstOrThrow()
  const villager = w.browser()
  await villager.get(`/lookup?no=${row.caseNo}`)
  const res = await villager.post('/lookup', { no: row.caseNo, tail: APPLICANT.phone.slice(-4) })
  t.equal(res.statusCode, 200)
  t.match(res.body, row.caseNo)
  t.notMatch(res.body, BANNER)
  t.notOk(hasErrorMarkup(res.body))
})

t.test('the look-up asks for 4 digits in the words the page uses', async (t) => {
  const w = await setupCaseWorld(t)
  const villager = w.browser()
  await villager.get('/lookup')
  const res = await villager.post('/lookup', { no: 'JP01-20260213-001', tail: '123' })
  t.equal(res.statusCode, 400)
  t.match(res.body, '请输入 4 位数字。')
  t.notMatch(res.body, '个字符')
  t.match(res.body, 'value="123"', 'the digits typed stay')
})

t.test('stylesheets load for an administrator while next year\'s calendar is missing', async (t) => {
  // From 1 November the admin pages carry a reminder; asset requests have no page locals.
  const w = await setupCaseWorld(t, '2026-11-26 10:00')
  const admin = await loggedIn(w, await makeUser(w.db, w.org, 'admin'))
  const home = await admin.get('/')
  t.match(home.body, '2027', 'the reminder about next year shows on the page')
  for (const asset of ['/assets/app.css', '/assets/pico.min.css']) {
    const res = await admin.get(asset)
    t.equal(res.statusCode, 200, asset)
    t.match(String(res.headers['content-type']), 'text/css')
  }
})

t.test('a missing stylesheet answers 404 in plain text, not a page drawn without its locals', async (t) => {
  const w = await setupCaseWorld(t)
  const res = await w.browser().get('/assets/missing.css')
  t.equal(res.statusCode, 404)
  t.match(String(res.headers['content-type']), 'text/plain')
  t.notMatch(res.body, '/lang/?next=', 'no half-drawn layout')
})

t.test('an empty intake form marks every missing field at once and keeps what was typed', async (t) => {
  const w = await setupCaseWorld(t)
  const agent = await loggedIn(w, w.agent)
  const empty = await submitIntake(agent, await w.matterId('MZ-03'), { name: '', idNumber: '', phone: '', villageGroup: '三组' })
  t.equal(empty.res.statusCode, 400)
  const errors = [...empty.res.body.matchAll(/<small id="(\w+)-error" class="error">/g)].map((m) => m[1]).sort()
  t.same(errors, ['idNumber', 'name', 'phone'], 'name, ID number and phone are all marked')
  t.match(empty.res.body, BANNER)
  t.match(empty.res.body, 'value="三组"', 'the village group typed stays')

  // A schema error (bad phone) and a rule error (no name) show together too.
  const mixed = await submitIntake(agent, await w.matterId('MZ-03'), { name: '', idNumber: APPLICANT.idNumber, phone: '12345' })
  const mixedErrors = [...mixed.res.body.matchAll(/<small id="(\w+)-error" class="error">/g)].map((m) => m[1]).sort()
  t.same(mixedErrors, ['name', 'phone'])
  t.match(mixed.res.body, `value="${APPLICANT.idNumber}"`)
  t.equal((await w.db.selectFrom('cases').select('id').execute()).length, 0, 'nothing was written')
  t.equal((await w.db.selectFrom('applicants').select('id').execute()).length, 0)
})

t.test('a form refused as out of date keeps the text the user typed', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  const agent = await loggedIn(w, w.agent)
  const { caseId } = await submitIntake(agent, await w.matterId('MZ-01'), { ...APPLICANT, materialsReceived: ['书面申请', '居民身份证', '受灾情况说明'] })
  const page = await agent.get(`/cases/${caseId}`)
  const oldVersion = versionOn(page.body)
  // The case moves on in another tab while this one still shows the old version.
  t.equal((await agent.post(`/cases/${caseId}/forward`, { version: oldVersion, windowId: String(w.org.windows[0].id), method: 'online' })).statusCode, 303)
  const stale = await agent.post(`/cases/${caseId}/withdraw`, { version: oldVersion, reason: '申请人外出务工，暂不办理' })
  t.equal(stale.statusCode, 409)
  t.match(stale.body, '此办件在您打开后已被他人修改')
  t.match(stale.body, '申请人外出务工，暂不办理', 'the reason typed is still in the form')
  t.match(stale.body, /<details class="step ending" id="step-withdraw" open>\s*<summary>[^<]*撤回/, 'the withdraw form is open')
  t.not(versionOn(stale.body), oldVersion, 'and it now carries the current version')
})

t.test("a page's own data named like the layout's messages does not print as messages", async (t) => {
  const w = await setupCaseWorld(t)
  const agent = await loggedIn(w, w.agent)
  await agent.get('/notices')
  t.equal((await agent.post('/notices/announcements', { title: '停水通知', body: '明日停水', shownFrom: '2026-02-13', shownTo: '' })).statusCode, 303)
  const page = await agent.get('/notices')
  t.match(page.body, '停水通知')
  t.notMatch(page.body, '[object Object]', 'the notice rows are not drawn as status messages')
})

t.test('a refused withdrawal re-opens its form with the reason typed', async (t) => {
  const w = await setupCaseWorld(t)
  const agent = await loggedIn(w, w.agent)
  await agent.get('/notices')
  await agent.post('/notices/announcements', { title: '停水通知', body: '明日停水', shownFrom: '2026-02-13', shownTo: '' })
  const id = (await w.db.selectFrom('notices').select('id').executeTakeFirstOrThrow()).id
  await agent.get('/notices')
  const long = '理由'.repeat(200)
  const res = await agent.post(`/notices/${id}/withdraw`, { reason: long })
  t.equal(res.statusCode, 400)
  t.match(res.body, `value="${long}"`, 'the reason typed is back in its form')
  t.match(res.body, /<details open><summary>[^<]*撤回/, 'and that form is open')
  t.equal((await w.db.selectFrom('notices').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status, 'published', 'nothing withdrawn')
})
