import { sql } from 'kysely'
import type { Db } from '../db/connect.ts'
import type { Actor } from '../accounts/actor.ts'
import type { VISIT_PURPOSES } from '../db/schema.ts'
import { Forbidden, RuleViolation } from '../errors/errors.ts'

const MAX_PEOPLE = 200

export interface VisitInput {
  /** Local 'HH:mm' of the visit today; empty means now. */
  time: string
  people: number
  purpose: (typeof VISIT_PURPOSES)[number]
  applicantId: number | null
  told: string
  caseNo: string
}

/** 接待登记: one visit (a batch of `people`) at the agent's station, linked to the applicant and case when named. */
export async function recordVisit(db: Db, actor: Actor, input: VisitInput, today: string, now: Date, timeZone: string): Promise<void> {
  if (actor.role !== 'agent' || !actor.villageId) throw new Forbidden()
  // The form's schema says so too; this holds for every caller ('1e309' once reached the insert).
  if (!Number.isInteger(input.people) || input.people < 1 || input.people > MAX_PEOPLE) throw new RuleViolation('validation.maximum', 'people', { limit: MAX_PEOPLE })
  const village = await db.selectFrom('villages').select(['townId']).where('id', '=', actor.villageId).executeTakeFirstOrThrow()
  let applicantId: number | null = null
  if (input.applicantId) {
    const a = await db.selectFrom('applicants').select('id').where('id', '=', input.applicantId).where('villageId', '=', actor.villageId).executeTakeFirst()
    if (!a) throw new RuleViolation('validation.choose', 'applicantId')
    applicantId = a.id
  }
  let caseId: string | null = null
  if (input.caseNo.trim()) {
    const c = await db.selectFrom('cases').select(['id', 'applicantId']).where('caseNo', '=', input.caseNo.trim().toUpperCase()).where('villageId', '=', actor.villageId).executeTakeFirst()
    if (!c) throw new RuleViolation('fees.caseUnknown', 'caseNo')
    caseId = c.id
    applicantId ??= c.applicantId
  }
  const visitedAt = input.time ? sql<Date>`(${today}::date + ${input.time}::time) at time zone ${timeZone}` : now
  await db
    .insertInto('visits')
    .values({ countyId: actor.countyId, townId: village.townId, villageId: actor.villageId, visitedAt, visitDate: today, people: input.people, purpose: input.purpose, applicantId, told: input.told.trim(), caseId, recordedBy: actor.id })
    .execute()
}
