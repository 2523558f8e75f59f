import { sql, type RawBuilder, type SqlBool } from 'kysely'
import type { Db } from '../db/connect.ts'
import type { Rating } from '../db/schema.ts'
import { monthBounds } from '../supervision/months.ts'

/**
 * Satisfaction (好差评): the one home of which grades count as satisfied and which ratings count at
 * all. 非常满意, 满意 and 基本满意 are satisfied; 不满意 and 非常不满意 are bad ratings, which open a
 * rectification and count against the staff who handled the case. A rating whose rectification
 * appeal was upheld leaves the figures: the unit showed it was not at fault.
 */
export const SATISFIED_RATINGS: readonly Rating[] = ['very_satisfied', 'satisfied', 'basic']
export const BAD_RATINGS: readonly Rating[] = ['dissatisfied', 'very_dissatisfied']

export function isBadRating(rating: string | null): boolean {
  return BAD_RATINGS.some((bad) => bad === rating)
}

/** SQL: how many of the grouped rows' ratings are satisfied; `overall` names the rating column. */
export function countSatisfied(overall: string): RawBuilder<string> {
  return sql<string>`count(*) filter (where ${sql.ref(overall)} in (${sql.join(SATISFIED_RATINGS)}))`
}

/** SQL: the rating of the case `caseId` counts (no appeal against it was upheld). */
export function ratingCounts(caseId: string): RawBuilder<SqlBool> {
  return sql<SqlBool>`not exists (select 1 from rectifications x where x.case_id = ${sql.ref(caseId)} and x.status = 'appeal_upheld')`
}

/** Satisfied ratings as a percentage with one decimal; null when there were no ratings. */
export function satisfactionRate(ratings: number, satisfied: number): number | null {
  return ratings ? Math.round((satisfied / ratings) * 1000) / 10 : null
}

/**
 * A month's ratings for the village board: the station's own cases (never forwarded) and, per
 * window of its town, the forwarded ones. `timeZone` places the month's bounds on the local clock.
 */
export async function boardSatisfaction(db: Db, villageId: number, month: string, timeZone: string) {
  const { first, next } = monthBounds(month)
  const { rows } = await sql<{ unit: 'station' | 'window'; windowName: string | null; n: string; satisfied: string }>`
    select case when c.window_id is null then 'station' else 'window' end as unit, w.name as window_name, count(*) as n,
      ${countSatisfied('r.overall')} as satisfied
    from case_ratings r join cases c on c.id = r.case_id left join windows w on w.id = c.window_id
    where ${ratingCounts('r.case_id')}
      and r.recorded_at >= (${first}::timestamp at time zone ${timeZone}) and r.recorded_at < (${next}::timestamp at time zone ${timeZone})
      and ((c.window_id is null and c.village_id = ${villageId}) or (c.window_id is not null and c.town_id = (select town_id from villages where id = ${villageId})))
    group by 1, 2 order by 1, 2`.execute(db)
  return rows
}
