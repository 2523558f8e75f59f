import type { Scope } from '../accounts/actor.ts'
import type { Translate } from '../i18n/i18n.ts'

export interface WindowName {
  name: string
  /** Null for a window of the county centre. */
  townId: number | null
  townName: string | null
}

/**
 * A window named with its place: every town has its own 民政窗口, so a county-wide list, a CSV or a
 * paper that names only the window says nothing about where it is. The county centre's windows carry
 * its name, as the window pickers show them.
 */
export function windowLabel(t: Translate, window: WindowName): string {
  return `${window.townName ?? t('org.countyCentre')} · ${window.name}`
}

/**
 * The name a viewer needs: inside a town the town's own windows keep their short name (everyone
 * there knows which 民政窗口 is meant); anything the viewer could confuse carries its place.
 */
export function windowLabelFor(scope: Scope, t: Translate, window: WindowName): string {
  const ownTown = (scope.kind === 'town' || scope.kind === 'village' || scope.kind === 'window') && window.townId !== null && window.townId === scope.townId
  return ownTown ? window.name : windowLabel(t, window)
}
