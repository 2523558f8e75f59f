import type { Case, MatterVersion, PauseRecord, Stage } from '../db/schema.ts'
import { addCalendarDays, calendarDaysBetween, computeDueDate, isWorkingDay, workingDaysBefore, workingDaysBetween, type Calendar, type LimitUnit } from '../calendar/working-days.ts'
import { explanationHref } from '../calendar/explain.ts'
import { ASSIST_DAYS, WINDOW_STAGES } from './case-rules.ts'

/** The law deems a request accepted when no decision is taken within 5 working days. */
export const REGISTRATION_LIMIT = 5

type Limits = Pick<MatterVersion, 'forwardLimit' | 'replyLimit' | 'promisedLimit' | 'limitUnit'>

export function forwardDue(calendar: Calendar, acceptedOn: string, mv: Limits): string {
  return computeDueDate(calendar, acceptedOn, mv.forwardLimit).due
}

export function completeDue(calendar: Calendar, acceptedOn: string, mv: Limits, pauses: readonly PauseRecord[] = []): string {
  return computeDueDate(calendar, acceptedOn, mv.promisedLimit, mv.limitUnit, pauses.filter((p) => p.to !== null)).due
}

export function replyDue(calendar: Calendar, completedOn: string, mv: Limits): string {
  return computeDueDate(calendar, completedOn, mv.replyLimit).due
}

/**
 * The completion due date when a clock stopped on `stoppedOn` restarts on `restartedOn`: the time
 * that was left, in the matter's own unit, counted again from the restart. A case already late
 * when stopped is exactly as late when restarted (a stop must not clear lateness), and a stop and
 * restart on the same day changes nothing.
 */
export function dueAfterPause(calendar: Calendar, due: string, stoppedOn: string, restartedOn: string, unit: LimitUnit): string {
  if (restartedOn <= stoppedOn) return due
  if (unit === 'calendar') {
    const left = calendarDaysBetween(stoppedOn, due)
    return left >= 0 ? computeDueDate(calendar, restartedOn, left, 'calendar').due : addCalendarDays(restartedOn, left)
  }
  if (due >= stoppedOn) return computeDueDate(calendar, restartedOn, workingDaysBetween(calendar, stoppedOn, due)).due
  return workingDaysBefore(calendar, restartedOn, workingDaysBetween(calendar, due, stoppedOn))
}

/** How late an open stage is: the level that colours its badge and decides who the sweep tells. */
export type StageStatus = 'on_time' | 'due_soon' | 'overdue' | 'very_overdue'

/**
 * The status of an open stage on `today`: due_soon with one working day or less left,
 * overdue after the due date, very_overdue when late by at least the stage's own limit again.
 */
export function stageStatus(calendar: Calendar, due: string, limitDays: number, today: string): StageStatus {
  if (today > due) {
    const late = workingDaysBetween(calendar, due, today)
    return late >= Math.max(1, limitDays) ? 'very_overdue' : 'overdue'
  }
  return workingDaysBetween(calendar, today, due) <= 1 ? 'due_soon' : 'on_time'
}

/**
 * stageStatus on a given day, as dates: with `today` fixed, a stage's status and its lateness depend
 * on its due date only through a few boundaries, so a county's open stages can be counted by status
 * in SQL (supervision/overdue.ts) instead of being read one by one. `lateBy[k - 1]` is the latest
 * due date late by at least k working days; `dueSoonUntil` the last due date with at most one
 * working day left. statusOnDates(dates, due, limit) equals stageStatus(calendar, due, limit, today)
 * (tests/properties/deadlines.test.ts).
 */
export interface StatusDates {
  today: string
  dueSoonUntil: string
  lateBy: string[]
}

/** Lateness counted in dates this far back; a stage's own limit beyond it counts as this many days. */
export const STATUS_DATES_MAX_LATE = 1000

export function statusDates(calendar: Calendar, today: string): StatusDates {
  // Forward: the day before the second working day after today.
  let day = today
  for (let worked = 0; ; ) {
    const next = addCalendarDays(day, 1)
    if (isWorkingDay(calendar, next) && ++worked === 2) break
    day = next
  }
  const dueSoonUntil = day
  // Backward: a stage due on d is late by the working days in (d, today].
  const lateBy: string[] = []
  for (let d = today; lateBy.length < STATUS_DATES_MAX_LATE; d = addCalendarDays(d, -1)) {
    if (isWorkingDay(calendar, d)) lateBy.push(addCalendarDays(d, -1))
  }
  return { today, dueSoonUntil, lateBy }
}

