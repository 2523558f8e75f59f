import { WINDOW_STAGES } from '../case-rules.ts'
import { defineAction } from './action.ts'
import { requiredNote } from './fields.ts'

/** 异议处理: the outcome of the verification of an objection; closing the posting waits for it. */
export const resolveObjection = defineAction({
  name: 'resolve_objection',
  roles: ['agent'],
  from: WINDOW_STAGES,
  guard: (flags) => flags.objectionOpen,
  body: { type: 'object', required: ['objectionOutcome'], properties: { objectionOutcome: requiredNote } },
  plan: (c, { objectionOutcome }) => ({ to: c.stage, set: {}, note: objectionOutcome.trim(), effects: [{ kind: 'resolveObjection', outcome: objectionOutcome.trim() }] }),
})
