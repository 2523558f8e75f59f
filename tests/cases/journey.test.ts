import t from 'tap'
import { setupCaseWorld, loggedIn, submitIntake, versionOn, APPLICANT } from '../fixtures/cases.ts'

const LOW_INCOME_MATERIALS = ['书面申请', '居民身份证', '户口簿', '家庭收入状况证明', '家庭财产申报及授权核对书']

t.test('agent, clerk and supervisor take a case from intake to closed, every step on the timeline', async (t) => {
  const w = await setupCaseWorld(t, '2026-02-13 10:00')
  const agent = await loggedIn(w, w.agent)
  const clerk = await loggedIn(w, w.clerk)
  const supervisor = await loggedIn(w, w.supervisor)
  const matterId = await w.matterId('MZ-03')

  // Friday 13 February 2026: accepted with every required material.
  const { res, caseId } = await submitIntake(agent, matterId, { ...APPLICANT, materialsReceived: LOW_INCOME_MATERIALS })
  t.equal(res.statusCode, 303)
  let page = await agent.get(`/cases/${caseId}?new=1`)
  t.equal(page.statusCode, 200)
  const caseNo = /<h1>([A-Z0-9]+-20260213-001) /.exec(page.body)?.[1]
  t.ok(caseNo, 'the first case of the day is numbered 001')
  t.match(page.body, '已受理')
  t.match(page.body, '报送截止</dt><dd><a href="/deadline?start&#x3D;2026-02-13&amp;days&#x3D;3"')
  t.match(page.body, '2026-02-25</a>', 'forward due: 3 working days over the Spring Festival')
  t.notMatch(page.body, '11010519491231002X', 'even the station agent sees the ID number masked until asking to see it')
  t.match(page.body, '110105***********X')

  // Agent forwards on Tuesday 24 February to the town civil-affairs window.
  w.clock.set('2026-02-24 09:00')
  page = await agent.get(`/cases/${caseId}`)
  const windowId = /<option value="(\d+)" selected>/.exec(page.body.slice(page.body.indexOf('id="step-forward"')))?.[1]
  t.ok(windowId, 'the matter’s department window of the town is preselected')
  let step = await agent.post(`/cases/${caseId}/forward`, { version: versionOn(page.body), windowId: windowId!, method: 'paper', materialsSent: LOW_INCOME_MATERIALS })
  t.equal(step.statusCode, 303)

  // Clerk: the inbox lists it; receive, ask for assistance.
  let inbox = await clerk.get('/')
  t.match(inbox.body, caseNo!)
  page = await clerk.get(`/cases/${caseId}`)
  t.notMatch(page.body, '11010519491231002X', 'so does the handling clerk')
  t.match(page.body, 'action="/applicants/', 'with the control to show it')
  step = await clerk.post(`/cases/${caseId}/receive`, { version: versionOn(page.body) })
  t.equal(step.statusCode, 303)
  page = await clerk.get(`/cases/${caseId}`)
  step = await clerk.post(`/cases/${caseId}/ask_assist`, { version: versionOn(page.body), question: '请补充家庭成员收入说明', dueDays: '2' })
  t.equal(step.statusCode, 303)

  // Agent answers the assistance request from the worklist.
  let home = await agent.get('/')
  t.match(home.body, '窗口请求协办')
  page = await agent.get(`/cases/${caseId}`)
  t.match(page.body, '请补充家庭成员收入说明')
  step = await agent.post(`/cases/${caseId}/answer_assist`, { version: versionOn(page.body), answer: '已补充，随后送达' })
  t.equal(step.statusCode, 303)

  // Clerk asks for an extension; the town supervisor approves; the agent tells the applicant.
  page = await clerk.get(`/cases/${caseId}`)
  t.match(page.body, '办结截止</dt><dd><a href="/deadline?start&#x3D;2026-02-13&amp;days&#x3D;25"')
  step = await clerk.post(`/cases/${caseId}/request_extension`, { version: versionOn(page.body), newDue: '2026-02-01', reason: '需入户核查' })
  t.equal(step.statusCode, 400, 'an extension must move the date later')
  t.match(step.body, '延期日期须晚于当前办结截止日期')
  step = await clerk.post(`/cases/${caseId}/request_extension`, { version: versionOn(page.body), newDue: '2026-04-10', reason: '需入户核查' })
  t.equal(step.statusCode, 303)
  home = await supervisor.get('/')
  t.match(home.body, '待审批的延期申请')
  page = await supervisor.get(`/cases/${caseId}`)
  t.notMatch(page.body, '11010519491231002X', 'the supervisor sees the ID number masked')
  t.match(page.body, '110105***********X')
  step = await supervisor.post(`/cases/${caseId}/decide_extension`, { version: versionOn(page.body), decision: 'approved', note: '同意' })
  t.equal(step.statusCode, 303)
  home = await agent.get('/')
  t.match(home.body, '须告知申请人延期')
  page = await agent.get(`/cases/${caseId}`)
  step = await agent.post(`/cases/${caseId}/tell_extension`, { version: versionOn(page.body), how: 'phone', note: '已电话告知' })
  t.equal(step.statusCode, 303)

  // Clerk completes on Wednesday 8 April; the reply is due 2 working days later.
  w.clock.set('2026-04-08 15:00')
  page = await clerk.get(`/cases/${caseId}`)
  step = await clerk.post(`/cases/${caseId}/complete`, { version: versionOn(page.body), outcome: 'approved', reason: '', handback: '低保证\n身份证原件' })
  t.equal(step.statusCode, 303)
  page = await agent.get(`/cases/${caseId}`)
  t.match(page.body, '已办结')
  t.match(page.body, '2026-04-10</a>', 'reply due Friday 10 April')

  // Agent replies with a rating: the case is closed.
  step = await agent.post(`/cases/${caseId}/reply`, { version: versionOn(page.body), how: 'station', returned: ['低保证', '身份证原件'], feesSettled: 'on', overall: 'satisfied', satisfaction: '5', efficiency: '4', competence: '5', attitude: '5', comment: '办得快' })
  t.equal(step.statusCode, 303)
  page = await agent.get(`/cases/${caseId}`)
  t.match(page.body, '已归档')
  step = await agent.post(`/cases/${caseId}/follow_up`, { version: versionOn(page.body), note: '回访：低保金已到账' })
  t.equal(step.statusCode, 303)

  const events = await w.db.selectFrom('caseEvents').select(['action', 'fromStage', 'toStage']).where('caseId', '=', caseId!).orderBy('id').execute()
  t.same(
    events.map((e) => `${e.action}:${e.fromStage ?? '-'}>${e.toStage}`),
    [
      'intake:->accepted',
      'forward:accepted>forwarded',
      'receive:forwarded>in_progress',
      'ask_assist:in_progress>in_progress',
      'answer_assist:in_progress>in_progress',
      'request_extension:in_progress>in_progress',
      'decide_extension:in_progress>in_progress',
      'tell_extension:in_progress>in_progress',
      'complete:in_progress>completed',
      'reply:completed>closed',
      'follow_up:closed>closed',
    ],
  )
  page = await agent.get(`/cases/${caseId}`)
  for (const text of ['报送窗口', '签收', '请求协办', '答复协办', '申请延期', '审批延期', '办结', '回复申请人', '回访：低保金已到账']) t.match(page.body, text, `timeline shows ${text}`)
  const row = await w.db.selectFrom('cases').select(['version', 'rating', 'completeDue', 'dueOn']).where('id', '=', caseId!).executeTakeFirstOrThrow()
  t.same(row, { version: 11, rating: 'satisfied', completeDue: '2026-04-10', dueOn: null })
  const rating = await w.db.selectFrom('caseRatings').selectAll().where('caseId', '=', caseId!).executeTakeFirstOrThrow()
  t.equal(rating.efficiency, 4)
})

