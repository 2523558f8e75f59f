import { defineAction } from './action.ts'
import { howTold, note } from './fields.ts'

/** 告知延期: the agent records how the applicant was told of the approved extension. */
export const tellExtension = defineAction({
  name: 'tell_extension',
  body: { type: 'object', required: ['how'], properties: { how: howTold, note } },
  roles: ['agent'],
  from: ['forwarded', 'in_progress', 'completed'],
  guard: (flags) => flags.extensionToTell,
  plan: (c, input) => ({ to: c.stage, set: { extensionToTell: false }, note: (input.note ?? '').trim(), data: { how: input.how } }),
})
