import { defineAction } from './action.ts'
import { completionColumns, RESULT_READY_TEXT } from './completion.ts'
import { handback, linesOf } from './fields.ts'

/**
 * 记录默许: for a silence-is-consent matter whose limit passed without a decision (and no posting
 * or objection open), the agent records the request as approved.
 */
export const recordDeemed = defineAction({
  name: 'record_deemed',
  body: { type: 'object', properties: { handback } },
  roles: ['agent'],
  from: ['forwarded', 'in_progress'],
  guard: (flags) => flags.deemedApprovalDue && !flags.postingOpen && !flags.objectionOpen,
  plan: (_c, input, ctx) => {
    const items = linesOf(input.handback)
    return {
      to: 'completed',
      set: { outcome: 'approved', outcomeReason: '', handback: JSON.stringify(items), deemedApproved: true, pausedSince: null, ...completionColumns(ctx) },
      note: '',
      data: { outcome: 'approved', handback: items, deemed: true },
      effects: [RESULT_READY_TEXT],
    }
  },
})
