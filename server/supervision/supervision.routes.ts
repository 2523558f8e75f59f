import type { FastifyInstance } from 'fastify'
import { scopeOf } from '../accounts/actor.ts'
import { loadCalendar } from '../calendar/calendar.repository.ts'
import { BOM, csvLine } from '../ledger/csv.ts'
import { agingChartSvg, lateCases, overdueBoard } from './overdue.ts'
import { windowLabelFor } from '../org/window-label.ts'

/** The overdue board for supervisors, and the job runs for administrators. */
const LATE_ON_PAGE = 100

export default async function supervisionRoutes(app: FastifyInstance) {
  const supervisors = { roles: ['supervisor', 'admin'] as const }

  app.get('/overdue', { config: supervisors }, async (request, reply) => {
    const scope = scopeOf(request.actor!)
    // A county can have thousands of late cases: the page lists the worst, the CSV all of them.
    const board = await overdueBoard(app.db, scope, await loadCalendar(app.db, request.actor!.countyId), app.today(), (w) => windowLabelFor(scope, request.t, w), LATE_ON_PAGE)
    return reply.viewAsync('supervision/overdue.hbs', {
      title: request.t('overdue.title'),
      ...board,
      lateTruncated: board.lateTotal > board.late.length,
      chart: agingChartSvg(board.aging, (key) => request.t('overdue.lateDays', { range: key }), request.t('overdue.chartTitle')),
    })
  })

  app.get('/overdue.csv', { config: supervisors }, async (request, reply) => {
    const scope = scopeOf(request.actor!)
    const t = request.t
    const late = await lateCases(app.db, scope, await loadCalendar(app.db, request.actor!.countyId), app.today(), (w) => windowLabelFor(scope, t, w))
    let csv = BOM + csvLine([t('cases.caseNo'), t('cases.village'), t('cases.matter'), t('cases.stage'), t('overdue.holder'), t('cases.due'), t('overdue.late'), t('overdue.dueStatus')])
    for (const c of late) csv += csvLine([c.caseNo, `${c.townName} · ${c.villageName}`, c.matterName, t(`stages.${c.stage}`), c.holder, c.dueOn, c.late, t(`due.status.${c.status}`)])
    reply.header('content-disposition', `attachment; filename="overdue-${app.today()}.csv"`)
    return reply.type('text/csv; charset=utf-8').send(csv)
  })

  app.get('/admin/jobs', { config: { roles: ['admin'] } }, async (request, reply) => {
    const runs = await app.db.selectFrom('jobRuns').selectAll().orderBy('id', 'desc').limit(200).execute()
    return reply.viewAsync('supervision/jobs.hbs', { title: request.t('jobs.title'), runs })
  })
}
