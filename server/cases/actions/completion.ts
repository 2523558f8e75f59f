import type { Updateable } from 'kysely'
import type { CasesTable } from '../../db/schema.ts'
import { replyDue } from '../case-deadlines.ts'
import type { Effect, PlanContext } from './action.ts'

/**
 * What completing a case writes, whoever completes it (the window, the agent of an on-the-spot
 * case, the agent recording a deemed approval, or the nightly job): the reply clock starts and
 * the applicant is texted that the result is ready.
 */
export function completionColumns({ calendar, mv, today }: Pick<PlanContext, 'calendar' | 'mv' | 'today'>) {
  const due = replyDue(calendar, today, mv)
  return { completedOn: today, replyDue: due, dueOn: due, dueLimit: mv.replyLimit } satisfies Updateable<CasesTable>
}

export const RESULT_READY_TEXT: Effect = { kind: 'text', template: 'result-ready', params: {} }