t.test('missing materials: one notice lists every missing item; supplying them accepts the case', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  const agent = await loggedIn(w, w.agent)
  const { caseId } = await submitIntake(agent, await w.matterId('MZ-03'), { ...APPLICANT, materialsReceived: ['书面申请', '居民身份证'] })
  let page = await agent.get(`/cases/${caseId}`)
  t.match(page.body, '待补正')
  t.match(page.body, '一次性告知')
  const notice = page.body.slice(page.body.indexOf('一次性告知'), page.body.indexOf('</article>', page.body.indexOf('一次性告知')))
  for (const missing of ['户口簿', '家庭收入状况证明', '家庭财产申报及授权核对书']) t.match(notice, missing, `the notice lists ${missing}`)
  t.notMatch(notice, '本人银行卡', 'optional materials are not demanded')
  const home = await agent.get('/')
  t.match(home.body, '待补正材料')

  w.clock.set('2026-03-05 10:00')
  const step = await agent.post(`/cases/${caseId}/supplement`, { version: versionOn(page.body), materialsReceived: LOW_INCOME_MATERIALS })
  t.equal(step.statusCode, 303)
  page = await agent.get(`/cases/${caseId}`)
  t.match(page.body, '已受理')
  const row = await w.db.selectFrom('cases').select(['acceptedOn', 'forwardDue']).where('id', '=', caseId!).executeTakeFirstOrThrow()
  t.same(row, { acceptedOn: '2026-03-05', forwardDue: '2026-03-10' }, 'the clock starts when the materials are complete')
})

