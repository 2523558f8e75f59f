import { sql, type Expression, type ExpressionBuilder, type SqlBool, type StringReference } from 'kysely'
import type { Scope } from './actor.ts'

/**
 * The one place where jurisdiction becomes SQL. Every query that reads village-,
 * town- or window-owned rows adds this condition, so an id outside the actor's
 * scope finds nothing and the route answers 404 — the same as a missing id.
 *
 * The columns are references into the query's own tables ('cases.townId'), so a
 * column the query does not have fails the type check instead of the request.
 */
export interface PlaceColumns<DB, TB extends keyof DB> {
  countyId: StringReference<DB, TB>
  townId: StringReference<DB, TB>
  villageId?: StringReference<DB, TB>
  windowId?: StringReference<DB, TB>
}

export function inScope<DB, TB extends keyof DB>(eb: ExpressionBuilder<DB, TB>, scope: Scope, columns: PlaceColumns<DB, TB>): Expression<SqlBool> {
  // Compared in SQL, not through eb(column, '=', value): over a generic DB the column's value type is unknown to tsc.
  const equals = (column: StringReference<DB, TB>, value: number) => sql<SqlBool>`${eb.ref(column)} = ${value}`
  const county = equals(columns.countyId, scope.countyId)
  switch (scope.kind) {
    case 'county':
      return county
    case 'town':
      return eb.and([county, equals(columns.townId, scope.townId)])
    case 'village':
      if (!columns.villageId) return eb.and([county, equals(columns.townId, scope.townId)])
      return eb.and([county, equals(columns.villageId, scope.villageId)])
    case 'window':
      if (columns.windowId) return eb.and([county, equals(columns.windowId, scope.windowId)])
      // A window serves the villages of its town; a county-centre window serves the whole county.
      if (scope.townId === null) return county
      return eb.and([county, equals(columns.townId, scope.townId)])
  }
}
