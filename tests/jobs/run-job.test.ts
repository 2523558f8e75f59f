import t from 'tap'
import { setupApp } from '../fixtures/app.ts'
import { runExclusively } from '../../server/jobs/run-job.ts'

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
