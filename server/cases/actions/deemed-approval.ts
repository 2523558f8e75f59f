import { defineAction } from './action.ts'
import { completionColumns, RESULT_READY_TEXT } from './completion.ts'

/**
 * 超时默许, by the nightly job: the same condition as record_deemed, applied by the system when the
 * agent has not recorded it; the agent is told to reply.
 */
export const deemedApproval = defineAction({
  name: 'deemed_approved',
  body: { type: 'object', properties: {} },
  roles: ['system'],
  from: ['forwarded', 'in_progress'],
  guard: (flags) => flags.deemedApprovalDue && !flags.postingOpen && !flags.objectionOpen,
  plan: (c, _input, ctx) => ({
    to: 'completed',
    set: { outcome: 'approved', deemedApproved: true, ...completionColumns(ctx) },
    data: { deemed: true },
    effects: [{ kind: 'notify', to: ['agent'], message: 'case.deemed_approved', params: { caseNo: c.caseNo } }, RESULT_READY_TEXT],
  }),
})
