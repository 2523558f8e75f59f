import { createHash } from 'node:crypto'
import { idNumberHashes, sealedIdNumber } from '../privacy/id-vault.ts'
import { sql } from 'kysely'
import type { Db } from '../db/connect.ts'
import type { Actor } from '../accounts/actor.ts'
import type { Case, Stage } from '../db/schema.ts'
import { RuleViolation, Forbidden } from '../errors/errors.ts'
import { loadCalendar } from '../calendar/calendar.repository.ts'
import { computeDueDate } from '../calendar/working-days.ts'
import { normaliseIdNumber } from '../applicants/id-number.ts'
import { formatCaseNo, intakeStage, isOnTheSpot, missingMaterials } from './case-rules.ts'
import { acceptanceColumns, REGISTRATION_LIMIT } from './case-deadlines.ts'
import { appendEvent } from './case-events.ts'

export interface ApplicantInput {
  name: string
  idNumber: string
  phone: string
  villageGroup: string
  address: string
  vulnerable: 'none' | 'lonely_elderly' | 'sick_disabled' | 'five_guarantees'
}

export interface IntakeInput {
  idempotencyKey: string
  applicantId: number | null
  applicant: ApplicantInput
  matterId: number
  channel: Case['channel']
  serviceForm: Case['serviceForm']
  homeService: boolean
  materialsReceived: string[]
  decision: 'decide' | 'register' | 'reject'
  rejectReason: string
  summary: string
}

export interface IntakeResult {
  caseId: string
  caseNo: string
  stage: Stage
  duplicate: boolean
}

/**
 * A case's idempotency key (the column is a uuid) made from text that names the request: the same
 * text, the same key, so a request sent again finds the case it made (a partner's retry, a workbook
 * imported again).
 */
