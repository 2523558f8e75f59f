import { isIPv6 } from 'node:net'
import { timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import { sql } from 'kysely'
import type { Db } from '../db/connect.ts'
import { loadCalendar } from '../calendar/calendar.repository.ts'
import { openDue } from '../cases/case-deadlines.ts'
import { isOnTheSpot } from '../cases/case-rules.ts'
import type { FieldErrors } from '../views/form-errors.ts'
import { fieldErrorsFromValidation } from '../views/form-errors.ts'
import { sentValues } from '../views/forms.ts'

const lookupBody = {
  type: 'object',
  required: ['no', 'tail'],
  properties: {
    no: { type: 'string', minLength: 1, maxLength: 40 },
    tail: { type: 'string', minLength: 4, maxLength: 4, pattern: '^[0-9]{4}$', hint: 'lookup.tailFormat' },
  },
} as const

/**
 * Wrong tails for one typed case number from one address within an hour before that number answers
 * nothing more to that address. Per address and number, not per number: the Open311 feed lists open
 * case numbers, and five wrong tails from anywhere must not lock the villager out of their own case.
 * One address is also capped across numbers by the route's rate limit.
 */
export const LOOKUP_FAILURES_PER_CASE = 5
const LOOKUP_FAILURE_WINDOW_MS = 60 * 60 * 1000

/** Compared in constant time, and always compared, so a wrong number and wrong digits cost the same. */
function tailMatches(phone: string | undefined, tail: string): boolean {
  const expected = Buffer.from((phone ?? '').replace(/\D/g, '').slice(-4).padStart(4, '#'))
  const given = Buffer.from(tail.padStart(4, '#').slice(0, 4))
  return timingSafeEqual(expected, given) && phone !== undefined
}

/** The public facts of a case and the phone its tail is checked against. */
function findLookupCase(db: Db, caseNo: string) {
  return db
    .selectFrom('cases')
    .innerJoin('applicants', 'applicants.id', 'cases.applicantId')
    .innerJoin('matterVersions', 'matterVersions.id', 'cases.matterVersionId')
    .innerJoin('villages', 'villages.id', 'cases.villageId')
    .innerJoin('towns', 'towns.id', 'cases.townId')
    .select([
      'cases.caseNo', 'cases.countyId', 'cases.stage', 'cases.registeredOn', 'cases.acceptedOn', 'cases.forwardDue', 'cases.forwardedOn', 'cases.completeDue', 'cases.completedOn',
      'cases.replyDue', 'cases.repliedOn', 'cases.pauses', 'cases.pausedSince', 'cases.serviceForm', 'cases.outcome',
      'applicants.phone', 'matterVersions.name as matterName', 'matterVersions.caseType', 'matterVersions.forwardLimit', 'matterVersions.replyLimit',
      'matterVersions.promisedLimit', 'matterVersions.limitUnit', 'villages.name as villageName', 'villages.stationPhone', 'villages.officeHours', 'towns.name as townName',
    ])
    .where('cases.caseNo', '=', caseNo)
    .executeTakeFirst()
}

/** Public case lookup: case number + last 4 phone digits → progress, never personal data. */
/**
 * Whom the look-up's count of wrong tails is kept for: an IPv4 address, or an IPv6 address's /64
 * (one household's or one server's whole block: counted per address, a guesser there would have
 * 2^64 of them).
 */
export function addressGroup(ip: string): string {
  if (!isIPv6(ip)) return ip
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
  if (mapped) return mapped[1]
  const [head, tail = ''] = ip.toLowerCase().split('::')
  const front = head ? head.split(':') : []
  const back = ip.includes('::') ? (tail ? tail.split(':') : []) : []
  const groups = ip.includes('::') ? [...front, ...Array(8 - front.length - back.length).fill('0'), ...back] : front
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`
}

export default async function lookupRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<JsonSchemaToTsProvider>()
  const render = (request: FastifyRequest, reply: FastifyReply, status: number, values: Record<string, unknown>, errors: FieldErrors, result?: object) =>
    reply.code(status).viewAsync('lookup/lookup.hbs', { title: request.t('lookup.title'), values, errors, result })

  app.get('/lookup', { config: { public: true }, schema: { querystring: { type: 'object', properties: { no: { type: 'string', maxLength: 40 } } } } }, async (request, reply) =>
    render(request, reply, 200, { no: request.query.no ?? '' }, {}),
  )

  app.post(
    '/lookup',
    { config: { public: true, rateLimit: { max: app.config.lookupRateLimitPerMinute, timeWindow: '1 minute' } }, schema: { body: lookupBody }, attachValidation: true },
    async (request, reply) => {
      if (request.validationError) {
        const sent = sentValues(request.body)
        return render(request, reply, 400, { no: sent.no ?? '', tail: sent.tail ?? '' }, fieldErrorsFromValidation(request.validationError.validation, request.t))
      }
      const body = request.body
      const values = { no: body.no, tail: body.tail }
      const caseNo = body.no.trim().toUpperCase()
      // Failures are counted per address and number typed, whether or not such a case exists, so the
      // refusal says nothing about it; checks of one number queue on a lock so a parallel burst
      // cannot all be checked before the count is reached.
      const since = new Date(app.now().getTime() - LOOKUP_FAILURE_WINDOW_MS)
      const ip = addressGroup(request.ip)
      const found = await app.db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(hashtext('lookup'), hashtext(${caseNo}))`.execute(trx)
        const failures = await trx.selectFrom('lookupFailures').select((eb) => eb.fn.countAll<string>().as('n')).where('ip', '=', ip).where('caseNo', '=', caseNo).where('at', '>', since).executeTakeFirstOrThrow()
        const failed = Number(failures.n)
        if (failed >= LOOKUP_FAILURES_PER_CASE) return 'too-many' as const
        const row = await findLookupCase(trx, caseNo)
        if (!tailMatches(row?.phone, body.tail) || !row) {
          await trx.insertInto('lookupFailures').values({ caseNo, ip, at: app.now() }).execute()
          return { triesLeft: LOOKUP_FAILURES_PER_CASE - failed - 1 }
        }
        return row
      })
      if (found === 'too-many') return render(request, reply, 429, values, { _form: request.t('lookup.tooManyForCase') })
      if ('triesLeft' in found) {
        const message = found.triesLeft > 0 ? request.t('lookup.notFoundTriesLeft', { left: found.triesLeft }) : request.t('lookup.notFoundNoTriesLeft')
        return render(request, reply, 404, values, { _form: message })
      }
      const row = found
      const calendar = await loadCalendar(app.db, row.countyId)
      const onTheSpot = isOnTheSpot(row.caseType, row.serviceForm)
      const due = openDue(calendar, row, row, onTheSpot, app.today())
      const dates = (
        [
          ['registered', row.registeredOn],
          ['accepted', row.acceptedOn],
          ['forwarded', row.forwardedOn],
          ['completed', row.completedOn],
          ['replied', row.repliedOn],
        ] as const
      ).filter(([, d]) => d)
      return render(request, reply, 200, { no: row.caseNo, tail: '' }, {}, {
        caseNo: row.caseNo,
        matterName: row.matterName,
        stage: row.stage,
        outcome: row.outcome,
        due,
        dates: dates.map(([key, date]) => ({ key, date })),
        station: `${row.townName} · ${row.villageName}`,
        stationPhone: row.stationPhone,
        officeHours: row.officeHours,
      })
    },
  )
}