t.test('a matter that cannot be proxied is refused at intake with the reason', async (t) => {
  const w = await setupCaseWorld(t)
  const agent = await loggedIn(w, w.agent)
  const { caseId } = await submitIntake(agent, await w.matterId('MZ-99'), { ...APPLICANT })
  const page = await agent.get(`/cases/${caseId}`)
  t.match(page.body, '不予受理')
  t.match(page.body, '须男女双方本人亲自')
  t.notMatch(page.body, 'action="/cases/' + caseId + '/', 'no further step is offered')
})

t.test('an on-the-spot case skips forwarding: accepted → completed by the agent → replied', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  const agent = await loggedIn(w, w.agent)
  const { caseId } = await submitIntake(agent, await w.matterId('LB-03'), { ...APPLICANT, serviceForm: 'on_the_spot', materialsReceived: ['居民身份证', '户口簿'] })
  let page = await agent.get(`/cases/${caseId}`)
  t.notMatch(page.body, 'id="step-forward"', 'no forwarding offered')
  let step = await agent.post(`/cases/${caseId}/forward`, { version: versionOn(page.body), windowId: String(w.org.windows[0].id), method: 'paper' })
  t.equal(step.statusCode, 400, 'a forward posted by hand is refused')
  t.match(step.body, '不能进行这项操作')
  step = await agent.post(`/cases/${caseId}/complete`, { version: versionOn(page.body), outcome: 'approved', handback: '' })
  t.equal(step.statusCode, 303)
  page = await agent.get(`/cases/${caseId}`)
  step = await agent.post(`/cases/${caseId}/reply`, { version: versionOn(page.body), how: 'station' })
  t.equal(step.statusCode, 303)
  page = await agent.get(`/cases/${caseId}`)
  t.match(page.body, '已回复')
  step = await agent.post(`/cases/${caseId}/rate`, { version: versionOn(page.body), overall: 'very_satisfied' })
  t.equal(step.statusCode, 303)
  t.match((await agent.get(`/cases/${caseId}`)).body, '已归档')
})

t.test('a case accepted at 23:30 local time belongs to that local date', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 23:30')
  const agent = await loggedIn(w, w.agent)
  const { caseId } = await submitIntake(agent, await w.matterId('MZ-01'), { ...APPLICANT, materialsReceived: ['书面申请', '居民身份证', '受灾情况说明'] })
  const row = await w.db.selectFrom('cases').select(['caseNo', 'registeredOn', 'acceptedOn', 'forwardDue']).where('id', '=', caseId!).executeTakeFirstOrThrow()
  t.match(row.caseNo, /-20260302-001$/)
  t.same({ registeredOn: row.registeredOn, acceptedOn: row.acceptedOn, forwardDue: row.forwardDue }, { registeredOn: '2026-03-02', acceptedOn: '2026-03-02', forwardDue: '2026-03-05' })
})
