import type { Db } from '../db/connect.ts'
import type { Stage } from '../db/schema.ts'
import type { Scope } from '../accounts/actor.ts'
import { inScope } from '../accounts/scope.ts'
import { CASE_COLUMNS } from '../cases/cases.repository.ts'
import type { Calendar } from '../calendar/working-days.ts'
import { computeDueDate, workingDaysBetween } from '../calendar/working-days.ts'
import { stageStatus, type StageStatus } from '../cases/case-deadlines.ts'
import { holderOf, SWEPT_STAGES } from '../cases/case-rules.ts'
import type { WindowName } from '../org/window-label.ts'

export const AGE_BUCKETS = [
  { key: '1-2', min: 1, max: 2 },
  { key: '3-5', min: 3, max: 5 },
  { key: '6-10', min: 6, max: 10 },
  { key: '11-20', min: 11, max: 20 },
  { key: '21+', min: 21, max: Infinity },
] as const

/**
 * Open cases in scope with their due status and, when late, their lateness in working days.
 * A case due after the next working day is on time whatever else is true of it, so those are only
 * counted (in SQL, per group); rows come back only for the cases due by then — the ones the
 * board lists — which keeps a county with tens of thousands of open cases to a few thousand rows.
 * `nameWindow` names a window for the viewer (org/window-label.ts): with its town at county level.
 */
export async function overdueBoard(db: Db, scope: Scope, calendar: Calendar, today: string, nameWindow: (window: WindowName) => string) {
  const horizon = computeDueDate(calendar, today, 1).due
  const base = () =>
    db
      .selectFrom('cases')
      .innerJoin('villages', 'villages.id', 'cases.villageId')
      .innerJoin('towns', 'towns.id', 'cases.townId')
      .innerJoin('users as agent', 'agent.id', 'cases.agentId')
      .leftJoin('windows', 'windows.id', 'cases.windowId')
      // The window's own town: a case of a village may be forwarded to the county centre.
      .leftJoin('towns as windowTowns', 'windowTowns.id', 'windows.townId')
      .where('cases.stage', 'in', SWEPT_STAGES)
      .where('cases.dueOn', 'is not', null)
      .where((eb) => inScope(eb, scope, CASE_COLUMNS))
  const [rows, onTime] = await Promise.all([
    base()
      .innerJoin('matterVersions', 'matterVersions.id', 'cases.matterVersionId')
      .select([
        'cases.id', 'cases.caseNo', 'cases.stage', 'cases.dueOn', 'cases.dueLimit', 'villages.name as villageName', 'towns.name as townName',
        'windows.name as windowName', 'windows.townId as windowTownId', 'windowTowns.name as windowTownName', 'agent.displayName as agentName', 'matterVersions.name as matterName',
      ])
      .where('cases.dueOn', '<=', horizon)
      .execute(),
    base()
      .select(['cases.stage', 'villages.name as villageName', 'towns.name as townName', 'windows.name as windowName', 'windows.townId as windowTownId', 'windowTowns.name as windowTownName', 'agent.displayName as agentName', (eb) => eb.fn.countAll<string>().as('n')])
      .where('cases.dueOn', '>', horizon)
      .groupBy(['cases.stage', 'villages.name', 'towns.name', 'windows.id', 'windows.name', 'windows.townId', 'windowTowns.name', 'agent.displayName'])
      .execute(),
  ])
  type WindowColumns = { windowName: string | null; windowTownId: number | null; windowTownName: string | null }
  const windowOf = (r: WindowColumns) => (r.windowName === null ? null : nameWindow({ name: r.windowName, townId: r.windowTownId, townName: r.windowTownName }))
  const holderName = (r: { stage: Stage; agentName: string }, window: string | null) => (holderOf(r.stage) === 'window' ? (window ?? '') : r.agentName)
  const cases = rows.map((r) => {
    const status = stageStatus(calendar, r.dueOn!, r.dueLimit ?? 0, today)
    const late = status === 'overdue' || status === 'very_overdue' ? workingDaysBetween(calendar, r.dueOn!, today) : 0
    const window = windowOf(r)
    return { ...r, window, status, late, holder: holderName(r, window), n: 1 }
  })
  const counted = [...cases, ...onTime.map((g) => ({ ...g, window: windowOf(g), status: 'on_time' as StageStatus, n: Number(g.n) }))]
  const countBy = (key: (c: (typeof counted)[number]) => string) => {
    const groups = new Map<string, Record<StageStatus, number>>()
    for (const c of counted) {
      const k = key(c)
      const g = groups.get(k) ?? { on_time: 0, due_soon: 0, overdue: 0, very_overdue: 0 }
      g[c.status] += c.n
      groups.set(k, g)
    }
    return [...groups].map(([name, counts]) => ({ name, ...counts })).sort((a, b) => b.very_overdue - a.very_overdue || b.overdue - a.overdue || a.name.localeCompare(b.name))
  }
  const late = cases.filter((c) => c.status === 'overdue' || c.status === 'very_overdue').sort((a, b) => b.late - a.late)
  return {
    late,
    byTown: countBy((c) => c.townName),
    byVillage: countBy((c) => `${c.townName} · ${c.villageName}`),
    byWindow: countBy((c) => c.window ?? '—'),
    byAgent: countBy((c) => `${c.villageName} · ${c.agentName}`),
    aging: AGE_BUCKETS.map((b) => ({ key: b.key, count: late.filter((c) => c.late >= b.min && c.late <= b.max).length })),
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
