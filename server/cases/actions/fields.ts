import { OUTCOMES, RATINGS } from '../../db/schema.ts'
import { requiredText, text } from '../../views/forms.ts'

/**
 * Form fields that several steps share, declared once so that a field means the same in every
 * step's form (and the case route's one body schema can list them all).
 */
export const materialList = { type: 'array', maxItems: 40, items: { type: 'string', maxLength: 100 } } as const
export const windowChoice = { type: 'integer', minimum: 1, maximum: 2147483647, hint: 'validation.choose' } as const
export const howTold = { type: 'string', enum: ['phone', 'visit', 'station'], hint: 'validation.choose' } as const
export const outcomeChoice = { type: 'string', enum: OUTCOMES, hint: 'validation.choose' } as const
export const reason = requiredText(500)
export const note = text(1000)
export const requiredNote = requiredText(1000)
export const handback = text(1000)

const score = { type: 'integer', minimum: 1, maximum: 5, default: 5, hint: 'validation.enum' } as const
/** The 好差评 rating: the overall grade and four indicators (5 when not given), with a comment. */
export const ratingFields = {
  efficiency: score,
  competence: score,
  attitude: score,
  satisfaction: score,
  comment: text(500),
} as const
export const ratingGrade = { type: 'string', enum: RATINGS, hint: 'validation.choose' } as const
/** At the reply the rating may wait for later: '' is "not rated yet". */
export const optionalRatingGrade = { type: 'string', enum: ['', ...RATINGS], hint: 'validation.enum' } as const

/** One line per item (the documents to hand back). */
export const linesOf = (value: string | undefined): string[] => (value ?? '').split(/\r?\n/).map((s) => s.trim()).filter(Boolean)
