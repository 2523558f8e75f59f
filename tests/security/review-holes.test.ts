import t from 'tap'
import { setupCaseWorld, loggedIn, submitIntake, APPLICANT } from '../fixtures/cases.ts'
import { safeNext } from '../../server/i18n/plugin.ts'

// The holes a security review found (issue 15), each checked from the outside.

t.test("an agent cannot take in another village's applicant by posting their file id", async (t) => {
  const w = await setupCaseWorld(t)
  const other = await loggedIn(w, w.otherAgent)
  const theirs = await submitIntake(other, await w.matterId('MZ-03'), { ...APPLICANT, name: '李外村', phone: '13700001111' })
  const applicantId = (await w.db.selectFrom('cases').select('applicantId').where('id', '=', theirs.caseId!).executeTakeFirstOrThrow()).applicantId

  const agent = await loggedIn(w, w.agent)
  const before = (await w.db.selectFrom('cases').select('id').execute()).length
  const res = await submitIntake(agent, await w.matterId('MZ-03'), { applicantId: String(applicantId), materialsReceived: [] })
  t.equal(res.res.statusCode, 400, 'refused with the form')
  t.notMatch(res.res.body, '李外村', "the other village's person is not shown")
  t.notMatch(res.res.body, '13700001111')
  t.equal((await w.db.selectFrom('cases').select('id').execute()).length, before, 'no case was written')
})

t.test('next= accepts same-origin paths only', async (t) => {
  const cases: [string, string][] = [
    ['/cases?q=1', '/cases?q=1'],
    ['/board/JP01#notices', '/board/JP01#notices'],
    ['//evil.com', '/'],
    ['/\t/evil.com', '/'],
    ['/\n/evil.com', '/'],
    ['/\\evil.com', '/'],
    ['/\\\\evil.com', '/'],
    ['https://evil.com', '/'],
    ['javascript:alert(1)', '/'],
    ['', '/'],
    ['/.//evil.com', '/'],
    ['/%2e//evil.com', '/'],
    ['/%2E%2E//evil.com', '/'],
    ['/a/..//evil.com', '/'],
    ['/./\\evil.com', '/'],
    ['/a/./b/../c', '/a/c'],
  ]
  for (const [given, expected] of cases) t.equal(safeNext(given), expected, JSON.stringify(given))

  const w = await setupCaseWorld(t)
  const browser = w.browser()
  const lang = await browser.get('/lang/en?next=/%09/evil.com')
  t.equal(lang.headers.location, '/', 'a %09-prefixed host on /lang goes home')
  for (const url of ['/lang/en?next=/.//evil.com', '/text-size/large?next=/%2e//evil.com', '/text-size/large?next=/%252e//evil.com', '/text-size/normal?next=/a/..//evil.com']) {
    const res = await browser.get(url)
    t.equal(res.headers.location, '/', `${url}: a dot segment before a second slash goes home`)
  }
  await browser.get('/login')
  const login = await browser.post('/login', { username: w.agent.username, password: w.agent.password, next: '/\t/evil.com' })
  t.equal(login.statusCode, 303)
  t.equal(login.headers.location, '/', 'and after login')
})

t.test('signed-in pages, CSV and PDF are never stored by the browser; public pages may be', async (t) => {
  const w = await setupCaseWorld(t)
  const agent = await loggedIn(w, w.agent)
  for (const url of ['/', '/cases', '/ledger', '/ledger.csv', '/visits.csv']) {
    const res = await agent.get(url)
    t.equal(res.statusCode, 200, url)
    t.equal(res.headers['cache-control'], 'no-store', `${url}: no-store`)
  }
  const lookup = await w.browser().get('/lookup')
  t.not(lookup.headers['cache-control'], 'no-store', 'an anonymous public page is not marked')
})

t.test('public and month inputs out of range answer 400 with a message, never 500', async (t) => {
  const w = await setupCaseWorld(t)
  const api = await w.app.inject({ method: 'GET', url: '/api/v1/deadline?start=2026-01-02&days=3&pause=2026-01-02..2200-12-31' })
  t.equal(api.statusCode, 400)
  t.match(api.json().error, '暂停期间')
  const page = await w.browser().get('/deadline?start=2026-01-02&days=3&pause=2026-01-02..2200-12-31')
  t.equal(page.statusCode, 400)
  t.match(page.body, '暂停期间格式不正确')

  const supervisor = await loggedIn(w, w.supervisor)
  const agent = await loggedIn(w, w.agent)
  for (const [who, url] of [[supervisor, '/stats?month=0000-01'], [agent, '/visits?month=0000-01'], [supervisor, '/stats.csv?month=0000-01'], [agent, '/visits.csv?month=0000-01']] as const) {
    const res = await who.get(url)
    t.equal(res.statusCode, 400, url)
    t.match(res.body, /月份|请求/, `${url}: a message`)
  }
  t.equal((await supervisor.get('/stats?month=1999-12')).statusCode, 200, 'an old but real month is fine')
})

