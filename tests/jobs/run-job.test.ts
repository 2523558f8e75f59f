import t from 'tap'
import { setupApp } from '../fixtures/app.ts'
import { runExclusively, runRecordedJob } from '../../server/jobs/run-job.ts'
import { createDb, createPool } from '../../server/db/connect.ts'

t.test('two instances start a job at once: it runs once', async (t) => {
  const ctx = await setupApp(t)
  let runs = 0
  const slow = async () => {
    runs++
    await new Promise((r) => setTimeout(r, 200))
    return 'done'
  }
  const [a, b] = await Promise.all([runExclusively(ctx.db, 'sweep', slow), runExclusively(ctx.db, 'sweep', slow)])
  t.equal(runs, 1)
  t.same([a, b].sort(), ['done', null].sort())
  t.equal(await runExclusively(ctx.db, 'sweep', slow), 'done', 'the lock is released afterwards')
  await t.rejects(runExclusively(ctx.db, 'sweep', async () => Promise.reject(new Error('boom'))), /boom/)
  t.equal(await runExclusively(ctx.db, 'sweep', slow), 'done', 'and released after a crash too')
})

t.test('a scheduled slot runs once across instances, whether their timers fire together or one after the other', async (t) => {
  const ctx = await setupApp(t)
  // A second instance: its own pool of connections to the same database.
  const other = createDb(createPool(ctx.url, 2))
  t.teardown(() => other.destroy())
  const slot = new Date('2026-12-06T02:15:00Z')
  let runs = 0
  const work = async () => {
    runs++
    await new Promise((r) => setTimeout(r, 150))
    return 1
  }
  const [a, b] = await Promise.all([runRecordedJob(ctx.db, 'deadline-sweep', work, { slot }), runRecordedJob(other, 'deadline-sweep', work, { slot })])
  t.same([a.ran, b.ran].sort(), [false, true], 'together: one runs, the other finds the lock taken')
  const late = await runRecordedJob(other, 'deadline-sweep', work, { slot })
  t.same(late, { ran: false, rows: 0, error: null }, 'a moment after the run ended: the slot is taken, the late instance skips')
  t.equal(runs, 1, 'the work ran once for the slot')

  const failing = await runRecordedJob(ctx.db, 'deadline-sweep', async () => Promise.reject(new Error('boom')), { slot: new Date('2026-12-06T02:30:00Z') })
  t.equal(failing.error, 'boom')
  t.equal((await runRecordedJob(other, 'deadline-sweep', work, { slot: new Date('2026-12-06T02:30:00Z') })).ran, false, 'a failed slot is not run again by the other instance: the next slot tries again')
  t.equal((await runRecordedJob(other, 'deadline-sweep', work, { slot: new Date('2026-12-06T02:45:00Z') })).ran, true, 'the next slot runs')
  t.equal((await runRecordedJob(ctx.db, 'sms-delivery', work, { slot })).ran, true, 'another job at the same time has its own slot')
  t.equal((await runRecordedJob(ctx.db, 'deadline-sweep', work)).ran, true, 'a run by hand has no slot')
  t.equal((await runRecordedJob(other, 'deadline-sweep', work)).ran, true, 'and never conflicts with another')

  const rows = await ctx.db.selectFrom('jobRuns').select(['job', 'slot', 'error']).orderBy('id').execute()
  t.same(
    rows.map((r) => [r.job, r.slot?.toISOString() ?? null, r.error]),
    [
      ['deadline-sweep', '2026-12-06T02:15:00.000Z', null],
      ['deadline-sweep', '2026-12-06T02:30:00.000Z', 'boom'],
      ['deadline-sweep', '2026-12-06T02:45:00.000Z', null],
      ['sms-delivery', '2026-12-06T02:15:00.000Z', null],
      ['deadline-sweep', null, null],
      ['deadline-sweep', null, null],
    ],
    'job_runs: one run per job and slot',
  )
})
