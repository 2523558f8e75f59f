import type { FastifySchemaValidationError } from 'fastify/types/schema.js'
import type { Translate } from '../i18n/i18n.ts'
import { RuleViolation } from '../errors/errors.ts'

export type FieldErrors = Record<string, string>

interface AjvError extends FastifySchemaValidationError {
  parentSchema?: { hint?: string }
}

function fieldOf(error: AjvError): string {
  if (error.keyword === 'required') return String(error.params.missingProperty)
  const path = error.instancePath.replace(/^\//, '').split('/')[0]
  return path || '_form'
}

/** Turns ajv's errors into one message per field, in the user's language. */
export function fieldErrorsFromValidation(errors: FastifySchemaValidationError[], t: Translate): FieldErrors {
  const result: FieldErrors = {}
  for (const error of errors as AjvError[]) {
    const field = fieldOf(error)
    if (result[field]) continue
    const hint = error.parentSchema?.hint
    const params = error.params as Record<string, unknown>
    // A field with its own message ("choose a window", "1 to 20 working days") says it for any
    // wrong value; only a missing or over-long value has the general message.
    if (hint && ['type', 'minimum', 'maximum', 'enum', 'pattern', 'format'].includes(error.keyword)) {
      result[field] = t(hint)
      continue
    }
    switch (error.keyword) {
      case 'required':
        result[field] = t('validation.required')
        break
      case 'maxLength':
        result[field] = t('validation.maxLength', { limit: params.limit })
        break
      case 'minLength':
        // A field with its own hint ("4 digits") says that rather than counting characters.
        result[field] = Number(params.limit) <= 1 ? t('validation.required') : hint ? t(hint) : t('validation.minLength', { limit: params.limit })
        break
      case 'maximum':
        result[field] = t('validation.maximum', { limit: params.limit })
        break
      case 'minimum':
        result[field] = t('validation.minimum', { limit: params.limit })
        break
      case 'controlCharacter':
        result[field] = t('validation.controlCharacter')
        break
      case 'enum':
        result[field] = t('validation.enum')
        break
      case 'type':
        result[field] = params.type === 'integer' || params.type === 'number' ? t('validation.number') : t('validation.type')
        break
      default:
        result[field] = hint ? t(hint) : t('validation.format')
    }
  }
  return result
}

export function fieldErrorsFromRule(violation: RuleViolation, t: Translate): FieldErrors {
  const result: FieldErrors = {}
  for (const v of [violation, ...violation.others]) result[v.field ?? '_form'] ??= t(v.key, v.params)
  return result
}
