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
  // The latest first, from the index of open stages, before anything is joined to them.
  let latest = openStages(db, scope).select(['cases.id', 'cases.caseNo', 'cases.stage', 'cases.dueOn', 'cases.dueLimit', 'cases.villageId', 'cases.townId', 'cases.windowId', 'cases.agentId', 'cases.matterVersionId']).where('cases.dueOn', '<', today).orderBy('cases.dueOn').orderBy('cases.id')
  if (limit !== undefined) latest = latest.limit(limit)
  const rows = await db
    .selectFrom(latest.as('late'))
    .innerJoin('villages', 'villages.id', 'late.villageId')
    .innerJoin('towns', 'towns.id', 'late.townId')
    .innerJoin('users as agent', 'agent.id', 'late.agentId')
    .innerJoin('matterVersions', 'matterVersions.id', 'late.matterVersionId')
    .leftJoin('windows', 'windows.id', 'late.windowId')
    // The window's own town: a case of a village may be forwarded to the county centre.
    .leftJoin('towns as windowTowns', 'windowTowns.id', 'windows.townId')
    .select([
      'late.id', 'late.caseNo', 'late.stage', 'late.dueOn', 'late.dueLimit', 'villages.name as villageName', 'towns.name as townName',
      'windows.name as windowName', 'windows.townId as windowTownId', 'windowTowns.name as windowTownName', 'agent.displayName as agentName', 'matterVersions.name as matterName',
    ])
    .orderBy('late.dueOn')
    .orderBy('late.id')
    .execute()
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
  // One statement, four tallies and the ages: grouping sets count by town, village, window and
  // agent (each with status) and by age bucket; grouping() says which tally a row belongs to.
  const [groups, late] = await Promise.all([
    db
      .with('s', () => openStages(db, scope).select(['cases.townId', 'cases.villageId', 'cases.windowId', 'cases.agentId', status.as('status'), bucket.as('bucket')]))
      .with('g', (qb) =>
        qb
          .selectFrom('s')
          .select([
            's.townId', 's.villageId', 's.windowId', 's.agentId', 's.status', 's.bucket',
            (eb) => eb.fn.countAll<string>().as('n'),
            sql<number>`grouping(s.town_id, s.village_id, s.window_id, s.agent_id)`.as('tally'),
          ])
          .groupBy(sql`grouping sets ((s.town_id, s.status), (s.town_id, s.village_id, s.status), (s.window_id, s.status), (s.village_id, s.agent_id, s.status), (s.bucket))`),
      )
      .selectFrom('g')
      .leftJoin('villages', 'villages.id', 'g.villageId')
      .leftJoin('towns', 'towns.id', 'g.townId')
      .leftJoin('users as agent', 'agent.id', 'g.agentId')
      .leftJoin('windows', 'windows.id', 'g.windowId')
      .leftJoin('towns as windowTowns', 'windowTowns.id', 'windows.townId')
      .select(['g.tally', 'g.status', 'g.bucket', 'g.n', 'villages.name as villageName', 'towns.name as townName', 'windows.name as windowName', 'windows.townId as windowTownId', 'windowTowns.name as windowTownName', 'agent.displayName as agentName'])
      .execute(),
    lateCases(db, scope, calendar, today, nameWindow, lateOnPage),
  ])
  // grouping() bits, town first: 1 where the column is not one the row is counted by.
  const TALLY = { town: 0b0111, village: 0b0011, window: 0b1101, agent: 0b1010, age: 0b1111 }
  const rowsOf = (tally: number) => groups.filter((g) => Number(g.tally) === tally && g.status !== null)
  const collator = new Intl.Collator(undefined)
  const countBy = (tally: number, key: (g: (typeof groups)[number]) => string) => {
    const byKey = new Map<string, Record<StageStatus, number>>()
    for (const g of rowsOf(tally)) {
      const k = key(g)
      const counts = byKey.get(k) ?? { on_time: 0, due_soon: 0, overdue: 0, very_overdue: 0 }
      counts[g.status!] += Number(g.n)
      byKey.set(k, counts)
    }
    return [...byKey].map(([name, counts]) => ({ name, ...counts })).sort((a, b) => b.very_overdue - a.very_overdue || b.overdue - a.overdue || collator.compare(a.name, b.name))
  }
  const byTown = countBy(TALLY.town, (g) => g.townName!)
  const ages = groups.filter((g) => Number(g.tally) === TALLY.age && g.bucket !== null)
  return {
    late,
    lateTotal: byTown.reduce((n, t) => n + t.overdue + t.very_overdue, 0),
    byTown,
    byVillage: countBy(TALLY.village, (g) => `${g.townName} · ${g.villageName}`),
    byWindow: countBy(TALLY.window, (g) => windowOf(g, nameWindow) ?? '—'),
    byAgent: countBy(TALLY.agent, (g) => `${g.villageName} · ${g.agentName}`),
    aging: AGE_BUCKETS.map((b) => ({ key: b.key, count: ages.filter((g) => g.bucket === b.key).reduce((n, g) => n + Number(g.n), 0) })),
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