export function idempotencyKeyOf(text: string): string {
  const h = createHash('sha256').update(text).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`
}

/**
 * Who issued an idempotency key: a key is unique per county and issuer, never across issuers, so
 * no one can claim another's key first (a partner's is predictable from its header, an import's
 * natural key from the ledger row) and have the other's request answered with their case.
 */
export const idempotencyScope = {
  station: (villageId: number) => `station:${villageId}`,
  partner: (apiKeyId: number) => `partner:${apiKeyId}`,
  /** The county's imports of its old ledgers: one past case, one copy in the county. */
  import: 'import',
} as const

/** The database's name for that uniqueness (migration 2026_12_07_022): a lost race is found by it. */
export const IDEMPOTENCY_CONSTRAINT = 'cases_idempotency_key_scope_key'

/** The case an issuer's key already made, if any: never another issuer's. */
export function findCaseByIdempotencyKey(db: Db, countyId: number, scope: string, key: string) {
  return db
    .selectFrom('cases')
    .select(['id', 'caseNo', 'stage', 'villageId', 'registeredOn'])
    .where('countyId', '=', countyId)
    .where('idempotencyScope', '=', scope)
    .where('idempotencyKey', '=', key)
    .executeTakeFirst()
}

/** The station's next case number of the day: numbers run without gaps, whoever files the case. */
export async function nextCaseNo(trx: Db, village: { id: number; code: string }, today: string): Promise<string> {
  const { lastSeq } = await trx
    .insertInto('caseCounters')
    .values({ villageId: village.id, day: today, lastSeq: 1 })
    .onConflict((oc) => oc.columns(['villageId', 'day']).doUpdateSet({ lastSeq: sql`case_counters.last_seq + 1` }))
    .returning('lastSeq')
    .executeTakeFirstOrThrow()
  return formatCaseNo(village.code, today, lastSeq)
}

export const isUniqueViolation = (e: unknown, constraint?: string) =>
  (e as { code?: string })?.code === '23505' && (!constraint || (e as { constraint?: string }).constraint === constraint)

/**
 * Everything wrong with an intake form that can be told without the database, all at once, so
 * the agent sees every missing field on the first try rather than one per submission.
 */
export function intakeInputProblems(input: Pick<IntakeInput, 'applicantId' | 'applicant' | 'decision' | 'rejectReason'>): RuleViolation[] {
  const problems: RuleViolation[] = []
  if (!input.applicantId) {
    const a = input.applicant
    if (!a.name.trim()) problems.push(new RuleViolation('validation.required', 'name'))
    if (a.idNumber.trim()) {
      if (!normaliseIdNumber(a.idNumber)) problems.push(new RuleViolation('intake.idInvalid', 'idNumber'))
    } else if (input.decision !== 'register') {
      // Only a consultation (registered, no decision) may go without the ID number.
      problems.push(new RuleViolation('intake.idRequired', 'idNumber'))
    }
    if (!a.phone.trim()) problems.push(new RuleViolation('validation.required', 'phone'))
  }
  if (input.decision === 'reject' && !input.rejectReason.trim()) problems.push(new RuleViolation('intake.rejectReasonRequired', 'rejectReason'))
  return problems
}

/**
 * The applicant of an intake: an existing file of the agent's own village (the only files its
 * search and form offer; a file of another village would show that person's details on the new
 * case), or a new one. One ID number, one file.
 */
async function resolveApplicant(trx: Db, actor: Actor, input: IntakeInput): Promise<number> {
  if (input.applicantId) {
    const existing = await trx.selectFrom('applicants').select('id').where('id', '=', input.applicantId).where('villageId', '=', actor.villageId!).executeTakeFirst()
    if (!existing) throw new RuleViolation('intake.applicantMissing', 'applicantId')
    return existing.id
  }
  const a = input.applicant
  const idNumber = a.idNumber.trim() ? normaliseIdNumber(a.idNumber) : null
  if (idNumber) {
    const holder = await trx.selectFrom('applicants').select(['id', 'villageId']).where('countyId', '=', actor.countyId).where('idNumberHash', 'in', idNumberHashes(idNumber)).executeTakeFirst()
    if (holder) throw new RuleViolation('intake.idTaken', 'idNumber')
  }
  const { id } = await trx
    .insertInto('applicants')
    .values({
      countyId: actor.countyId,
      villageId: actor.villageId!,
      name: a.name.trim(),
      ...sealedIdNumber(idNumber),
      phone: a.phone.trim(),
      villageGroup: a.villageGroup.trim(),
      address: a.address.trim(),
      vulnerable: a.vulnerable,
      createdBy: actor.id,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return id
}

/**
 * Intake at the station (受理): one transaction writes the applicant (if new), the case with a
 * gapless daily number, and its first event. A form posted twice (same idempotency key) creates one case.
 */
export async function intakeCase(db: Db, actor: Actor, input: IntakeInput, today: string, now: Date): Promise<IntakeResult> {
  if (actor.role !== 'agent' || !actor.villageId) throw new Forbidden()
  const problems = RuleViolation.all(intakeInputProblems(input))
  if (problems) throw problems
  const scope = idempotencyScope.station(actor.villageId)
  const existing = await findCaseByIdempotencyKey(db, actor.countyId, scope, input.idempotencyKey)
  if (existing) return { caseId: existing.id, caseNo: existing.caseNo, stage: existing.stage, duplicate: true }
  const calendar = await loadCalendar(db, actor.countyId)
  try {
    return await db.transaction().execute(async (trx) => {
      const matter = await trx.selectFrom('matters').select(['id', 'currentVersion', 'active']).where('id', '=', input.matterId).where('countyId', '=', actor.countyId).executeTakeFirst()
      if (!matter || !matter.active) throw new RuleViolation('intake.matterMissing', 'matterId')
      const mv = await trx.selectFrom('matterVersions').selectAll().where('matterId', '=', matter.id).where('version', '=', matter.currentVersion).executeTakeFirstOrThrow()
      const applicantId = await resolveApplicant(trx, actor, input)
      const village = await trx.selectFrom('villages').select(['code', 'townId']).where('id', '=', actor.villageId!).executeTakeFirstOrThrow()

      const onTheSpot = isOnTheSpot(mv.caseType, input.serviceForm)
      const received = mv.materials.map((m) => m.name).filter((name) => input.materialsReceived.includes(name))
      const missing = missingMaterials(mv, received)
      let stage: Stage
      let rejectReason = ''
      if (!mv.proxiable) {
        stage = 'rejected'
        rejectReason = mv.notProxiableReason
      } else if (input.decision === 'reject') {
        stage = 'rejected'
        rejectReason = input.rejectReason.trim()
      } else {
        stage = intakeStage(missing.length, input.decision === 'register' ? 'register' : 'decide')
      }

      const caseNo = await nextCaseNo(trx, { id: actor.villageId!, code: village.code }, today)
      const accepted = stage === 'accepted' ? acceptanceColumns(calendar, mv, today, onTheSpot) : {}
      const registrationDue = stage === 'registered' ? { dueOn: computeDueDate(calendar, today, REGISTRATION_LIMIT).due, dueLimit: REGISTRATION_LIMIT } : {}
      const { id } = await trx
        .insertInto('cases')
        .values({
          countyId: actor.countyId,
          townId: village.townId,
          villageId: actor.villageId!,
          caseNo,
          idempotencyKey: input.idempotencyKey,
          idempotencyScope: scope,
          applicantId,
          matterId: matter.id,
          matterVersionId: mv.id,
          channel: input.channel,
          serviceForm: input.serviceForm,
          homeService: input.homeService,
          stage,
          agentId: actor.id,
          materialsReceived: JSON.stringify(received),
          summary: input.summary.trim(),
          registeredOn: today,
          // The step's own time (the demo's history replays intakes of past days).
          createdAt: now,
          updatedAt: now,
          outcomeReason: rejectReason,
          ...accepted,
          ...registrationDue,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
      await appendEvent(trx, actor, { id, villageId: actor.villageId! }, 'intake', null, stage, rejectReason || input.summary.trim(), {
        received,
        missing,
        channel: input.channel,
        serviceForm: input.serviceForm,
        homeService: input.homeService,
        matterVersion: mv.version,
      }, now)
      return { caseId: id, caseNo, stage, duplicate: false }
    })
  } catch (error) {
    // Two submissions of one form raced: the loser finds the winner's case.
    if (isUniqueViolation(error, IDEMPOTENCY_CONSTRAINT)) {
      const winner = (await findCaseByIdempotencyKey(db, actor.countyId, scope, input.idempotencyKey))!
      return { caseId: winner.id, caseNo: winner.caseNo, stage: winner.stage, duplicate: true }
    }
    // Two stations filed the same new person at once: the second is told the file exists.
    if (isUniqueViolation(error, 'applicants_county_id_number_hash_key')) throw new RuleViolation('intake.idTaken', 'idNumber')
    throw error
  }
}
