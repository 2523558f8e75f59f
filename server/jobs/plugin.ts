import fp from 'fastify-plugin'
import cron from 'node-cron'
import type { FastifyInstance } from 'fastify'
import { runExclusively } from './run-job.ts'
import { publishOverdueMonthlyLists } from '../notices/notices.service.ts'

/** Scheduled work, in the configured local time zone; every instance schedules, one runs (advisory lock). */
async function jobsPlugin(app: FastifyInstance, options: { enabled: boolean }) {
  if (!options.enabled) return
  const tasks = [
    // Monthly case lists still waiting for approval go up on the 5th (and any day after, if missed).
    cron.schedule(
      '10 0 * * *',
      async () => {
        try {
          const published = await runExclusively(app.db, 'publish-monthly-lists', (db) => publishOverdueMonthlyLists(db, app.today()))
          if (published) app.log.info({ published }, 'monthly case lists published')
        } catch (error) {
          app.log.error({ err: error }, 'job publish-monthly-lists failed')
        }
      },
      { timezone: app.config.timeZone, name: 'publish-monthly-lists' },
    ),
  ]
  app.addHook('onClose', async () => {
    for (const task of tasks) await task.stop()
  })
}

export default fp(jobsPlugin, { name: 'jobs', dependencies: ['db'] })