/** The latest due date late by at least `days` working days (days ≥ 1). */
export const lateByAtLeast = (dates: StatusDates, days: number) => dates.lateBy[Math.min(days, STATUS_DATES_MAX_LATE) - 1]

export function statusOnDates(dates: StatusDates, due: string, limitDays: number): StageStatus {
  if (due < dates.today) return due <= lateByAtLeast(dates, Math.max(1, limitDays)) ? 'very_overdue' : 'overdue'
  return due <= dates.dueSoonUntil ? 'due_soon' : 'on_time'
}

export type DueKind = 'registration' | 'forward' | 'complete' | 'reply'

/** Which deadline runs in a stage: the one its due date (cases.due_on) belongs to. */
export function dueKindOf(stage: Stage, onTheSpot: boolean): DueKind | null {
  switch (stage) {
    case 'registered':
      return 'registration'
    case 'accepted':
      return onTheSpot ? 'complete' : 'forward'
    case 'forwarded':
    case 'in_progress':
      return 'complete'
    case 'completed':
      return 'reply'
    default:
      return null
  }
}

export interface OpenDue {
  kind: DueKind | 'assist'
  due: string
  limit: number
  status: StageStatus
  explainHref: string
}

/** The deadline of the case's open stage on `today`, or null when its clock is not running. */
export function openDue(calendar: Calendar, c: Pick<Case, 'stage' | 'registeredOn' | 'acceptedOn' | 'forwardDue' | 'completeDue' | 'completedOn' | 'replyDue' | 'pauses' | 'pausedSince'>, mv: Limits, onTheSpot: boolean, today: string): OpenDue | null {
  const make = (kind: DueKind, due: string | null, start: string | null, limit: number, unit: 'working' | 'calendar' = 'working', pauses: PauseRecord[] = []): OpenDue | null => {
    if (!due || !start) return null
    return { kind, due, limit, status: stageStatus(calendar, due, limit, today), explainHref: explanationHref(start, limit, unit, pauses) }
  }
  // A stopped clock has no due date until it restarts.
  if (c.pausedSince && WINDOW_STAGES.includes(c.stage)) return null
  switch (dueKindOf(c.stage, onTheSpot)) {
    case 'registration':
      return make('registration', computeDueDate(calendar, c.registeredOn, REGISTRATION_LIMIT).due, c.registeredOn, REGISTRATION_LIMIT)
    case 'forward':
      return make('forward', c.forwardDue, c.acceptedOn, mv.forwardLimit)
    case 'complete':
      return make('complete', c.completeDue, c.acceptedOn, mv.promisedLimit, mv.limitUnit, c.pauses)
    case 'reply':
      return make('reply', c.replyDue, c.completedOn, mv.replyLimit)
    case null:
      return null
  }
}

/**
 * The station's answer to a window's request for help: due on the date the window set. It is what
 * the agent must do next, so their list counts down to it rather than to completion.
 */
export function assistDue(calendar: Calendar, caseId: string, dueOn: string, today: string): OpenDue {
  return { kind: 'assist', due: dueOn, limit: ASSIST_DAYS, status: stageStatus(calendar, dueOn, ASSIST_DAYS, today), explainHref: `/cases/${caseId}#assists` }
}

/**
 * The deadline running now, from the case row's own due date and limit (cases.due_on, due_limit):
 * for a list of found cases, where each case's full dates are not read. The badge leads to the case.
 */
export function runningDue(calendar: Calendar, c: { id: string; stage: Stage; caseType: string; dueOn: string | null; dueLimit: number | null }, today: string): OpenDue | null {
  const kind = dueKindOf(c.stage, c.caseType === 'on_the_spot')
  if (!kind || !c.dueOn || c.dueLimit === null) return null
  return { kind, due: c.dueOn, limit: c.dueLimit, status: stageStatus(calendar, c.dueOn, c.dueLimit, today), explainHref: `/cases/${c.id}#case` }
}

