import { RuleViolation } from '../../errors/errors.ts'
import { text } from '../../views/forms.ts'
import { defineAction } from './action.ts'
import { completionColumns, RESULT_READY_TEXT } from './completion.ts'
import { handback, linesOf, outcomeChoice } from './fields.ts'

/**
 * 办结: the decision is made. The window's in handling (never while the clock is stopped, an
 * extension awaits a decision, or a posting or objection is open); the agent's only for an
 * on-the-spot case it accepted.
 */
export const complete = defineAction({
  name: 'complete',
  body: { type: 'object', required: ['outcome'], properties: { outcome: outcomeChoice, reason: text(500), handback } },
  roles: ['agent', 'clerk'],
  from: ['accepted', 'in_progress'],
  guard: (flags, role, stage) =>
    stage === 'accepted'
      ? role === 'agent' && flags.onTheSpot
      : role === 'clerk' && !flags.paused && !flags.pendingExtension && !flags.postingOpen && !flags.objectionOpen,
  plan: (_c, input, ctx) => {
    const why = (input.reason ?? '').trim()
    if (input.outcome !== 'approved' && !why) throw new RuleViolation('cases.outcomeReasonRequired', 'reason')
    const items = linesOf(input.handback)
    return {
      to: 'completed',
      set: { outcome: input.outcome, outcomeReason: why, handback: JSON.stringify(items), deemedApproved: false, pausedSince: null, ...completionColumns(ctx) },
      note: why,
      data: { outcome: input.outcome, handback: items, deemed: false },
      effects: [RESULT_READY_TEXT],
    }
  },
})
