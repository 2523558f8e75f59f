import { expressionBuilder, sql } from 'kysely'
import type { Database } from '../db/schema.ts'
import { inScope } from '../accounts/scope.ts'
import type { Db } from '../db/connect.ts'
import type { Scope } from '../accounts/actor.ts'
import type { Calendar } from '../calendar/working-days.ts'
import { workingDaysBetween } from '../calendar/working-days.ts'
import { monthBounds } from './months.ts'
import type { WindowName } from '../org/window-label.ts'
import { countSatisfied, isBadRating, ratingCounts, satisfactionRate } from '../ratings/satisfaction.ts'

// Re-exported, not restated: jobs/case-rules-jobs.ts (being rewritten by another change) still
// imports it from here; new code imports months.ts.
export { monthBounds }

export interface StatRow {
  villageId: number
  villageName: string
  townId: number
  townName: string
  department: string
  received: number
  accepted: number
  completed: number
  completedOnTime: number
  overdue: number
  rejected: number
  withdrawn: number
  ratings: number
  satisfied: number
}

export interface Totals {
  visitBatches: number
  visitPeople: number
  received: number
  accepted: number
  completed: number
  completedOnTime: number
  onTimeRate: number | null
  overdue: number
  rejected: number
  withdrawn: number
  satisfaction: number | null
}

const ZERO = { received: 0, accepted: 0, completed: 0, completedOnTime: 0, overdue: 0, rejected: 0, withdrawn: 0, ratings: 0, satisfied: 0 }

// The statistics are raw SQL that names cases `c` and visits `v`; these builders let the one
// jurisdiction filter (accounts/scope.ts) name their columns, checked by tsc. No window column is
// given: a window's clerk reads the figures of its town, like the villages it serves.
const c = expressionBuilder<{ c: Database['cases'] }, 'c'>()
const v = expressionBuilder<{ v: Database['visits'] }, 'v'>()
const casesInScope = (scope: Scope) => inScope(c, scope, { countyId: 'c.countyId', townId: 'c.townId', villageId: 'c.villageId' })
const visitsInScope = (scope: Scope) => inScope(v, scope, { countyId: 'v.countyId', townId: 'v.townId', villageId: 'v.villageId' })

/**
 * 便民服务办理情况统计表 for one month, per village and department. Definitions:
 * received = registered in the month; accepted / completed = accepted / completed in the month;
 * on time = completed no later than its completion due date; overdue = a stage deadline falling in
 * the month that the deadline sweep found missed; rejected = registered in the month and rejected;
 * withdrawn = withdrawn in the month; satisfaction = 非常满意/满意/基本满意 among the month's ratings,
 * less ratings whose rectification appeal was upheld.
 */
