import type { Calendar } from '../calendar/working-days.ts'
import { assistDue, openDue } from './case-deadlines.ts'
import { flagsOf } from './case-flags.ts'
import type { OpenCaseRow } from './cases.repository.ts'

/** What the agent must do next with a case: the worklist groups by this. */
export type NextStep = 'decide' | 'supplement' | 'forward' | 'complete_on_the_spot' | 'assist' | 'tell_extension' | 'reply' | 'deemed' | 'waiting'
const STEP_ORDER: NextStep[] = ['assist', 'deemed', 'reply', 'tell_extension', 'forward', 'complete_on_the_spot', 'supplement', 'decide', 'waiting']

export function nextStepForAgent(row: OpenCaseRow, today: string): NextStep {
  const flags = flagsOf(row, row.openAssist, row.pendingExtension, today)
  if (flags.openAssist) return 'assist'
  if (flags.extensionToTell) return 'tell_extension'
  if (flags.deemedApprovalDue) return 'deemed'
  switch (row.stage) {
    case 'registered':
      return 'decide'
    case 'awaiting_materials':
      return 'supplement'
    case 'accepted':
      return flags.onTheSpot ? 'complete_on_the_spot' : 'forward'
    case 'completed':
      return 'reply'
    default:
      return 'waiting'
  }
}

export function withDue(rows: OpenCaseRow[], calendar: Calendar, today: string) {
  return rows.map((row) => {
    const flags = flagsOf(row, row.openAssist, row.pendingExtension, today)
    return { ...row, due: openDue(calendar, row, row, flags.onTheSpot, today), flags }
  })
}

export function groupForAgent(rows: OpenCaseRow[], calendar: Calendar, today: string) {
  const withDues = withDue(rows, calendar, today).map((r) => {
    const step = nextStepForAgent(r, today)
    return { ...r, step, due: step === 'assist' && r.assistDueOn ? assistDue(calendar, r.id, r.assistDueOn, today) : r.due }
  })
  return STEP_ORDER.map((step) => ({ step, cases: withDues.filter((r) => r.step === step) })).filter((g) => g.cases.length > 0)
}
