import fp from 'fastify-plugin'
import cron from 'node-cron'
import type { FastifyInstance } from 'fastify'
import { runRecordedJob } from './run-job.ts'
import { publishOverdueMonthlyLists } from '../notices/notices.service.ts'
import { sweepDeadlines } from './deadline-sweep.ts'
import { loadCalendar } from '../calendar/calendar.repository.ts'

/** Scheduled work, in the configured local time zone; every instance schedules, one runs (advisory lock). */
async function jobsPlugin(app: FastifyInstance, options: { enabled: boolean }) {
  if (!options.enabled) return
  const job = (name: string, schedule: string, work: () => Promise<number>) =>
    cron.schedule(
      schedule,
      async () => {
        try {
          const run = await runRecordedJob(app.db, name, work)
          if (run.error) app.log.error({ job: name, error: run.error }, 'job failed')
          else if (run.ran) app.log.info({ job: name, rows: run.rows }, 'job done')
        } catch (error) {
          // The database may be away; the next run tries again.
          app.log.error({ err: error, job: name }, 'job could not run')
        }
      },
      { timezone: app.config.timeZone, name },
    )
  const tasks = [
    // Every 15 minutes, and just after midnight when dates turn.
    job('deadline-sweep', '*/15 * * * *', async () => sweepDeadlines(app.db, await loadCalendar(app.db), app.today())),
    job('deadline-sweep-midnight', '2 0 * * *', async () => sweepDeadlines(app.db, await loadCalendar(app.db), app.today())),
    // Monthly case lists still waiting for approval go up on the 5th (and any day after, if missed).
    job('publish-monthly-lists', '10 0 * * *', () => publishOverdueMonthlyLists(app.db, app.today())),
  ]
  app.addHook('onClose', async () => {
    for (const task of tasks) await task.stop()
  })
}

export default fp(jobsPlugin, { name: 'jobs', dependencies: ['db'] })
