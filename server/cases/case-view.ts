import type { Actor } from '../accounts/actor.ts'
import { isProvisional, lastPublishedYear, type Calendar } from '../calendar/working-days.ts'
import { maskIdNumber } from '../privacy/mask.ts'
import type { CaseFlags } from './case-rules.ts'
import { allowedActions } from './actions/registry.ts'
import { openDue } from './case-deadlines.ts'
import { explanationHref } from '../calendar/explain.ts'
import type { CaseView } from './cases.repository.ts'

/**
 * The full ID number is shown to the agents of the applicant's station and to the clerk handling
 * the case; everyone else sees it masked.
 */
export function mayseeFullId(actor: Actor, c: Pick<CaseView, 'applicantVillageId' | 'windowId'>): boolean {
  if (actor.role === 'agent') return actor.villageId === c.applicantVillageId
  if (actor.role === 'clerk') return actor.windowId !== null && actor.windowId === c.windowId
  return false
}

/** Everything the case page shows, decided here so the template only lays it out. */
export function caseViewModel(actor: Actor, c: CaseView, flags: CaseFlags, calendar: Calendar, today: string) {
  const limits = { forwardLimit: c.forwardLimit, replyLimit: c.replyLimit, promisedLimit: c.promisedLimit, limitUnit: c.limitUnit }
  const due = openDue(calendar, c, limits, flags.onTheSpot, today)
  const received = new Set(c.materialsReceived)
  const provisional = (date: string | null) => isProvisional(date, lastPublishedYear(calendar))
  return {
    ...c,
    idNumberShown: mayseeFullId(actor, c) ? (c.applicantIdNumber ?? '') : maskIdNumber(c.applicantIdNumber),
    materialRows: c.materials.map((m) => ({ ...m, received: received.has(m.name) })),
    missing: c.materials.filter((m) => m.required && !received.has(m.name)).map((m) => m.name),
    due,
    dates: [
      { key: 'registered', date: c.registeredOn },
      { key: 'accepted', date: c.acceptedOn },
      { key: 'forwardDue', date: c.forwardDue, provisional: provisional(c.forwardDue), href: c.acceptedOn ? explanationHref(c.acceptedOn, c.forwardLimit) : null },
      { key: 'forwarded', date: c.forwardedOn },
      { key: 'completeDue', date: c.completeDue, provisional: provisional(c.completeDue), href: c.acceptedOn ? explanationHref(c.acceptedOn, c.promisedLimit, c.limitUnit, c.pauses) : null },
      { key: 'completed', date: c.completedOn },
      { key: 'replyDue', date: c.replyDue, provisional: provisional(c.replyDue), href: c.completedOn ? explanationHref(c.completedOn, c.replyLimit) : null },
      { key: 'replied', date: c.repliedOn },
    ].filter((d) => d.date),
    actions: allowedActions(c.stage, actor.role, flags),
    // A window never learns how the applicant rated it; the rectification reaches it without a name.
    showRating: actor.role !== 'clerk',
    flags,
  }
}
