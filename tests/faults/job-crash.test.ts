import t from 'tap'
import { sql } from 'kysely'
import { setupCaseWorld, loggedIn, submitIntake, APPLICANT } from '../fixtures/cases.ts'
import { sweepDeadlines } from '../../server/jobs/deadline-sweep.ts'
import { runRecordedJob } from '../../server/jobs/run-job.ts'
import { loadCalendar } from '../../server/calendar/calendar.repository.ts'
import { verifyChain } from '../../server/ledger/chain.ts'

/**
 * A crash inside the deadline sweep, injected by a trigger that fails on the second case's event:
 * the case before it is complete (alert, event, notifications), the failing one has nothing
 * (no alert without its event), the rest are untouched; the next run finishes the job, once.
 */
t.test('a job that crashes midway leaves no half-done case; the next run completes the sweep', async (t) => {
  const w = await setupCaseWorld(t, '2026-02-13 10:00')
  const agent = await loggedIn(w, w.agent)
  const materials = ['书面申请', '居民身份证', '受灾情况说明']
  const ids: string[] = []
  for (const idNumber of ['11010519491231002X', '440524198001010013', '110105194912310038']) {
    const { caseId } = await submitIntake(agent, await w.matterId('MZ-01'), { ...APPLICANT, idNumber, materialsReceived: materials })
    ids.push(caseId!)
  }
  const [first, second] = ids.map(Number).sort((a, b) => a - b).map(String)
  // The fault: writing the second case's sweep event fails, as a dropped connection or a full disk would.
  await sql`create function fail_sweep() returns trigger language plpgsql as $$
            begin if new.actor_role = 'system' and new.case_id = ${sql.lit(Number(second))} then raise exception 'injected fault'; end if; return new; end $$`.execute(w.db)
  await sql`create trigger fail_sweep before insert on case_events for each row execute function fail_sweep()`.execute(w.db)

  const calendar = await loadCalendar(w.db)
  const crashed = await runRecordedJob(w.db, 'deadline-sweep', (db) => sweepDeadlines(db, calendar, '2026-02-26', new Date()))
  t.match(crashed.error, 'injected fault', 'the run failed and says why (recorded in job_runs)')
  const state = async (caseId: string) => ({
    alerts: (await w.db.selectFrom('caseAlerts').select('level').where('caseId', '=', caseId).execute()).length,
    events: (await w.db.selectFrom('caseEvents').select('id').where('caseId', '=', caseId).where('actorRole', '=', 'system').execute()).length,
    notifications: (await w.db.selectFrom('notifications').select('id').where('caseId', '=', caseId).execute()).length,
  })
  const done = await state(first)
  t.same({ alerts: done.alerts, events: done.events }, { alerts: 1, events: 1 }, 'the case before the fault: its alert and its event')
  t.ok(done.notifications > 0, 'and its notifications')
  t.same(await state(second), { alerts: 0, events: 0, notifications: 0 }, 'the failing case: nothing at all, not an alert without its event')
  const total = (await w.db.selectFrom('caseAlerts').select('caseId').execute()).length
  t.equal(total, 1, 'the run stopped at the fault: nothing after it either')

  await sql`drop trigger fail_sweep on case_events`.execute(w.db)
  const rerun = await runRecordedJob(w.db, 'deadline-sweep', (db) => sweepDeadlines(db, calendar, '2026-02-26', new Date()))
  t.same({ error: rerun.error, rows: rerun.rows }, { error: null, rows: 2 }, 'the next run completes the other two')
  for (const id of ids) t.same({ ...(await state(id)), notifications: undefined }, { alerts: 1, events: 1, notifications: undefined }, `case ${id}: one alert and one event, none twice`)
  t.equal((await verifyChain(w.db, 'case_events')).firstBreak, null, 'the hash chain holds')
  const runs = await w.db.selectFrom('jobRuns').select(['rows', 'error']).where('job', '=', 'deadline-sweep').orderBy('id').execute()
  t.same(runs.map((r) => [r.rows, r.error === null ? null : 'failed']), [[0, 'failed'], [2, null]], 'both runs recorded for the admins')
})
