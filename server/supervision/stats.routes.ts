import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import { scopeOf } from '../accounts/actor.ts'
import { loadCalendar } from '../calendar/calendar.repository.ts'
import { BOM, csvLine } from '../ledger/csv.ts'
import { MONTH_PATTERN } from '../calendar/working-days.ts'
import { monthlyStats, staffPerformance, totalsOf, type StatRow } from './stats.ts'
import { monthBounds, monthOf } from './months.ts'
import { windowLabelFor } from '../org/window-label.ts'

const monthQuery = { type: 'object', properties: { month: { type: 'string', maxLength: 7, pattern: `^$|${MONTH_PATTERN}`, hint: 'stats.monthFormat' } } } as const

/** 便民服务办理情况统计表 and staff performance, for the actor's area, with the previous month beside. */
export default async function statsRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<JsonSchemaToTsProvider>()
  const roles = { roles: ['agent', 'supervisor', 'admin'] as const }

  async function model(request: FastifyRequest, asked: string | undefined) {
    const actor = request.actor!
    const scope = scopeOf(actor)
    const month = asked || monthBounds(monthOf(app.today())).previous
    const previous = monthBounds(month).previous
    const [current, before] = await Promise.all([monthlyStats(app.db, actor.countyId, scope, month, app.config.timeZone), monthlyStats(app.db, actor.countyId, scope, previous, app.config.timeZone)])
    const group = (rows: StatRow[], key: (r: StatRow) => string, visitsOf: (k: string) => { batches: number; people: number }[], extraKeys: string[] = []) => {
      const keys = [...new Set([...rows.map(key), ...extraKeys])].sort()
      return keys.map((k) => ({ name: k, ...totalsOf(rows.filter((r) => key(r) === k), visitsOf(k)) }))
    }
    const villages = await app.db.selectFrom('villages').innerJoin('towns', 'towns.id', 'villages.townId').select(['villages.id', 'villages.name', 'towns.name as townName']).where('villages.countyId', '=', actor.countyId).execute()
    const label = new Map(villages.map((v) => [v.id, { village: `${v.townName} · ${v.name}`, town: v.townName }]))
    // Visits are counted per station, whether or not any case came of them.
    const visitsBy = (stats: typeof current, level: 'village' | 'town') => (name: string) =>
      [...stats.visitsByVillage].filter(([id]) => label.get(id)?.[level] === name).map(([, v]) => v)
    return {
      month,
      previous,
      total: totalsOf(current.detail, [...current.visitsByVillage.values()]),
      totalBefore: totalsOf(before.detail, [...before.visitsByVillage.values()]),
      byTown: scope.kind === 'county' ? group(current.detail, (r) => r.townName, visitsBy(current, 'town'), [...current.visitsByVillage.keys()].map((id) => label.get(id)!.town)) : [],
      byVillage: group(current.detail, (r) => `${r.townName} · ${r.villageName}`, visitsBy(current, 'village'), [...current.visitsByVillage.keys()].map((id) => label.get(id)!.village)),
      byDepartment: group(current.detail, (r) => r.department, () => []),
      staff: await staffPerformance(app.db, actor.countyId, scope, month, await loadCalendar(app.db, actor.countyId), (w) => windowLabelFor(scope, request.t, w)),
    }
  }

  app.get('/stats', { config: roles, schema: { querystring: monthQuery } }, async (request, reply) => {
    return reply.viewAsync('supervision/stats.hbs', { title: request.t('stats.title'), ...(await model(request, request.query.month)) })
  })

  app.get('/stats.csv', { config: roles, schema: { querystring: monthQuery } }, async (request, reply) => {
    const m = await model(request, request.query.month)
    const t = request.t
    const columns = ['visitBatches', 'visitPeople', 'received', 'accepted', 'completed', 'completedOnTime', 'onTimeRate', 'overdue', 'rejected', 'withdrawn', 'satisfaction'] as const
    let csv = BOM + csvLine([t('stats.unit'), ...columns.map((c) => t(`stats.columns.${c}`))])
    for (const row of [{ ...m.total, name: t('stats.total') }, ...m.byVillage]) csv += csvLine([row.name, ...columns.map((c) => row[c] ?? '')])
    for (const row of m.byDepartment) csv += csvLine([t(`departments.${row.name}`), ...columns.map((c) => row[c] ?? '')])
    reply.header('content-disposition', `attachment; filename="stats-${m.month}.csv"`)
    return reply.type('text/csv; charset=utf-8').send(csv)
  })
}
