import { findOpenPosting } from '../cases.repository.ts'
import { defineAction } from './action.ts'
import { requiredNote } from './fields.ts'

/** 异议登记: an objection to the open posting, recorded by the agent; it holds the posting open. */
export const recordObjection = defineAction({
  name: 'record_objection',
  body: { type: 'object', required: ['objection'], properties: { objection: requiredNote } },
  roles: ['agent'],
  from: ['forwarded', 'in_progress'],
  guard: (flags) => flags.postingOpen,
  load: (trx, c) => findOpenPosting(trx, c.id),
  plan: (c, input, _ctx, posting) => {
    const content = input.objection.trim()
    return { to: c.stage, set: {}, note: content, effects: [{ kind: 'recordObjection', noticeId: posting.id, content }] }
  },
})
