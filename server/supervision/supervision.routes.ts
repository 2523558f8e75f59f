import type { FastifyInstance } from 'fastify'
import { scopeOf } from '../accounts/actor.ts'
import { loadCalendar } from '../calendar/calendar.repository.ts'
import { EXPORT_FORMATS, sendTable, type Column } from '../exports/table.ts'
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

  for (const format of EXPORT_FORMATS) {
    app.get(`/overdue.${format}`, { config: supervisors }, async (request, reply) => {
      const scope = scopeOf(request.actor!)
      const t = request.t
      const late = await lateCases(app.db, scope, await loadCalendar(app.db, request.actor!.countyId), app.today(), (w) => windowLabelFor(scope, t, w))
      const columns: Column<(typeof late)[number]>[] = [
        { header: t('cases.caseNo'), kind: 'text', value: (c) => c.caseNo },
        { header: t('cases.village'), kind: 'text', value: (c) => `${c.townName} · ${c.villageName}` },
        { header: t('cases.matter'), kind: 'text', value: (c) => c.matterName },
        { header: t('cases.stage'), kind: 'text', value: (c) => t(`stages.${c.stage}`) },
        { header: t('overdue.holder'), kind: 'text', value: (c) => c.holder },
        { header: t('cases.due'), kind: 'date', value: (c) => c.dueOn },
        { header: t('overdue.late'), kind: 'number', value: (c) => c.late },
        { header: t('overdue.dueStatus'), kind: 'text', value: (c) => t(`due.status.${c.status}`) },
      ]
      return sendTable(reply, format, { filename: `overdue-${app.today()}`, sheet: t('xlsx.sheets.overdue'), columns, rows: late })
    })
  }

  app.get('/admin/jobs', { config: { roles: ['admin'] } }, async (request, reply) => {
    const runs = await app.db.selectFrom('jobRuns').selectAll().orderBy('id', 'desc').limit(200).execute()
    return reply.viewAsync('supervision/jobs.hbs', { title: request.t('jobs.title'), runs })
  })
}
