import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import { scopeOf } from '../accounts/actor.ts'
import { loadCalendar } from '../calendar/calendar.repository.ts'
import { EXPORT_FORMATS, sendTable, type Column } from '../exports/table.ts'
import { MONTH_PATTERN } from '../calendar/working-days.ts'
import { monthlyStats, staffPerformance, totalsOf, type StatRow, type Totals } from './stats.ts'
import { monthBounds, monthOf } from './months.ts'
import { windowLabelFor } from '../org/window-label.ts'
import type { Translate } from '../i18n/i18n.ts'

const STAT_COLUMNS = ['visitBatches', 'visitPeople', 'received', 'accepted', 'completed', 'completedOnTime', 'onTimeRate', 'overdue', 'rejected', 'withdrawn', 'satisfaction'] as const

const monthQuery = { type: 'object', properties: { month: { type: 'string', maxLength: 7, pattern: `^$|${MONTH_PATTERN}`, hint: 'stats.monthFormat' } } } as const

/**
 * How the two months are named on the page: the current month is counted to date, so it says so
 * ("本月（截至 11月29日）" beside "上月（10月）"); a month asked for by name is named by year and month.
 */
export function periodLabels(t: Translate, month: string, previous: string, today: string): { current: string; previous: string } {
  const monthName = (m: string) => t(`stats.period.monthNames.${Number(m.slice(5, 7))}`)
  const full = (m: string) => t('stats.period.month', { year: m.slice(0, 4), month: monthName(m) })
  if (month !== monthOf(today)) return { current: full(month), previous: full(previous) }
  return {
    current: t('stats.period.thisMonth', { date: t('stats.period.day', { month: monthName(today), day: Number(today.slice(8, 10)) }) }),
    previous: t('stats.period.lastMonth', { month: monthName(previous) }),
  }
}

/** 便民服务办理情况统计表 and staff performance, for the actor's area, with the previous month beside. */
export default async function statsRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<JsonSchemaToTsProvider>()
  const roles = { roles: ['agent', 'supervisor', 'admin'] as const }

  async function model(request: FastifyRequest, asked: string | undefined) {
    const actor = request.actor!
    const scope = scopeOf(actor)
    // Supervisors open it to see how the month is going: the current month to date, last month beside.
    const today = app.today()
    const month = asked || monthOf(today)
    const previous = monthBounds(month).previous
    const calendar = await loadCalendar(app.db, actor.countyId)
    const [current, before, villages, staff] = await Promise.all([
      monthlyStats(app.db, actor.countyId, scope, month, app.config.timeZone),
      monthlyStats(app.db, actor.countyId, scope, previous, app.config.timeZone),
      app.db.selectFrom('villages').innerJoin('towns', 'towns.id', 'villages.townId').select(['villages.id', 'villages.name', 'towns.name as townName']).where('villages.countyId', '=', actor.countyId).execute(),
      staffPerformance(app.db, actor.countyId, scope, month, calendar, (w) => windowLabelFor(scope, request.t, w)),
    ])
    // Rows and visits bucketed by key in one pass each (a county has hundreds of villages).
    const group = (rows: StatRow[], key: (r: StatRow) => string, visitsOf: (k: string) => { batches: number; people: number }[], extraKeys: string[] = []) => {
      const byKey = new Map<string, StatRow[]>(extraKeys.map((k) => [k, []]))
      for (const r of rows) {
        const k = key(r)
        if (!byKey.has(k)) byKey.set(k, [])
        byKey.get(k)!.push(r)
      }
      return [...byKey.keys()].sort().map((k) => ({ name: k, ...totalsOf(byKey.get(k)!, visitsOf(k)) }))
    }
    const label = new Map(villages.map((v) => [v.id, { village: `${v.townName} · ${v.name}`, town: v.townName }]))
    // Visits are counted per station, whether or not any case came of them.
    const visitsBy = (stats: typeof current, level: 'village' | 'town') => {
      const byName = new Map<string, { batches: number; people: number }[]>()
      for (const [id, v] of stats.visitsByVillage) {
        const name = label.get(id)?.[level]
        if (name === undefined) continue
        if (!byName.has(name)) byName.set(name, [])
        byName.get(name)!.push(v)
      }
      return (name: string) => byName.get(name) ?? []
    }
    const total = totalsOf(current.detail, [...current.visitsByVillage.values()])
    const totalBefore = totalsOf(before.detail, [...before.visitsByVillage.values()])
    return {
      month,
      previous,
      isCurrent: month === monthOf(today),
      labels: periodLabels(request.t, month, previous, today),
      // One row per measure, this month beside last: three columns fit a phone.
      comparison: STAT_COLUMNS.map((key) => ({ key, current: total[key], previous: totalBefore[key], percent: key === 'onTimeRate' || key === 'satisfaction' })),
      total,
      totalBefore,
      byTown: scope.kind === 'county' ? group(current.detail, (r) => r.townName, visitsBy(current, 'town'), [...current.visitsByVillage.keys()].map((id) => label.get(id)!.town)) : [],
      byVillage: group(current.detail, (r) => `${r.townName} · ${r.villageName}`, visitsBy(current, 'village'), [...current.visitsByVillage.keys()].map((id) => label.get(id)!.village)),
      byDepartment: group(current.detail, (r) => r.department, () => []),
      staff,
    }
  }

  app.get('/stats', { config: roles, schema: { querystring: monthQuery } }, async (request, reply) => {
    // The 好差评 records carry ID numbers in full: the export is for supervisors and administrators.
    const canExportRatings = request.actor!.role === 'supervisor' || request.actor!.role === 'admin'
    return reply.viewAsync('supervision/stats.hbs', { title: request.t('stats.title'), canExportRatings, ...(await model(request, request.query.month)) })
  })

  for (const format of EXPORT_FORMATS) {
    app.get(`/stats.${format}`, { config: roles, schema: { querystring: monthQuery } }, async (request, reply) => {
      const m = await model(request, request.query.month)
      const t = request.t
      type Line = Totals & { name: string }
      const columns: Column<Line>[] = [{ header: t('stats.unit'), kind: 'text', value: (r) => r.name }, ...STAT_COLUMNS.map((c): Column<Line> => ({ header: t(`stats.columns.${c}`), kind: 'number', value: (r) => r[c] }))]
      const rows: Line[] = [
        { ...m.total, name: t('stats.total') },
        { ...m.totalBefore, name: `${t('stats.total')} ${m.labels.previous}` },
        ...m.byVillage,
        ...m.byDepartment.map((row) => ({ ...row, name: t(`departments.${row.name}`) })),
      ]
      return sendTable(reply, format, { filename: `stats-${m.month}`, sheet: t('xlsx.sheets.stats'), columns, rows })
    })
  }
}
