import { sql } from 'kysely'
import type { Db } from '../db/connect.ts'
import type { Scope } from '../accounts/actor.ts'
import { inScope } from '../accounts/scope.ts'
import { CASE_COLUMNS } from '../cases/cases.repository.ts'
import type { Calendar } from '../calendar/working-days.ts'
import { workingDaysBetween } from '../calendar/working-days.ts'
import { lateByAtLeast, stageStatus, STATUS_DATES_MAX_LATE, statusDates, type StageStatus } from '../cases/case-deadlines.ts'
import { holderOf, SWEPT_STAGES } from '../cases/case-rules.ts'
import type { WindowName } from '../org/window-label.ts'

export const AGE_BUCKETS = [
  { key: '1-2', min: 1, max: 2 },
  { key: '3-5', min: 3, max: 5 },
  { key: '6-10', min: 6, max: 10 },
  { key: '11-20', min: 11, max: 20 },
  { key: '21+', min: 21, max: Infinity },
] as const

type WindowColumns = { windowName: string | null; windowTownId: number | null; windowTownName: string | null }

/** Open stages in scope that run a deadline: the ones the board is about. */
function openStages(db: Db, scope: Scope) {
  return db
    .selectFrom('cases')
    .where('cases.stage', 'in', SWEPT_STAGES)
    .where('cases.dueOn', 'is not', null)
    .where((eb) => inScope(eb, scope, CASE_COLUMNS))
}

/**
 * The late cases in scope, latest due first (most working days late first), at most `limit`,
 * with their lateness and who holds them. `nameWindow` names a window for the viewer
 * (org/window-label.ts): with its town at county level.
 */
export async function lateCases(db: Db, scope: Scope, calendar: Calendar, today: string, nameWindow: (window: WindowName) => string, limit?: number) {
  let q = openStages(db, scope)
    .innerJoin('villages', 'villages.id', 'cases.villageId')
    .innerJoin('towns', 'towns.id', 'cases.townId')
    .innerJoin('users as agent', 'agent.id', 'cases.agentId')
    .innerJoin('matterVersions', 'matterVersions.id', 'cases.matterVersionId')
    .leftJoin('windows', 'windows.id', 'cases.windowId')
    // The window's own town: a case of a village may be forwarded to the county centre.
    .leftJoin('towns as windowTowns', 'windowTowns.id', 'windows.townId')
    .select([
      'cases.id', 'cases.caseNo', 'cases.stage', 'cases.dueOn', 'cases.dueLimit', 'villages.name as villageName', 'towns.name as townName',
      'windows.name as windowName', 'windows.townId as windowTownId', 'windowTowns.name as windowTownName', 'agent.displayName as agentName', 'matterVersions.name as matterName',
    ])
    .where('cases.dueOn', '<', today)
    .orderBy('cases.dueOn')
    .orderBy('cases.id')
  if (limit !== undefined) q = q.limit(limit)
  const rows = await q.execute()
  return rows.map((r) => {
    const window = windowOf(r, nameWindow)
    return { ...r, window, status: stageStatus(calendar, r.dueOn!, r.dueLimit ?? 0, today), late: workingDaysBetween(calendar, r.dueOn!, today), holder: holderOf(r.stage) === 'window' ? (window ?? '') : r.agentName }
  })
}

const windowOf = (r: WindowColumns, nameWindow: (window: WindowName) => string) =>
  r.windowName === null ? null : nameWindow({ name: r.windowName, townId: r.windowTownId, townName: r.windowTownName })

/**
 * The overdue board: open stages in scope counted by status per town, village, window and agent,
 * the lateness of the late ones by age, and the `lateOnPage` latest of them. A county has
 * thousands of open stages: they are counted in one grouped statement, each stage's status from
 * its due date and limit through the day's status dates (cases/case-deadlines.ts), so only the
 * groups and the listed cases leave the database.
 */
