import type { Effect, RatingInput } from './action.ts'

/** A rating is recorded; a bad one opens a rectification for the unit that handled the case. */
export function ratingEffects(r: RatingInput): Effect[] {
  const rating = { overall: r.overall, efficiency: r.efficiency, competence: r.competence, attitude: r.attitude, satisfaction: r.satisfaction, comment: r.comment }
  return [
    { kind: 'recordRating', rating, byDefault: false },
    { kind: 'openRectification', rating: r.overall, comment: r.comment },
  ]
}
