import { defineAction } from './action.ts'

/**
 * By the nightly job: a replied case left unrated for the configured days closes, with the
 * configured default rating (recorded as given by default) or none.
 */
export const closeUnrated = defineAction({
  name: 'close_unrated',
  body: { type: 'object', required: ['defaultRating'], properties: { defaultRating: { type: 'string', enum: ['', 'satisfied', 'basic'] } } },
  roles: ['system'],
  from: ['replied'],
  plan: (_c, input, { today }) => {
    const rating = input.defaultRating || null
    return {
      to: 'closed',
      set: { closedOn: today, rating },
      event: rating ? 'rated_by_default' : 'closed_unrated',
      data: { rating },
      effects: rating ? [{ kind: 'recordRating', rating: { overall: rating, efficiency: 4, competence: 4, attitude: 4, satisfaction: 4, comment: '' }, byDefault: true }] : [],
    }
  },
})
