import fp from 'fastify-plugin'
import cron from 'node-cron'
import type { FastifyInstance } from 'fastify'
import { runRecordedJob } from './run-job.ts'
import { publishOverdueMonthlyLists } from '../notices/notices.service.ts'
import { sweepDeadlines } from './deadline-sweep.ts'
import { loadCalendar } from '../calendar/calendar.repository.ts'
import { deliverSms, LogSender, WebhookSender } from '../sms/outbox.ts'
import { deliverRatings, WebhookRatingSender } from '../ratings/rating-push.ts'
import { anonymiseDormantApplicants, purgeExpiredAccessRecords, removeOldImportWorkbooks } from '../privacy/retention.ts'
import { failCutOffImportJobs } from '../imports/cut-off.ts'
import { applyDeemedApprovals, followUpUnrated, remindCalendar, snapshotMonthlyStats } from './case-rules-jobs.ts'

/** Scheduled work, in the configured local time zone; every instance schedules, one runs each slot (run-job.ts). */
async function jobsPlugin(app: FastifyInstance, options: { enabled: boolean }) {
  if (!options.enabled) return
  const sender = app.config.smsWebhookUrl ? new WebhookSender(app.config.smsWebhookUrl) : new LogSender((entry, message) => app.log.info(entry, message))
  const job = (name: string, schedule: string, work: () => Promise<number>) =>
    cron.schedule(
      schedule,
      async (context) => {
        try {
          // The slot is the time the schedule fired for, the same on every instance's timer.
          const run = await runRecordedJob(app.db, name, work, { slot: context.date })
          if (run.error) app.log.error({ job: name, error: run.error }, 'job failed')
          else if (run.ran) app.log.info({ job: name, rows: run.rows }, 'job done')
        } catch (error) {
          // The database may be away; the next run tries again.
          app.log.error({ err: error, job: name }, 'job could not run')
        }
      },
      { timezone: app.config.timeZone, name },
    )
  // A county's cases count on its own calendar (national schedule plus its own days off). The sweep
  // and the deemed approvals read every county's cases with one calendar: with one county that is
  // its calendar; with several, the national one until those jobs take a county to filter on.
  const jobCalendar = async () => {
    const counties = await app.db.selectFrom('counties').select('id').limit(2).execute()
    return loadCalendar(app.db, counties.length === 1 ? counties[0].id : undefined)
  }
  const tasks = [
    // Every 15 minutes, and just after midnight when dates turn.
    job('deadline-sweep', '*/15 * * * *', async () => sweepDeadlines(app.db, await jobCalendar(), app.today(), app.now())),
    job('deadline-sweep-midnight', '2 0 * * *', async () => sweepDeadlines(app.db, await jobCalendar(), app.today(), app.now())),
    // Monthly case lists still waiting for approval go up on the 5th (and any day after, if missed).
    job('publish-monthly-lists', '10 0 * * *', () => publishOverdueMonthlyLists(app.db, app.today(), app.now())),
    job('deemed-approvals', '20 0 * * *', async () => applyDeemedApprovals(app.db, await jobCalendar(), app.today(), app.now())),
    job('unrated-follow-up', '30 0 * * *', async () =>
      followUpUnrated(app.db, await jobCalendar(), app.today(), app.now(), { reminderDays: app.config.ratingReminderDays, closeDays: app.config.ratingCloseDays, defaultRating: app.config.defaultRating }),
    ),
    // Monthly statistics on the 1st at 01:00 for the month before.
    job('monthly-stats', '0 1 1 * *', () => snapshotMonthlyStats(app.db, app.today(), app.config.timeZone)),
    job('calendar-reminder', '0 8 * * *', () => remindCalendar(app.db, app.today())),
    // Retention (PIPL): files with no case or visit for years are anonymised; old access records go.
    job('anonymise-dormant-applicants', '40 1 * * *', () => anonymiseDormantApplicants(app.db, app.now(), { years: app.config.anonymiseAfterYears, timeZone: app.config.timeZone })),
    job('purge-access-records', '50 1 * * *', () => purgeExpiredAccessRecords(app.db, app.now(), { years: app.config.accessRecordYears })),
    // A job cut off by a crash is failed first, so its workbook goes too (imports/cut-off.ts).
    job('remove-import-workbooks', '55 1 * * *', async () => {
      await failCutOffImportJobs(app.db, app.now())
      return removeOldImportWorkbooks(app.db, app.now(), { days: app.config.importWorkbookDays })
    }),
    job('sms-delivery', '* * * * *', () => deliverSms(app.db, sender, app.now())),
  ]
  // Without RATING_PUSH_URL the ratings stay queued (held) until one is configured.
  const ratingPushUrl = app.config.ratingPushUrl
  if (ratingPushUrl) {
    const ratingSender = new WebhookRatingSender(ratingPushUrl)
    tasks.push(job('rating-push', '* * * * *', () => deliverRatings(app.db, ratingSender, app.now(), app.config.timeZone)))
  }
  app.addHook('onClose', async () => {
    for (const task of tasks) await task.stop()
  })
}

export default fp(jobsPlugin, { name: 'jobs', dependencies: ['db'] })