t.test('logs carry no query strings and no full phone numbers', async (t) => {
  const { buildApp } = await import('../../server/app.ts')
  const { LogSender } = await import('../../server/sms/outbox.ts')
  const { Writable } = await import('node:stream')
  const w = await setupCaseWorld(t)
  const lines: string[] = []
  const stream = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done() } })
  const app = await buildApp({ config: w.config, db: w.db, logger: { level: 'info', stream } as never, now: w.clock.now })
  await app.ready()
  t.teardown(() => app.close())
  await app.inject({ method: 'GET', url: `/lookup?no=JP01-20260213-001&q=${APPLICANT.idNumber}` })
  await app.inject({ method: 'GET', url: `/cases?q=${APPLICANT.phone}` })
  const log = lines.join('')
  t.match(log, '"url":"/lookup"', 'the path is logged')
  t.notMatch(log, APPLICANT.idNumber, 'the ID number searched for is not')
  t.notMatch(log, APPLICANT.phone, 'nor the phone')

  const entries: object[] = []
  await new LogSender((entry) => entries.push(entry)).send('13912345678', '您的办件已办结')
  t.notMatch(JSON.stringify(entries), '13912345678', 'the text sender logs a masked number')
  t.match(JSON.stringify(entries), '139****5678')
})

t.test('wrong tails are counted per address and case number: after five, the number answers nothing to that address for an hour, and the villager elsewhere still gets in', async (t) => {
  const w = await setupCaseWorld(t, '2026-02-13 10:00', { lookupRateLimitPerMinute: 1000 })
  const agent = await loggedIn(w, w.agent)
  const { caseId } = await submitIntake(agent, await w.matterId('MZ-03'), { ...APPLICANT, materialsReceived: [] })
  const { caseNo } = await w.db.selectFrom('cases').select('caseNo').where('id', '=', caseId!).executeTakeFirstOrThrow()
  const tail = APPLICANT.phone.slice(-4)
  const guesser = w.browser('203.0.113.7')
  await guesser.get('/lookup')
  const first = await guesser.post('/lookup', { no: caseNo, tail: '1000' })
  t.equal(first.statusCode, 404)
  t.match(first.body, '还可以再试 4 次', 'a wrong tail says how many tries are left')
  const burst = await Promise.all(Array.from({ length: 7 }, (_, i) => guesser.post('/lookup', { no: caseNo, tail: String(1001 + i) })))
  t.same(burst.map((r) => r.statusCode).sort(), [404, 404, 404, 404, 429, 429, 429], 'five wrong tails are checked, then the number is closed to that address')
  t.ok(burst.some((r) => r.statusCode === 404 && r.body.includes('查询次数已用完')), 'the fifth wrong tail says none are left')
  const right = await guesser.post('/lookup', { no: caseNo, tail })
  t.equal(right.statusCode, 429, 'even the right tail waits, from that address')
  t.match(right.body, '查询错误次数过多')

  const villager = w.browser('198.51.100.20')
  await villager.get('/lookup')
  const own = await villager.post('/lookup', { no: caseNo, tail })
  t.equal(own.statusCode, 200, 'the villager at another address still sees their case: a guesser cannot lock them out')
  t.match(own.body, caseNo)

  const unknownNo = caseNo.replace(/\d{3}$/, '999')
  for (let i = 0; i < 5; i++) await guesser.post('/lookup', { no: unknownNo, tail: '0000' })
  t.equal((await guesser.post('/lookup', { no: unknownNo, tail: '0000' })).statusCode, 429, 'a number that does not exist closes the same way: nothing tells them apart')

  // An IPv6 guesser holds a whole /64: its addresses share one count.
  const v6 = Array.from({ length: 6 }, (_, i) => w.browser(`2001:db8:7:7::${i + 1}`))
  const v6answers = []
  for (const [i, b] of v6.entries()) {
    await b.get('/lookup')
    v6answers.push((await b.post('/lookup', { no: caseNo, tail: String(2000 + i) })).statusCode)
  }
  t.same(v6answers, [404, 404, 404, 404, 404, 429], 'six addresses of one /64: five checks between them, then closed')
  t.equal((await villager.post('/lookup', { no: caseNo, tail })).statusCode, 200, 'while the villager still gets in')

  w.clock.set('2026-02-13 11:01')
  const later = await guesser.post('/lookup', { no: caseNo, tail })
  t.equal(later.statusCode, 200, 'an hour later the right tail works')
})