export async function monthlyStats(db: Db, countyId: number, scope: Scope, month: string, timeZone: string) {
  const { first, next } = monthBounds(month)
  const caseInScope = casesInScope(scope)
  // Six independent reads, side by side: the page waits for the slowest, not for their sum.
  const [{ rows }, overdue, withdrawn, ratings, visits, villages] = await Promise.all([
    sql<{
    villageId: number
    department: string
    received: string
    accepted: string
    completed: string
    completedOnTime: string
    rejected: string
  }>`
    select c.village_id, mv.department,
      count(*) filter (where c.registered_on >= ${first} and c.registered_on < ${next}) as received,
      count(*) filter (where c.accepted_on >= ${first} and c.accepted_on < ${next}) as accepted,
      count(*) filter (where c.completed_on >= ${first} and c.completed_on < ${next}) as completed,
      count(*) filter (where c.completed_on >= ${first} and c.completed_on < ${next} and c.completed_on <= c.complete_due) as completed_on_time,
      count(*) filter (where c.stage = 'rejected' and c.registered_on >= ${first} and c.registered_on < ${next}) as rejected
    from cases c join matter_versions mv on mv.id = c.matter_version_id
    where c.county_id = ${countyId} and ${caseInScope}
      -- Every count above needs one of these dates in the month; each has its own index.
      and ((c.registered_on >= ${first} and c.registered_on < ${next})
        or (c.accepted_on >= ${first} and c.accepted_on < ${next})
        or (c.completed_on >= ${first} and c.completed_on < ${next}))
    group by c.village_id, mv.department`.execute(db),
    sql<{ villageId: number; department: string; n: string }>`
    select c.village_id, mv.department, count(distinct a.case_id) as n
    from case_alerts a join cases c on c.id = a.case_id join matter_versions mv on mv.id = c.matter_version_id
    where c.county_id = ${countyId} and ${caseInScope} and a.level = 'overdue' and a.due_on >= ${first} and a.due_on < ${next}
    group by c.village_id, mv.department`.execute(db),
    sql<{ villageId: number; department: string; n: string }>`
    select c.village_id, mv.department, count(*) as n
    from case_events e join cases c on c.id = e.case_id join matter_versions mv on mv.id = c.matter_version_id
    where c.county_id = ${countyId} and ${caseInScope} and e.action = 'withdraw'
      and e.at >= (${first}::timestamp at time zone ${timeZone}) and e.at < (${next}::timestamp at time zone ${timeZone})
    group by c.village_id, mv.department`.execute(db),
    sql<{ villageId: number; department: string; n: string; satisfied: string }>`
    select c.village_id, mv.department, count(*) as n,
      ${countSatisfied('r.overall')} as satisfied
    from case_ratings r join cases c on c.id = r.case_id join matter_versions mv on mv.id = c.matter_version_id
    where c.county_id = ${countyId} and ${caseInScope} and ${ratingCounts('r.case_id')}
      and r.recorded_at >= (${first}::timestamp at time zone ${timeZone}) and r.recorded_at < (${next}::timestamp at time zone ${timeZone})
    group by c.village_id, mv.department`.execute(db),
    sql<{ villageId: number; batches: string; people: string }>`
    select v.village_id, count(*) as batches, coalesce(sum(v.people), 0) as people from visits v
    where v.county_id = ${countyId} and ${visitsInScope(scope)} and v.visit_date >= ${first} and v.visit_date < ${next}
    group by v.village_id`.execute(db),
    db.selectFrom('villages').innerJoin('towns', 'towns.id', 'villages.townId').select(['villages.id', 'villages.name', 'villages.townId', 'towns.name as townName']).where('villages.countyId', '=', countyId).execute(),
  ])
  const villageById = new Map(villages.map((v) => [v.id, v]))

  const cells = new Map<string, StatRow>()
  const cell = (villageId: number, department: string) => {
    const key = `${villageId}|${department}`
    let row = cells.get(key)
    if (!row) {
      const v = villageById.get(villageId)!
      row = { villageId, villageName: v.name, townId: v.townId, townName: v.townName, department, ...ZERO }
      cells.set(key, row)
    }
    return row
  }
  for (const r of rows) Object.assign(cell(r.villageId, r.department), { received: +r.received, accepted: +r.accepted, completed: +r.completed, completedOnTime: +r.completedOnTime, rejected: +r.rejected })
  for (const r of overdue.rows) cell(r.villageId, r.department).overdue = +r.n
  for (const r of withdrawn.rows) cell(r.villageId, r.department).withdrawn = +r.n
  for (const r of ratings.rows) Object.assign(cell(r.villageId, r.department), { ratings: +r.n, satisfied: +r.satisfied })
  const detail = [...cells.values()].filter((r) => r.received + r.accepted + r.completed + r.overdue + r.rejected + r.withdrawn + r.ratings > 0)
  const visitsByVillage = new Map(visits.rows.map((v) => [v.villageId, { batches: +v.batches, people: +v.people }]))
  return { month, detail, visitsByVillage }
}

export function totalsOf(rows: StatRow[], visits: { batches: number; people: number }[]): Totals {
  const sum = (f: keyof typeof ZERO) => rows.reduce((s, r) => s + r[f], 0)
  const completed = sum('completed')
  const ratings = sum('ratings')
  return {
    visitBatches: visits.reduce((s, v) => s + v.batches, 0),
    visitPeople: visits.reduce((s, v) => s + v.people, 0),
    received: sum('received'),
    accepted: sum('accepted'),
    completed,
    completedOnTime: sum('completedOnTime'),
    onTimeRate: completed ? Math.round((sum('completedOnTime') / completed) * 1000) / 10 : null,
    overdue: sum('overdue'),
    rejected: sum('rejected'),
    withdrawn: sum('withdrawn'),
    satisfaction: satisfactionRate(ratings, sum('satisfied')),
  }
}

