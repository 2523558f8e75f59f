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
  // batches, people, received, accepted, completed, on time, on-time rate, overdue, rejected, withdrawn, satisfaction
  t.same(row('合计 2026-03'), ['2', '4', '4', '2', '2', '1', '50%', '1', '1', '1', '50%'], 'county-wide March, counted by hand')
  t.same(row('合计 2026-02'), ['1', '1', '0', '0', '0', '0', '—', '0', '0', '0', '—'], 'February beside it')
  t.same(row('民政'), ['0', '0', '3', '1', '1', '1', '100%', '0', '1', '1', '100%'], 'civil affairs: A, C (withdrawn) and D (rejected)')
  t.same(row('劳动保障'), ['0', '0', '1', '1', '1', '0', '0%', '1', '0', '0', '0%'], 'labour: B, late and badly rated')
  t.match(page.body, /王代办<\/td><td class="num">2<\/td><td class="num">50%<\/td>/, 'the agent: 2 completed, half on time')
  const csv = await supervisor.get('/stats.csv?month=2026-03')
  t.match(csv.body, '合计,2,4,4,2,2,1,50,1,1,1,50')
  t.equal((await supervisor.get('/stats?month=2026-13')).statusCode, 400)
})
