import type { Actor } from '../accounts/actor.ts'
import { isProvisional, lastPublishedYear, type Calendar } from '../calendar/working-days.ts'
import { maskedContact } from '../privacy/need-to-see.ts'
import type { CaseFlags } from './case-rules.ts'
import { allowedActions, type Action } from './actions/registry.ts'
import type { FieldErrors } from '../views/form-errors.ts'
import type { Translate } from '../i18n/i18n.ts'
import { openDue } from './case-deadlines.ts'
import { explanationHref } from '../calendar/explain.ts'
import type { CaseView } from './cases.repository.ts'

/** Everything the case page shows, decided here so the template only lays it out. */
export function caseViewModel(actor: Actor, c: CaseView, flags: CaseFlags, calendar: Calendar, today: string) {
  const limits = { forwardLimit: c.forwardLimit, replyLimit: c.replyLimit, promisedLimit: c.promisedLimit, limitUnit: c.limitUnit }
  const due = openDue(calendar, c, limits, flags.onTheSpot, today)
  const received = new Set(c.materialsReceived)
  const provisional = (date: string | null) => isProvisional(date, lastPublishedYear(calendar))
  return {
    ...c,
    // Masked for everyone (need to see): the reply step shows the phone in full, since the agent calls the villager.
    contact: maskedContact({ id: c.applicantId, idNumber: c.applicantIdNumber, phone: c.applicantPhone }, `/cases/${c.id}`),
    materialRows: c.materials.map((m) => ({ ...m, received: received.has(m.name) })),
    // The page reads as a receipt: what the station holds, what is still owed, what was optional and not brought.
    materialsHeld: c.materials.filter((m) => received.has(m.name)),
    materialsOwed: c.materials.filter((m) => m.required && !received.has(m.name)),
    materialsNotBrought: c.materials.filter((m) => !m.required && !received.has(m.name)),
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
    showRating: seesRating(actor),
    flags,
  }
}

/** A window never learns how the applicant rated it; the rectification reaches it without a name. */
export const seesRating = (actor: Pick<Actor, 'role'>) => actor.role !== 'clerk'

/** Steps that turn the request away or end it: set apart on the page so they are never tapped instead of 受理 or 办结. */
const ENDING_STEPS: readonly Action[] = ['reject', 'withdraw']
export const isEndingStep = (action: Action): boolean => ENDING_STEPS.includes(action)

/** A step form's fields whose label is not cases.fields.<name> (`step.field` where one step words it its own way). */
const FIELD_LABELS: Record<string, string> = {
  'complete.reason': 'cases.fields.outcomeReason',
  confirmOpenAssist: 'cases.assists',
  windowId: 'cases.fields.window',
  outcome: 'cases.outcome',
  overall: 'cases.rating',
  materialsReceived: 'intake.materials',
  proposedResult: 'notices.proposedResult',
  householdSize: 'notices.householdSize',
  amount: 'notices.amountYuan',
  objection: 'notices.objection',
  objectionOutcome: 'notices.objectionOutcome',
}

/**
 * The failed form's errors as a list above it, each naming its field and leading to it (the
 * field's id is the step's name and the field's: `forward-windowId`).
 */
export function stepErrorList(action: Action, errors: FieldErrors, t: Translate): { href: string | null; label: string | null; message: string }[] {
  return Object.entries(errors).map(([field, message]) =>
    field === '_form' ? { href: null, label: null, message } : { href: `#${action}-${field}`, label: t(FIELD_LABELS[`${action}.${field}`] ?? FIELD_LABELS[field] ?? `cases.fields.${field}`), message },
  )
}

/** The papers still to give back to the applicant: what the window listed, less what a reply ticked off. */
export function outstandingHandback(handback: readonly string[], events: readonly { action: string; data: unknown }[]): string[] {
  const returned = new Set(events.filter((e) => e.action === 'reply').flatMap((e) => ((e.data ?? {}) as { returned?: string[] }).returned ?? []))
  return handback.filter((item) => !returned.has(item))
}