/**
 * Staff performance (考核) for a month: per agent and per window. Windows are counted by window,
 * never by name (every town has a 民政窗口), and named by `nameWindow` (org/window-label.ts).
 */
export async function staffPerformance(db: Db, countyId: number, scope: Scope, month: string, calendar: Calendar, nameWindow: (window: WindowName) => string) {
  const { first, next } = monthBounds(month)
  const caseInScope = casesInScope(scope)
  const { rows } = await sql<{ agentName: string; windowId: number | null; windowName: string | null; windowTownId: number | null; windowTownName: string | null; acceptedOn: string; forwardedOn: string | null; completedOn: string; repliedOn: string | null; completeDue: string; rating: string | null; caseId: string }>`
    select a.display_name as agent_name, w.id as window_id, w.name as window_name, w.town_id as window_town_id, wt.name as window_town_name,
      c.accepted_on, c.forwarded_on, c.completed_on, c.replied_on, c.complete_due, c.rating, c.id as case_id
    from cases c join users a on a.id = c.agent_id left join windows w on w.id = c.window_id left join towns wt on wt.id = w.town_id
    where c.county_id = ${countyId} and ${caseInScope} and c.completed_on >= ${first} and c.completed_on < ${next}`.execute(db)
  const late = await sql<{ caseId: string }>`
    select distinct a.case_id from case_alerts a join cases c on c.id = a.case_id
    where c.county_id = ${countyId} and ${caseInScope} and a.level = 'overdue' and a.due_on >= ${first} and a.due_on < ${next}`.execute(db)
  const lateCases = new Set(late.rows.map((r) => String(r.caseId)))
  type Acc = { name: string; handled: number; onTime: number; forwardDays: number[]; completeDays: number[]; replyDays: number[]; overdue: number; badRatings: number }
  const groups = { agents: new Map<string, Acc>(), windows: new Map<string, Acc>() }
  const add = (map: Map<string, Acc>, key: string, name: string, r: (typeof rows)[number]) => {
    const acc = map.get(key) ?? { name, handled: 0, onTime: 0, forwardDays: [], completeDays: [], replyDays: [], overdue: 0, badRatings: 0 }
    acc.handled++
    if (r.completedOn <= r.completeDue) acc.onTime++
    if (r.forwardedOn) acc.forwardDays.push(workingDaysBetween(calendar, r.acceptedOn, r.forwardedOn))
    acc.completeDays.push(workingDaysBetween(calendar, r.acceptedOn, r.completedOn))
    if (r.repliedOn) acc.replyDays.push(workingDaysBetween(calendar, r.completedOn, r.repliedOn))
    if (lateCases.has(String(r.caseId))) acc.overdue++
    if (isBadRating(r.rating)) acc.badRatings++
    map.set(key, acc)
  }
  for (const r of rows) {
    add(groups.agents, r.agentName, r.agentName, r)
    if (r.windowId !== null && r.windowName !== null) add(groups.windows, String(r.windowId), nameWindow({ name: r.windowName, townId: r.windowTownId, townName: r.windowTownName }), r)
  }
  const avg = (xs: number[]) => (xs.length ? Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 10) / 10 : null)
  const view = (map: Map<string, Acc>) =>
    [...map.values()].map((a) => ({ name: a.name, handled: a.handled, onTimeRate: Math.round((a.onTime / a.handled) * 1000) / 10, avgForward: avg(a.forwardDays), avgComplete: avg(a.completeDays), avgReply: avg(a.replyDays), overdue: a.overdue, badRatings: a.badRatings })).sort((x, y) => y.handled - x.handled)
  return { agents: view(groups.agents), windows: view(groups.windows) }
}

