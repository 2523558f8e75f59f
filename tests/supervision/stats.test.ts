import t from 'tap'
import { setupCaseWorld, loggedIn, submitIntake, act, APPLICANT, townWindowId } from '../fixtures/cases.ts'
import { sweepDeadlines } from '../../server/jobs/deadline-sweep.ts'
import { loadCalendar } from '../../server/calendar/calendar.repository.ts'

t.test('the statistics of a fixture month match numbers counted by hand', async (t) => {
  const w = await setupCaseWorld(t, '2026-02-27 09:00')
  const agent = await loggedIn(w, w.agent)
  const clerk = await loggedIn(w, w.clerk)
  const windowId = townWindowId(w)
  const step = async (browser: typeof agent, caseId: string, action: string, form: Record<string, string> = {}) => {
    t.equal((await act(browser, caseId, action, form)).statusCode, 303, `${action} on ${caseId}`)
  }
  await agent.get('/visits')
  await agent.post('/visits', { people: '1', purpose: 'consult' }) // February: not in March

  w.clock.set('2026-03-02 09:00')
  await agent.post('/visits', { people: '3', purpose: 'business' })
  const a = (await submitIntake(agent, await w.matterId('MZ-01'), { ...APPLICANT, materialsReceived: ['书面申请', '居民身份证', '受灾情况说明'] })).caseId!
  const b = (await submitIntake(agent, await w.matterId('LB-03'), { name: '李四', phone: '13700001111', idNumber: '440524198001010013', serviceForm: 'on_the_spot', materialsReceived: ['居民身份证', '户口簿'] })).caseId!
  await step(agent, a, 'forward', { windowId, method: 'online' })
  w.clock.set('2026-03-03 09:00')
  await step(clerk, a, 'receive')
  const c = (await submitIntake(agent, await w.matterId('MZ-03'), { name: '王五', phone: '13700002222', idNumber: '', decision: 'register' })).caseId!
  w.clock.set('2026-03-04 09:00')
  await step(agent, c, 'withdraw', { reason: '不办了' })
  w.clock.set('2026-03-05 09:00')
  await submitIntake(agent, await w.matterId('MZ-99'), { name: '赵六', phone: '13700003333', idNumber: '', decision: 'register' })
  t.equal(await sweepDeadlines(w.db, await loadCalendar(w.db), '2026-03-06', new Date()), 1, 'the on-the-spot case is found late')
  w.clock.set('2026-03-09 10:00')
  await agent.post('/visits', { people: '1', purpose: 'complaint' })
  await step(agent, b, 'complete', { outcome: 'approved' })
  await step(agent, b, 'reply', { how: 'station', overall: 'very_dissatisfied', comment: '太慢' })
  w.clock.set('2026-03-10 10:00')
  await step(clerk, a, 'complete', { outcome: 'approved' })
  w.clock.set('2026-03-11 10:00')
  await step(agent, a, 'reply', { how: 'phone', overall: 'satisfied' })

  const supervisor = await loggedIn(w, w.supervisor)
  const page = await supervisor.get('/stats?month=2026-03')
  t.equal(page.statusCode, 200)
  const row = (label: string) => {
    const m = new RegExp(`<t[hd]>${label}</t[hd]>((?:<td class="num">[^<]*</td>){11})`).exec(page.body)
    return m ? [...m[1].matchAll(/<td class="num">([^<]*)<\/td>/g)].map((x) => x[1]) : null
  }
  // The months side by side, one row per measure (the page used to show two total rows, 合计 2026-03 and 合计 2026-02).
  const beside = (body: string) => [...body.matchAll(/<tr><th>[^<]+<\/th><td class="num">([^<]*)<\/td><td class="num">([^<]*)<\/td><\/tr>/g)].map((m) => [m[1], m[2]])
  // batches, people, received, accepted, completed, on time, on-time rate, overdue, rejected, withdrawn, satisfaction
  t.same(row('合计'), ['2', '4', '4', '2', '2', '1', '50%', '1', '1', '1', '50%'], 'county-wide March, counted by hand')
  t.same(beside(page.body).map((m) => m[0]), ['2', '4', '4', '2', '2', '1', '50%', '1', '1', '1', '50%'], 'March in the comparison')
  t.same(beside(page.body).map((m) => m[1]), ['1', '1', '0', '0', '0', '0', '—', '0', '0', '0', '—'], 'February beside it')
  t.match(page.body, /<th class="num">本月（截至 3月11日）<\/th><th class="num">上月（2月）<\/th>/, 'March, asked for on 11 March, is counted to date')
  t.same(row('民政'), ['0', '0', '3', '1', '1', '1', '100%', '0', '1', '1', '100%'], 'civil affairs: A, C (withdrawn) and D (rejected)')
  t.same(row('劳动保障'), ['0', '0', '1', '1', '1', '0', '0%', '1', '0', '0', '0%'], 'labour: B, late and badly rated')
  t.match(page.body, /王代办<\/td><td class="num">2<\/td><td class="num">50%<\/td>/, 'the agent: 2 completed, half on time')
  const csv = await supervisor.get('/stats.csv?month=2026-03')
  t.match(csv.body, '合计,2,4,4,2,2,1,50,1,1,1,50')
  t.match(csv.body, '合计 上月（2月）,1,1,0,0,0,0,,0,0,0,')
  t.equal((await supervisor.get('/stats?month=2026-13')).statusCode, 400)
})

t.test('the statistics open on the current month to date, with last month beside, each named as such', async (t) => {
  const w = await setupCaseWorld(t, '2026-10-20 09:00')
  const agent = await loggedIn(w, w.agent)
  await agent.get('/visits')
  await agent.post('/visits', { people: '2', purpose: 'consult' })
  w.clock.set('2026-11-29 10:00')
  await agent.post('/visits', { people: '1', purpose: 'consult' })
  await submitIntake(agent, await w.matterId('MZ-01'), { ...APPLICANT, materialsReceived: ['书面申请', '居民身份证', '受灾情况说明'] })

  const supervisor = await loggedIn(w, w.countySupervisor)
  const page = await supervisor.get('/stats')
  t.equal(page.statusCode, 200)
  t.match(page.body, /<th class="num">本月（截至 11月29日）<\/th><th class="num">上月（10月）<\/th>/, 'both columns named')
  t.match(page.body, /<tr><th>接待批次<\/th><td class="num">1<\/td><td class="num">1<\/td><\/tr>/, 'visits this month and last')
  t.match(page.body, /<tr><th>接待人次<\/th><td class="num">1<\/td><td class="num">2<\/td><\/tr>/)
  t.match(page.body, /<tr><th>登记<\/th><td class="num">1<\/td><td class="num">0<\/td><\/tr>/, 'today’s case counts this month')
  t.match(page.body, 'href="/stats.csv?month=2026-11"', 'the CSV of the month shown')
  t.notMatch(page.body, '回到本月', 'no way back to where it already is')

  await supervisor.get('/lang/en?next=/stats')
  const english = await supervisor.get('/stats')
  t.match(english.body, /<th class="num">This month \(to 29 November\)<\/th><th class="num">Last month \(October\)<\/th>/, 'in English too')

  const asked = await supervisor.get('/stats?month=2026-10')
  t.match(asked.body, /<th class="num">October 2026<\/th><th class="num">September 2026<\/th>/, 'an explicit month still works, named by its name')
  t.match(asked.body, /<tr><th>Visit batches<\/th><td class="num">1<\/td><td class="num">0<\/td><\/tr>/)
  t.match(asked.body, '<a href="/stats">Back to this month</a>')
})
