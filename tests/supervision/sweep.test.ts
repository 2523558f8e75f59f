import t from 'tap'
import { sql } from 'kysely'
import { setupCaseWorld, loggedIn, submitIntake, APPLICANT } from '../fixtures/cases.ts'
import { sweepDeadlines } from '../../server/jobs/deadline-sweep.ts'
import { runRecordedJob } from '../../server/jobs/run-job.ts'
import { loadCalendar } from '../../server/calendar/calendar.repository.ts'

t.test('the sweep writes each alert once, whatever the number of runs, and tells the right people', async (t) => {
  const w = await setupCaseWorld(t, '2026-02-13 10:00')
  const agent = await loggedIn(w, w.agent)
  const { caseId } = await submitIntake(agent, await w.matterId('MZ-01'), { ...APPLICANT, materialsReceived: ['书面申请', '居民身份证', '受灾情况说明'] })
  const calendar = await loadCalendar(w.db)
  // Forward due Wednesday 25 February (3 working days over the Spring Festival).
  t.equal(await sweepDeadlines(w.db, calendar, '2026-02-13', new Date()), 0, 'on time: nothing')
  t.equal(await sweepDeadlines(w.db, calendar, '2026-02-24', new Date()), 1, 'one working day left: due soon')
  t.equal(await sweepDeadlines(w.db, calendar, '2026-02-24', new Date()), 0, 'the second run writes nothing')
  t.equal(await sweepDeadlines(w.db, calendar, '2026-02-26', new Date()), 1, 'late: overdue')
  t.equal(await sweepDeadlines(w.db, calendar, '2026-02-26', new Date()), 0)
  t.equal(await sweepDeadlines(w.db, calendar, '2026-02-28', new Date()), 1, 'late by the limit again (28th is a make-up working day): very overdue')
  t.equal(await sweepDeadlines(w.db, calendar, '2026-03-02', new Date()), 0)

  const events = await w.db.selectFrom('caseEvents').select(['action', 'actorRole']).where('caseId', '=', caseId!).orderBy('id').execute()
  t.same(events.map((e) => `${e.action}/${e.actorRole}`), ['intake/agent', 'due_soon/system', 'overdue/system', 'very_overdue/system'])
  const inbox = async (userId: number) => (await w.db.selectFrom('notifications').select('kind').where('userId', '=', userId).orderBy('id').execute()).map((n) => n.kind)
  t.same(await inbox(w.agent.id), ['deadline.due_soon', 'deadline.overdue'], 'the agent: due soon and overdue')
  t.same(await inbox(w.supervisor.id), ['deadline.overdue', 'deadline.very_overdue'], 'the town supervisor: overdue and very overdue')
  t.same(await inbox(w.countySupervisor.id), ['deadline.overdue', 'deadline.very_overdue'], 'and the county supervisor')
  t.same(await inbox(w.otherAgent.id), [], 'nobody else')

  const page = await agent.get('/')
  t.match(page.body, /消息 <span class="badge overdue">2<\/span>/, 'the unread count in the header')
  const box = await agent.get('/inbox')
  t.match(box.body, `办件 ${(await w.db.selectFrom('cases').select('caseNo').executeTakeFirstOrThrow()).caseNo} 的报送时限已超期（2026-02-25）`)
  t.notMatch((await agent.get('/')).body, /消息 <span class="badge/, 'read after opening the inbox')
})

t.test('a job runs once across instances and every run is recorded for the admins', async (t) => {
  const w = await setupCaseWorld(t, '2026-02-13 10:00')
  const agent = await loggedIn(w, w.agent)
  await submitIntake(agent, await w.matterId('MZ-01'), { ...APPLICANT, materialsReceived: ['书面申请', '居民身份证', '受灾情况说明'] })
  const calendar = await loadCalendar(w.db)
  const [a, b] = await Promise.all([
    runRecordedJob(w.db, 'deadline-sweep', async (db) => {
      await new Promise((r) => setTimeout(r, 150))
      return sweepDeadlines(db, calendar, '2026-02-26', new Date())
    }),
    runRecordedJob(w.db, 'deadline-sweep', async (db) => {
      await new Promise((r) => setTimeout(r, 150))
      return sweepDeadlines(db, calendar, '2026-02-26', new Date())
    }),
  ])
  t.same([a.ran, b.ran].sort(), [false, true], 'two instances: one run')
  const failed = await runRecordedJob(w.db, 'deadline-sweep', async () => {
    throw new Error('database went away')
  })
  t.equal(failed.error, 'database went away')
  const runs = await w.db.selectFrom('jobRuns').select(['job', 'rows', 'error']).orderBy('id').execute()
  t.same(runs, [{ job: 'deadline-sweep', rows: 1, error: null }, { job: 'deadline-sweep', rows: 0, error: 'database went away' }])
  const { makeUser } = await import('../fixtures/factories.ts')
  const admin = await makeUser(w.db, w.org, 'admin')
  const browser = w.browser()
  await browser.login(admin.username, admin.password)
  const page = await browser.get('/admin/jobs')
  t.match(page.body, 'database went away')
})

t.test('the overdue board: every late case in scope with who holds it and for how long', async (t) => {
  const w = await setupCaseWorld(t, '2026-02-13 10:00')
  const agent = await loggedIn(w, w.agent)
  const other = await loggedIn(w, w.otherAgent)
  await submitIntake(agent, await w.matterId('MZ-01'), { ...APPLICANT, materialsReceived: ['书面申请', '居民身份证', '受灾情况说明'] })
  await submitIntake(other, await w.matterId('MZ-01'), { ...APPLICANT, idNumber: '440524198001010013', materialsReceived: ['书面申请', '居民身份证', '受灾情况说明'] })
  w.clock.set('2026-03-02 08:00')
  const supervisor = await loggedIn(w, w.supervisor)
  const board = await supervisor.get('/overdue')
  t.equal(board.statusCode, 200)
  t.match(board.body, '超期办件 (1)', 'only the town’s late case')
  t.match(board.body, '<svg', 'the aging chart')
  t.match(board.body, /严重超期<\/span> 2026-02-25<\/td><td class="num">4<\/td>/, 'late by 4 working days: 26, 27, 28 (make-up) February and 2 March')
  t.match(board.body, '王代办', 'held by the agent while not forwarded')
  const county = await loggedIn(w, w.countySupervisor)
  t.match((await county.get('/overdue')).body, '超期办件 (2)', 'the county sees both')
  const csv = await county.get('/overdue.csv')
  t.equal(csv.body.trim().split('\n').length, 3)
  t.equal((await agent.get('/overdue')).statusCode, 403)
})

t.test('the overdue board with many open cases: on-time ones counted, the 100 latest listed, the CSV complete', async (t) => {
  const w = await setupCaseWorld(t, '2026-02-13 10:00')
  const agent = await loggedIn(w, w.agent)
  const { caseId } = await submitIntake(agent, await w.matterId('MZ-01'), { ...APPLICANT, materialsReceived: ['书面申请', '居民身份证', '受灾情况说明'] })
  // 120 copies of the case due on 25 February and 30 due in April, as a county's backlog would be.
  for (const [count, dueOn, tag] of [[120, '2026-02-25', 'L'], [30, '2026-04-30', 'F']] as const) {
    await sql`insert into cases (county_id, town_id, village_id, case_no, idempotency_key, idempotency_scope, applicant_id, matter_id, matter_version_id, channel, service_form,
                stage, agent_id, registered_on, accepted_on, forward_due, complete_due, due_on, due_limit)
              select county_id, town_id, village_id, case_no || ${tag} || n, gen_random_uuid(), idempotency_scope, applicant_id, matter_id, matter_version_id, channel, service_form,
                stage, agent_id, registered_on, accepted_on, forward_due, complete_due, ${dueOn}::date, due_limit
              from cases, generate_series(1, ${count}) n where id = ${caseId}`.execute(w.db)
  }
  w.clock.set('2026-03-02 08:00')
  const supervisor = await loggedIn(w, w.supervisor)
  const board = await supervisor.get('/overdue')
  t.equal(board.statusCode, 200)
  t.match(board.body, '超期办件 (121)', 'the count covers every late case')
  t.match(board.body, '仅列出超期最久的 100 件，共 121 件', 'the page says the list is cut')
  t.equal(board.body.match(/<td class="num">4<\/td><\/tr>/g)?.length, 100, 'a hundred rows listed')
  t.match(board.body, /<td>第1镇<\/td><td class="num">30<\/td><td class="num">0<\/td><td class="num">0<\/td><td class="num">121<\/td>/, 'the town row: 30 on time (counted, not listed) and 121 very overdue')
  const csv = await supervisor.get('/overdue.csv')
  t.equal(csv.body.trim().split('\n').length, 122, 'the CSV lists all 121')
})

t.test('worklists at scale: the most urgent 500 are listed and the page says there are more', async (t) => {
  const w = await setupCaseWorld(t, '2026-02-13 10:00')
  const agent = await loggedIn(w, w.agent)
  const { caseId } = await submitIntake(agent, await w.matterId('MZ-01'), { ...APPLICANT, materialsReceived: ['书面申请', '居民身份证', '受灾情况说明'] })
  t.notMatch((await agent.get('/')).body, '还有更多未列出', 'one case: no note')
  await sql`insert into cases (county_id, town_id, village_id, case_no, idempotency_key, idempotency_scope, applicant_id, matter_id, matter_version_id, channel, service_form,
              stage, agent_id, registered_on, accepted_on, forward_due, complete_due, due_on, due_limit)
            select county_id, town_id, village_id, case_no || 'C' || n, gen_random_uuid(), idempotency_scope, applicant_id, matter_id, matter_version_id, channel, service_form,
              stage, agent_id, registered_on, accepted_on, forward_due, complete_due, due_on, due_limit
            from cases, generate_series(1, 520) n where id = ${caseId}`.execute(w.db)
  const home = await agent.get('/')
  t.equal(home.statusCode, 200)
  t.match(home.body, '只列出最紧急的 500 件，还有更多未列出', 'the agent is told the list is cut')
  const supervisor = await loggedIn(w, w.supervisor)
  t.match((await supervisor.get('/')).body, '只列出最紧急的 500 件', 'and so is the supervisor')
})