export async function overdueBoard(db: Db, scope: Scope, calendar: Calendar, today: string, nameWindow: (window: WindowName) => string, lateOnPage: number) {
  const dates = statusDates(calendar, today)
  const limit = sql`least(greatest(1, coalesce(cases.due_limit, 0)), ${STATUS_DATES_MAX_LATE})`
  const status = sql<StageStatus>`case when cases.due_on > ${dates.dueSoonUntil} then 'on_time' when cases.due_on >= ${today} then 'due_soon'
    when cases.due_on <= (${dates.lateBy}::date[])[${limit}] then 'very_overdue' else 'overdue' end`
  // Oldest bucket first: the first boundary a due date is on or before names its bucket.
  const agedFirst = [...AGE_BUCKETS].reverse()
  const bucket = sql<string | null>`case ${sql.join(agedFirst.map((b) => sql`when cases.due_on <= ${lateByAtLeast(dates, b.min)} then ${b.key}`), sql` `)} end`
  const [groups, late] = await Promise.all([
    db
      .with('g', () =>
        openStages(db, scope)
          .select(['cases.stage', 'cases.villageId', 'cases.townId', 'cases.windowId', 'cases.agentId', status.as('status'), bucket.as('bucket'), (eb) => eb.fn.countAll<string>().as('n')])
          .groupBy(['cases.stage', 'cases.villageId', 'cases.townId', 'cases.windowId', 'cases.agentId', sql`status`, sql`bucket`]),
      )
      .selectFrom('g')
      .innerJoin('villages', 'villages.id', 'g.villageId')
      .innerJoin('towns', 'towns.id', 'g.townId')
      .innerJoin('users as agent', 'agent.id', 'g.agentId')
      .leftJoin('windows', 'windows.id', 'g.windowId')
      .leftJoin('towns as windowTowns', 'windowTowns.id', 'windows.townId')
      .select(['g.stage', 'g.status', 'g.bucket', 'g.n', 'villages.name as villageName', 'towns.name as townName', 'windows.name as windowName', 'windows.townId as windowTownId', 'windowTowns.name as windowTownName', 'agent.displayName as agentName'])
      .execute(),
    lateCases(db, scope, calendar, today, nameWindow, lateOnPage),
  ])
  const counted = groups.map((g) => ({ ...g, window: windowOf(g, nameWindow), n: Number(g.n) }))
  const countBy = (key: (c: (typeof counted)[number]) => string) => {
    const byKey = new Map<string, Record<StageStatus, number>>()
    for (const c of counted) {
      const k = key(c)
      const g = byKey.get(k) ?? { on_time: 0, due_soon: 0, overdue: 0, very_overdue: 0 }
      g[c.status] += c.n
      byKey.set(k, g)
    }
    return [...byKey].map(([name, counts]) => ({ name, ...counts })).sort((a, b) => b.very_overdue - a.very_overdue || b.overdue - a.overdue || a.name.localeCompare(b.name))
  }
  const sum = (keep: (c: (typeof counted)[number]) => boolean) => counted.filter(keep).reduce((n, c) => n + c.n, 0)
  return {
    late,
    lateTotal: sum((c) => c.status === 'overdue' || c.status === 'very_overdue'),
    byTown: countBy((c) => c.townName),
    byVillage: countBy((c) => `${c.townName} · ${c.villageName}`),
    byWindow: countBy((c) => c.window ?? '—'),
    byAgent: countBy((c) => `${c.villageName} · ${c.agentName}`),
    aging: AGE_BUCKETS.map((b) => ({ key: b.key, count: sum((c) => c.bucket === b.key) })),
  }
}

/**
 * A bar chart drawn on the server as SVG: no script, prints as it looks. It is drawn 320 units wide,
 * the width of a 360 px phone less the page's margins, so its 14-unit text shows at about 14 px there
 * (never below 12 px on the narrowest phones) and grows with the chart on wider screens (the
 * `supervision & print` rules of app.css). Each label sits above its bar, so a label of any length in
 * any language never runs under the bar; each bar ends in its count, so no axis needs reading.
 */
export const AGING_CHART_WIDTH = 320
export const AGING_CHART_FONT = 14

export function agingChartSvg(buckets: { key: string; count: number }[], label: (key: string) => string, title: string): string {
  const width = AGING_CHART_WIDTH
  const font = AGING_CHART_FONT
  const labelHeight = font + 6
  const barHeight = 20
  const rowHeight = labelHeight + barHeight + 12
  // Room after the longest bar for a count of four digits.
  const longest = width - 4 * font
  const max = Math.max(1, ...buckets.map((b) => b.count))
  const rows = buckets
    .map((b, i) => {
      const w = Math.round((b.count / max) * longest)
      const y = i * rowHeight
      return (
        `<text x="0" y="${y + font}" font-size="${font}" fill="#222">${escapeXml(label(b.key))}</text>` +
        `<rect x="0" y="${y + labelHeight}" width="${w}" height="${barHeight}" fill="#c62828"/>` +
        `<text x="${w + 6}" y="${y + labelHeight + barHeight / 2 + font / 2 - 2}" font-size="${font}" font-weight="bold" fill="#222">${b.count}</text>`
      )
    })
    .join('')
  const height = buckets.length * rowHeight - 12
  // An image needs a text alternative (WCAG 1.1.1): the title names the chart and repeats its numbers.
  const alternative = `${title}: ${buckets.map((b) => `${label(b.key)} ${b.count}`).join('; ')}`
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><title>${escapeXml(alternative)}</title>${rows}</svg>`
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!)
}
