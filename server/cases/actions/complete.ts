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
  body: {
    type: 'object',
    required: ['outcome'],
    properties: { outcome: outcomeChoice, reason: text(500), handback, confirmOpenAssist: { type: 'string', maxLength: 5 } },
  },
  roles: ['agent', 'clerk'],
  from: ['accepted', 'in_progress'],
  guard: (flags, role, stage) =>
    stage === 'accepted'
      ? role === 'agent' && flags.onTheSpot
      : role === 'clerk' && !flags.paused && !flags.pendingExtension && !flags.postingOpen && !flags.objectionOpen,
  plan: (c, input, ctx) => {
    const why = (input.reason ?? '').trim()
    // The station may still be fetching what the window asked for: completing anyway is a choice the clerk confirms.
    const withdrawsAssist = ctx.flags.openAssist
    const refused = RuleViolation.all([
      ...(withdrawsAssist && input.confirmOpenAssist !== 'on' ? [new RuleViolation('cases.completeOpenAssist', 'confirmOpenAssist')] : []),
      ...(input.outcome !== 'approved' && !why ? [new RuleViolation('cases.outcomeReasonRequired', 'reason')] : []),
    ])
    if (refused) throw refused
    const items = linesOf(input.handback)
    return {
      to: 'completed',
      set: { outcome: input.outcome, outcomeReason: why, handback: JSON.stringify(items), deemedApproved: false, pausedSince: null, ...completionColumns(ctx) },
      note: why,
      data: { outcome: input.outcome, handback: items, deemed: false, ...(withdrawsAssist ? { assistWithdrawn: true } : {}) },
      effects: [
        RESULT_READY_TEXT,
        ...(withdrawsAssist
          ? ([{ kind: 'withdrawAssist' }, { kind: 'notify', to: ['agent'], message: 'assist.withdrawn', params: { caseNo: c.caseNo } }] as const)
          : []),
      ],
    }
  },
})
