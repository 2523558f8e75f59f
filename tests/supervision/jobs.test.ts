import t from 'tap'
import { setupCaseWorld, loggedIn, submitIntake, versionOn, APPLICANT } from '../fixtures/cases.ts'
import { applyDeemedApprovals, followUpUnrated, remindCalendar, snapshotMonthlyStats } from '../../server/jobs/case-rules-jobs.ts'
import { loadCalendar } from '../../server/calendar/calendar.repository.ts'
import { makeUser } from '../fixtures/factories.ts'

t.test('silence is consent: past the limit the job completes the case as approved and tells the agent', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  const agent = await loggedIn(w, w.agent)
  const { caseId } = await submitIntake(agent, await w.matterId('NY-06'), { ...APPLICANT, materialsReceived: ['书面申请', '居民身份证', '户口簿', '土地承包合同'] })
  const page = await agent.get(`/cases/${caseId}`)
  await agent.post(`/cases/${caseId}/forward`, { version: versionOn(page.body), windowId: String(w.org.windows[0].id), method: 'online' })
  const calendar = await loadCalendar(w.db)
  t.equal(await applyDeemedApprovals(w.db, calendar, '2026-03-23', new Date()), 0, 'not on the due day (15 working days: 23 March)')
  t.equal(await applyDeemedApprovals(w.db, calendar, '2026-03-24', new Date()), 1)
  t.equal(await applyDeemedApprovals(w.db, calendar, '2026-03-24', new Date()), 0, 'once')
  const row = await w.db.selectFrom('cases').select(['stage', 'outcome', 'deemedApproved', 'replyDue']).where('id', '=', caseId!).executeTakeFirstOrThrow()
  t.same(row, { stage: 'completed', outcome: 'approved', deemedApproved: true, replyDue: '2026-03-26' })
  t.match((await agent.get('/inbox')).body, '已超时默许办结')
})

t.test('unrated replies: a reminder after 3 days, closed after 7 with the configured default', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  const agent = await loggedIn(w, w.agent)
  const { caseId } = await submitIntake(agent, await w.matterId('LB-03'), { ...APPLICANT, serviceForm: 'on_the_spot', materialsReceived: ['居民身份证', '户口簿'] })
  let page = await agent.get(`/cases/${caseId}`)
  await agent.post(`/cases/${caseId}/complete`, { version: versionOn(page.body), outcome: 'approved' })
  page = await agent.get(`/cases/${caseId}`)
  await agent.post(`/cases/${caseId}/reply`, { version: versionOn(page.body), how: 'phone' })
  const options = { reminderDays: 3, closeDays: 7, defaultRating: 'satisfied' as const }
  t.equal(await followUpUnrated(w.db, await loadCalendar(w.db), '2026-03-04', new Date(), options), 0)
  t.equal(await followUpUnrated(w.db, await loadCalendar(w.db), '2026-03-05', new Date(), options), 1, 'reminded')
  t.equal(await followUpUnrated(w.db, await loadCalendar(w.db), '2026-03-06', new Date(), options), 0, 'reminded once')
  t.equal(await followUpUnrated(w.db, await loadCalendar(w.db), '2026-03-09', new Date(), options), 1, 'closed')
  const row = await w.db.selectFrom('cases').select(['stage', 'rating']).where('id', '=', caseId!).executeTakeFirstOrThrow()
  t.same(row, { stage: 'closed', rating: 'satisfied' })
  const rating = await w.db.selectFrom('caseRatings').select(['overall', 'byDefault', 'recordedBy']).executeTakeFirstOrThrow()
  t.same(rating, { overall: 'satisfied', byDefault: true, recordedBy: null })
})

t.test('monthly statistics are kept on the 1st; admins are told of a missing calendar once', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  t.equal(await snapshotMonthlyStats(w.db, '2026-04-01', 'Asia/Shanghai'), 1)
  t.equal(await snapshotMonthlyStats(w.db, '2026-04-01', 'Asia/Shanghai'), 0, 'a month is kept once')
  const kept = await w.db.selectFrom('monthlyStats').select('month').executeTakeFirstOrThrow()
  t.equal(kept.month, '2026-03')
  const admin = await makeUser(w.db, w.org, 'admin')
  t.equal(await remindCalendar(w.db, '2026-10-31'), 0)
  t.equal(await remindCalendar(w.db, '2026-11-02'), 1)
  t.equal(await remindCalendar(w.db, '2026-11-03'), 0, 'once a year')
  t.equal((await w.db.selectFrom('notifications').select('kind').where('userId', '=', admin.id).executeTakeFirstOrThrow()).kind, 'calendar.missing')
})

t.test('last month’s satisfaction is public on the board', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  const agent = await loggedIn(w, w.agent)
  // Two on-the-spot cases rated in March: one satisfied, one dissatisfied.
  for (const [i, overall] of (['satisfied', 'dissatisfied'] as const).entries()) {
    const { caseId } = await submitIntake(agent, await w.matterId('LB-03'), { name: `村民${i}`, phone: '13700000000', idNumber: i ? '440524198001010013' : '11010519491231002X', serviceForm: 'on_the_spot', materialsReceived: ['居民身份证', '户口簿'] })
    let page = await agent.get(`/cases/${caseId}`)
    await agent.post(`/cases/${caseId}/complete`, { version: versionOn(page.body), outcome: 'approved' })
    page = await agent.get(`/cases/${caseId}`)
    await agent.post(`/cases/${caseId}/reply`, { version: versionOn(page.body), how: 'station', overall })
  }
  w.clock.set('2026-04-02 09:00')
  const board = await w.browser().get(`/board/${w.org.villages[0].code}`)
  t.match(board.body, `上月满意率（2026-03）</strong>：${w.org.villages[0].name} 50%`)
})