/** Dates and due of a case that has just been accepted on `today`. */
export function acceptanceColumns(calendar: Calendar, mv: Limits, today: string, onTheSpot: boolean) {
  const complete = completeDue(calendar, today, mv)
  const forward = onTheSpot ? null : forwardDue(calendar, today, mv)
  return {
    acceptedOn: today,
    forwardDue: forward,
    completeDue: complete,
    dueOn: onTheSpot ? complete : forward,
    dueLimit: onTheSpot ? mv.promisedLimit : mv.forwardLimit,
  }
}

/**
 * Restarts a stopped clock: the pause day itself counted; the days after it up to today do not,
 * so the due date moves by the time that was left when the clock stopped (dueAfterPause).
 */
export function restartClock(c: Pick<Case, 'pausedSince' | 'completeDue' | 'pauses'> & { limitUnit: LimitUnit }, calendar: Calendar, today: string, reason: string) {
  const since = c.pausedSince!
  const pause: PauseRecord = { from: addCalendarDays(since, 1), to: today, reason }
  const newDue = c.completeDue ? dueAfterPause(calendar, c.completeDue, since, today, c.limitUnit) : computeDueDate(calendar, today, 0).due
  const pauses = [...c.pauses, ...(pause.from <= today ? [pause] : [])]
  return { set: { pausedSince: null, pauses: JSON.stringify(pauses), completeDue: newDue, dueOn: newDue }, data: { pausedFrom: since, resumed: today, newDue } }
}

/** The stored due dates a calendar change may move. */
export interface PendingDueDates {
  forwardDue: string | null
  completeDue: string | null
  replyDue: string | null
  dueOn: string | null
}

type RecomputedCase = Pick<Case, 'stage' | 'registeredOn' | 'acceptedOn' | 'completedOn' | 'forwardDue' | 'completeDue' | 'replyDue' | 'dueOn' | 'pauses' | 'pausedSince'>

/**
 * The pending due dates of an open case counted on `calendar`: only the stages still ahead are
 * counted, each from its own start (registration from the registered date). A date a supervisor
 * chose in an approved extension is kept; a stopped clock keeps due_on empty; recorded pauses count.
 */
function pendingDueDatesUnder(calendar: Calendar, c: RecomputedCase, mv: Limits, onTheSpot: boolean, extended: boolean): PendingDueDates {
  const dates: PendingDueDates = { forwardDue: c.forwardDue, completeDue: c.completeDue, replyDue: c.replyDue, dueOn: c.dueOn }
  const complete = () => (c.acceptedOn && c.completeDue && !extended ? completeDue(calendar, c.acceptedOn, mv, c.pauses) : c.completeDue)
  switch (c.stage) {
    case 'registered':
      dates.dueOn = computeDueDate(calendar, c.registeredOn, REGISTRATION_LIMIT).due
      break
    case 'accepted':
      if (c.acceptedOn && c.forwardDue) dates.forwardDue = forwardDue(calendar, c.acceptedOn, mv)
      dates.completeDue = complete()
      dates.dueOn = onTheSpot ? dates.completeDue : dates.forwardDue
      break
    case 'forwarded':
    case 'in_progress':
      dates.completeDue = complete()
      dates.dueOn = c.pausedSince ? null : dates.completeDue
      break
    case 'completed':
      if (c.completedOn && c.replyDue) dates.replyDue = replyDue(calendar, c.completedOn, mv)
      dates.dueOn = dates.replyDue
      break
    default:
      break
  }
  return dates
}

/**
 * Which due dates of an open case a calendar change moves, with their new values: a date moves
 * only where counting on `before` and on `after` disagree, so history the counting cannot see
 * (a clock stopped while already late, a date set by hand) is never rewritten by an unrelated
 * change. Empty when nothing moves; closed and final cases never move.
 */
export function movedDueDates(before: Calendar, after: Calendar, c: RecomputedCase, mv: Limits, onTheSpot: boolean, extended: boolean): Partial<PendingDueDates> {
  const old = pendingDueDatesUnder(before, c, mv, onTheSpot, extended)
  const now = pendingDueDatesUnder(after, c, mv, onTheSpot, extended)
  const moved: Partial<PendingDueDates> = {}
  for (const key of ['forwardDue', 'completeDue', 'replyDue', 'dueOn'] as const) {
    if (old[key] !== now[key] && c[key] !== now[key]) moved[key] = now[key]
  }
  return moved
}
