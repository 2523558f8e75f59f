import { defineAction } from './action.ts'
import { howTold, materialList, note, optionalRatingGrade, ratingFields } from './fields.ts'
import { ratingEffects } from './rating.ts'

/**
 * 答复: the agent tells the applicant the result and hands back their papers; a rating given on
 * the spot closes the case, otherwise it waits for one (rate).
 */
export const reply = defineAction({
  name: 'reply',
  body: {
    type: 'object',
    required: ['how'],
    properties: { how: howTold, returned: materialList, feesSettled: { type: 'string', maxLength: 5 }, note, overall: optionalRatingGrade, ...ratingFields },
  },
  roles: ['agent'],
  from: ['completed'],
  plan: (_c, input, { today }) => {
    const rating = input.overall ? { ...input, overall: input.overall, comment: (input.comment ?? '').trim() } : null
    return {
      to: rating ? 'closed' : 'replied',
      set: { repliedOn: today, dueOn: null, dueLimit: null, ...(rating ? { rating: rating.overall, closedOn: today } : {}) },
      note: (input.note ?? '').trim(),
      data: { how: input.how, returned: input.returned ?? [], feesSettled: input.feesSettled === 'on', rating: rating?.overall ?? null },
      effects: rating ? ratingEffects(rating) : [],
    }
  },
})
