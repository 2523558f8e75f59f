import type { FastifyReply, FastifyRequest } from 'fastify'
import { RuleViolation } from '../errors/errors.ts'
import { fieldErrorsFromRule, fieldErrorsFromValidation, type FieldErrors } from './form-errors.ts'

/**
 * The one shape of every form POST: bad input re-renders the form (status 400, values kept,
 * a message per field); a refused business rule does the same; success redirects.
 */
export async function submitForm<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  form: {
    render: (status: number, errors: FieldErrors) => Promise<unknown>
    action: () => Promise<T>
    done: (result: T) => unknown
  },
): Promise<unknown> {
  if (request.validationError) return form.render(400, fieldErrorsFromValidation(request.validationError.validation, request.t))
  let result: T
  try {
    result = await form.action()
  } catch (error) {
    if (error instanceof RuleViolation) return form.render(error.statusCode, fieldErrorsFromRule(error, request.t))
    throw error
  }
  return form.done(result)
}

/**
 * How every form is validated, by the routes and by the case steps alike: all errors at once
 * (a form marks every wrong field), form text coerced to the schema's numbers and lists, defaults
 * filled, unknown fields dropped; `hint` names a field's own message.
 */
export const AJV_OPTIONS: { allErrors: true; verbose: true; coerceTypes: 'array'; removeAdditional: true; useDefaults: true; keywords: string[] } = {
  allErrors: true, verbose: true, coerceTypes: 'array', removeAdditional: true, useDefaults: true, keywords: ['hint'],
}

// Schema pieces shared by forms. Every string has a length cap; `hint` names the message shown when a pattern fails.
export const text = (maxLength: number) => ({ type: 'string', maxLength }) as const
export const requiredText = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength, pattern: '\\S', hint: 'validation.required' }) as const
export const phone = { type: 'string', maxLength: 20, pattern: '^$|^1[3-9][0-9]{9}$|^0[0-9]{2,3}-?[0-9]{7,8}$', hint: 'validation.phone' } as const
export const requiredPhone = { type: 'string', minLength: 1, maxLength: 20, pattern: '^1[3-9][0-9]{9}$|^0[0-9]{2,3}-?[0-9]{7,8}$', hint: 'validation.phone' } as const
export const id = { type: 'integer', minimum: 1, maximum: 2147483647 } as const
/** An optional reference in a form: '' or a positive id; the route turns it into number | null. */
export const optionalId = { type: 'string', maxLength: 10, pattern: '^$|^[1-9][0-9]{0,8}$', hint: 'validation.choose' } as const
export const toId = (value: string | number | undefined | null): number | null =>
  value === undefined || value === null || value === '' ? null : Number(value)
/**
 * A record id from anything a form or query sent, or null: '1e309' or 26 digits read as a Number
 * are Infinity or beyond PostgreSQL's integer, and reached a query as a 500.
 */
export const toRecordId = (value: unknown): number | null => {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^[0-9]{1,10}$/.test(value.trim()) ? Number(value) : NaN
  return Number.isInteger(n) && n >= 1 && n <= 2147483647 ? n : null
}
export const idParams = { type: 'object', required: ['id'], properties: { id } } as const
/**
 * A list filter's choice of one record: '' (every one) or an id. It stays text because a select's
 * "all" sends '', which no integer schema takes; `toId` makes it number | null.
 */
export const idFilter = { type: 'string', maxLength: 10, pattern: '^$|^[1-9][0-9]{0,8}$' } as const
/**
 * A bigint record id (cases, fee entries, notices): pg hands int8 over as a string and a JavaScript
 * number loses digits past 2^53, so it stays a pattern-checked string end to end.
 */
export const bigintId = { type: 'string', maxLength: 18, pattern: '^[1-9][0-9]{0,17}$' } as const
/** The same, optional: '' or a bigint id. */
export const optionalBigintId = { type: 'string', maxLength: 18, pattern: '^$|^[1-9][0-9]{0,17}$' } as const

/**
 * What a form sent, to show back when it is re-shown. When validation failed the body is not the
 * schema's type (a field may be missing, an array or an object), so it is read as plain values.
 */
export const sentValues = (body: unknown): Record<string, unknown> => (body !== null && typeof body === 'object' && !Array.isArray(body) ? { ...body } : {})
export const code = { type: 'string', minLength: 2, maxLength: 12, pattern: '^[0-9A-Za-z]{2,12}$', hint: 'validation.code' } as const
