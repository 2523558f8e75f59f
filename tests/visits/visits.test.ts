import t from 'tap'
import { setupCaseWorld, loggedIn, submitIntake, APPLICANT } from '../fixtures/cases.ts'

t.test('visits are counted in batches and people; the person file shows everything of one applicant', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 10:00')
  const agent = await loggedIn(w, w.agent)
  const { caseId } = await submitIntake(agent, await w.matterId('GD-01'), { ...APPLICANT, materialsReceived: ['有线电视用户证或缴费卡'] })
  const caseNo = (await w.db.selectFrom('cases').select('caseNo').where('id', '=', caseId!).executeTakeFirstOrThrow()).caseNo
  const applicant = await w.db.selectFrom('applicants').select('id').executeTakeFirstOrThrow()

  await agent.get('/visits')
  t.equal((await agent.post('/visits', { time: '09:15', people: '3', purpose: 'consult', applicantId: '', told: '讲解了低保政策', caseNo: '' })).statusCode, 303)
  t.equal((await agent.post('/visits', { time: '', people: '1', purpose: 'business', applicantId: String(applicant.id), told: '受理收视费', caseNo })).statusCode, 303)
  t.equal((await agent.post('/visits', { time: '10:00', people: '2', purpose: 'complaint', applicantId: '', told: '反映道路积水', caseNo: '' })).statusCode, 303)
  const bad = await agent.post('/visits', { time: '25:00', people: '0', purpose: 'consult', told: '保留这段话' })
  t.equal(bad.statusCode, 400)
  t.match(bad.body, '保留这段话', 'what was typed stays')
  t.match(bad.body, '不能小于 1')
  const unknownCase = await agent.post('/visits', { people: '1', purpose: 'consult', caseNo: 'NOPE-1' })
  t.match(unknownCase.body, '本站没有这个办件编号')

  const page = await agent.get('/visits?month=2026-03')
  const stats = page.body.slice(page.body.indexOf('2026-03 接待统计'))
  t.match(stats, /<th>合计<\/th><th class="num">3<\/th><th class="num">6<\/th>/, '3 batches, 6 people')
  t.match(stats, /咨询<\/td><td class="num">1<\/td><td class="num">3<\/td>/)

  // Money on the same person.
  await agent.get('/fees')
  await agent.post('/fees', { kind: 'collect', amount: '288', department: 'broadcasting', payer: '张小三', caseNo })
  const file = await agent.get(`/applicants/${applicant.id}`)
  t.equal(file.statusCode, 200)
  t.match(file.body, '一人一档')
  t.match(file.body, caseNo)
  t.match(file.body, '受理收视费')
  t.match(file.body, '288.00')
  t.notMatch(file.body, '11010519491231002X', 'the station agent sees the ID masked until asking to see it')
  t.match(file.body, '110105***********X')
  const supervisor = await loggedIn(w, w.supervisor)
  const masked = await supervisor.get(`/applicants/${applicant.id}`)
  t.match(masked.body, '110105***********X', 'so does the supervisor')
  t.equal((await (await loggedIn(w, w.otherAgent)).get(`/applicants/${applicant.id}`)).statusCode, 404, 'another station')
  t.equal((await supervisor.post('/visits', { people: '1', purpose: 'consult' })).statusCode, 403, 'visits are recorded by agents')
})

t.test('an inspector gets visits, the journal, a settled day and a person file in CSV and on paper', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 10:00')
  const agent = await loggedIn(w, w.agent)
  const { caseId } = await submitIntake(agent, await w.matterId('GD-01'), { ...APPLICANT, materialsReceived: ['有线电视用户证或缴费卡'] })
  const caseNo = (await w.db.selectFrom('cases').select('caseNo').where('id', '=', caseId!).executeTakeFirstOrThrow()).caseNo
  await agent.get('/visits')
  await agent.post('/visits', { time: '09:15', people: '2', purpose: 'consult', told: '=cmd|calc', caseNo: '' })
  await agent.get('/fees')
  await agent.post('/fees', { kind: 'collect', amount: '288', department: 'broadcasting', payer: '张小三', caseNo })
  await agent.post('/fees/settlement/station', { declared: '288', note: '' })
  const visitsCsv = await agent.get('/visits.csv?month=2026-03')
  t.ok(visitsCsv.rawPayload.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf])))
  t.match(visitsCsv.body, `"'=cmd|calc"`, 'formula neutralised')
  const feesCsv = await agent.get('/fees.csv?from=2026-03-02&to=2026-03-02')
  t.match(feesCsv.body, '288.00')
  t.match(feesCsv.body, caseNo)
  for (const url of ['/visits/pdf?month=2026-03', '/fees/pdf?from=2026-03-02&to=2026-03-02', `/applicants/${(await w.db.selectFrom('applicants').select('id').executeTakeFirstOrThrow()).id}/pdf`]) {
    const res = await agent.get(url)
    t.equal(res.headers['content-type'], 'application/pdf', url)
    t.equal(res.rawPayload.subarray(0, 5).toString(), '%PDF-')
  }
})
