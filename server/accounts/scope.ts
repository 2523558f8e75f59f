import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely'
import type { Scope } from './actor.ts'

/**
 * The one place where jurisdiction becomes SQL. Every query that reads village-,
 * town- or window-owned rows adds this condition, so an id outside the actor's
 * scope finds nothing and the route answers 404 — the same as a missing id.
 */
export interface PlaceColumns {
  countyId: string
  townId: string
  villageId?: string
  windowId?: string
}

export function inScope<DB, TB extends keyof DB>(eb: ExpressionBuilder<DB, TB>, scope: Scope, columns: PlaceColumns): Expression<SqlBool> {
  const ref = (column: string) => sql.ref(column)
  const county = eb(ref(columns.countyId) as never, '=', scope.countyId as never)
  switch (scope.kind) {
    case 'county':
      return county
    case 'town':
      return eb.and([county, eb(ref(columns.townId) as never, '=', scope.townId as never)])
    case 'village':
      if (!columns.villageId) return eb.and([county, eb(ref(columns.townId) as never, '=', scope.townId as never)])
      return eb.and([county, eb(ref(columns.villageId) as never, '=', scope.villageId as never)])
    case 'window':
      if (columns.windowId) return eb.and([county, eb(ref(columns.windowId) as never, '=', scope.windowId as never)])
      // A window serves the villages of its town; a county-centre window serves the whole county.
      if (scope.townId === null) return county
      return eb.and([county, eb(ref(columns.townId) as never, '=', scope.townId as never)])
  }
}
