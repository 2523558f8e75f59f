import t from 'tap'
import { randomUUID } from 'node:crypto'
import { setupCaseWorld, loggedIn, submitIntake, versionOn, APPLICANT, townWindowId } from '../fixtures/cases.ts'
import { intakeCase } from '../../server/cases/intake.ts'
import { performAction } from '../../server/cases/transition.ts'
import { findActor } from '../../server/accounts/users.repository.ts'

t.test('a double-posted intake form creates one case', async (t) => {
  const w = await setupCaseWorld(t)
  const agent = await loggedIn(w, w.agent)
  const matterId = await w.matterId('LB-03')
  const first = await submitIntake(agent, matterId, { ...APPLICANT, materialsReceived: ['居民身份证', '户口簿'] })
  const again = await agent.post('/cases', { idempotencyKey: first.key, matterId: String(matterId), channel: 'station', serviceForm: 'proxy', decision: 'decide', ...APPLICANT, materialsReceived: ['居民身份证', '户口簿'] })
  t.equal(again.statusCode, 303)
  t.equal(again.headers.location, first.res.headers.location, 'the second post lands on the same case')

  const actor = (await findActor(w.db, w.agent.id))!
  const key = randomUUID()
  const input = { idempotencyKey: key, applicantId: null, applicant: { ...APPLICANT, idNumber: '', name: '李四', vulnerable: 'none' as const }, matterId, channel: 'station' as const, serviceForm: 'proxy' as const, homeService: false, materialsReceived: [], decision: 'register' as const, rejectReason: '', summary: '咨询' }
  const results = await Promise.all(Array.from({ length: 5 }, () => intakeCase(w.db, actor, input, '2026-02-13', new Date())))
  t.equal(new Set(results.map((r) => r.caseId)).size, 1, 'five racing posts of one form make one case')
  const count = await w.db.selectFrom('cases').select((eb) => eb.fn.countAll<string>().as('n')).where('idempotencyKey', '=', key).executeTakeFirstOrThrow()
  t.equal(Number(count.n), 1)
  const applicants = await w.db.selectFrom('applicants').select('id').where('name', '=', '李四').execute()
  t.equal(applicants.length, 1, 'and one applicant file')
})

t.test('20 parallel intakes at one station get unique, gapless numbers', async (t) => {
  const w = await setupCaseWorld(t)
  const actor = (await findActor(w.db, w.agent.id))!
  const matterId = await w.matterId('LB-03')
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      intakeCase(w.db, actor, { idempotencyKey: randomUUID(), applicantId: null, applicant: { ...APPLICANT, idNumber: '', name: `村民${i}`, vulnerable: 'none' }, matterId, channel: 'station', serviceForm: 'proxy', homeService: false, materialsReceived: [], decision: 'register', rejectReason: '', summary: '' }, '2026-02-13', new Date()),
    ),
  )
  const seqs = results.map((r) => Number(r.caseNo.split('-')[2])).sort((a, b) => a - b)
  t.same(seqs, Array.from({ length: 20 }, (_, i) => i + 1))
})

t.test('50 parallel completions of one case: exactly one succeeds; events and case agree', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  const agent = await loggedIn(w, w.agent)
  const { caseId } = await submitIntake(agent, await w.matterId('MZ-01'), { ...APPLICANT, materialsReceived: ['书面申请', '居民身份证', '受灾情况说明'] })
  let page = await agent.get(`/cases/${caseId}`)
  const windowId = townWindowId(w)
  await agent.post(`/cases/${caseId}/forward`, { version: versionOn(page.body), windowId, method: 'online', materialsSent: [] })
  const clerk = (await findActor(w.db, w.clerk.id))!
  await performAction(w.db, clerk, caseId!, 'receive', 2, {}, '2026-03-03', new Date())

  const attempts = await Promise.allSettled(
    Array.from({ length: 50 }, (_, i) => performAction(w.db, clerk, caseId!, 'complete', 3, { outcome: i % 2 ? 'approved' : 'refused', reason: `第${i}次` }, '2026-03-04', new Date())),
  )
  const ok = attempts.filter((a) => a.status === 'fulfilled')
  t.equal(ok.length, 1, 'one of 50 succeeds')
  t.ok(attempts.filter((a) => a.status === 'rejected').every((a) => (a as PromiseRejectedResult).reason.code === 'APP_ERR_CASE_STALE'), 'the others are told the case changed')
  const completions = await w.db.selectFrom('caseEvents').select(['action', 'note']).where('caseId', '=', caseId!).where('action', '=', 'complete').execute()
  const row = await w.db.selectFrom('cases').select(['stage', 'version', 'outcomeReason']).where('id', '=', caseId!).executeTakeFirstOrThrow()
  t.equal(completions.length, 1, 'one completion event')
  t.equal(row.stage, 'completed')
  t.equal(row.version, 4)
  t.equal(row.outcomeReason, completions[0].note, 'the event and the case row agree')

  page = await (await loggedIn(w, w.clerk)).get(`/cases/${caseId}`)
  t.match(page.body, '已办结')
})

t.test('a stale form gets "changed since you opened it", the current state, and writes nothing', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  const agent = await loggedIn(w, w.agent)
  const { caseId } = await submitIntake(agent, await w.matterId('MZ-01'), { ...APPLICANT, materialsReceived: ['书面申请', '居民身份证', '受灾情况说明'] })
  const page = await agent.get(`/cases/${caseId}`)
  const oldVersion = versionOn(page.body)
  const windowId = String(w.org.windows[0].id)
  t.equal((await agent.post(`/cases/${caseId}/forward`, { version: oldVersion, windowId, method: 'online' })).statusCode, 303)
  const before = await w.db.selectFrom('caseEvents').select('id').where('caseId', '=', caseId!).execute()
  const stale = await agent.post(`/cases/${caseId}/withdraw`, { version: oldVersion, reason: '申请人不办了' })
  t.equal(stale.statusCode, 409)
  t.match(stale.body, '此办件在您打开后已被他人修改')
  t.match(stale.body, '已报送', 'the current state is shown')
  const after = await w.db.selectFrom('caseEvents').select('id').where('caseId', '=', caseId!).execute()
  t.equal(after.length, before.length, 'no event was written')
  t.equal((await w.db.selectFrom('cases').select('stage').where('id', '=', caseId!).executeTakeFirstOrThrow()).stage, 'forwarded')
})
