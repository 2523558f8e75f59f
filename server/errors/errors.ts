import createError from '@fastify/error'

/**
 * Every error the application raises on purpose. The message is a locale key;
 * the error page translates it. Codes are stable so logs and tests can name them.
 */
export const NotFound = createError('APP_ERR_NOT_FOUND', 'errors.notFound', 404)
export const Forbidden = createError('APP_ERR_FORBIDDEN', 'errors.forbidden', 403)
export const BadRequest = createError('APP_ERR_BAD_REQUEST', 'errors.badRequest', 400)
export const Conflict = createError('APP_ERR_CONFLICT', 'errors.conflict', 409)
export const Stale = createError('APP_ERR_CASE_STALE', 'errors.stale', 409)
export const DatabaseUnavailable = createError('APP_ERR_DB_DOWN', 'errors.databaseDown', 503)
/** A body nested deeper than any form or API body (views/submitted-values.ts); walking it further would exhaust the stack. */
export const TooDeep = createError('APP_ERR_TOO_DEEP', 'errors.tooDeep', 400)
export const Busy = createError('APP_ERR_BUSY', 'errors.busy', 503)

/**
 * A business rule refused the input: shown beside a form field (or above the form when field is null).
 * `key` is a locale key, `params` fill its placeholders.
 */
export class RuleViolation extends Error {
  readonly statusCode = 400
  readonly code = 'APP_RULE'
  constructor(
    readonly key: string,
    readonly field: string | null = null,
    readonly params: Record<string, unknown> = {},
    /** Further fields refused by the same check: a form shows every wrong field at once. */
    readonly others: readonly RuleViolation[] = [],
  ) {
    super(key)
    this.name = 'RuleViolation'
  }

  /** One error carrying every violation found, or none when the list is empty. */
  static all(violations: readonly RuleViolation[]): RuleViolation | null {
    if (violations.length === 0) return null
    const [first, ...rest] = violations
    return new RuleViolation(first.key, first.field, first.params, rest)
  }
}

/** PostgreSQL or network errors that mean "the database is not there right now". */
export function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | null
  if (!e) return false
  if (e.code && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006'].includes(e.code)) return true
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(e.message ?? '')
}
