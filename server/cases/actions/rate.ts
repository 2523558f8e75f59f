import { defineAction } from './action.ts'
import { ratingFields, ratingGrade } from './fields.ts'
import { ratingEffects } from './rating.ts'

/** 评价: the applicant's rating, recorded by the agent after the reply; it closes the case. */
export const rate = defineAction({
  name: 'rate',
  body: { type: 'object', required: ['overall'], properties: { overall: ratingGrade, ...ratingFields } },
  roles: ['agent'],
  from: ['replied'],
  plan: (_c, input, { today }) => {
    const rating = { ...input, comment: (input.comment ?? '').trim() }
    return { to: 'closed', set: { rating: rating.overall, closedOn: today }, data: { rating: rating.overall }, effects: ratingEffects(rating) }
  },
})
