import { randomUUID } from 'node:crypto'
import type { Db } from '../db/connect.ts'
import { VULNERABLE, type Case } from '../db/schema.ts'
import { RuleViolation } from '../errors/errors.ts'
import { loadCalendar } from '../calendar/calendar.repository.ts'
import { computeDueDate } from '../calendar/working-days.ts'
import { recordAudit } from '../audit/audit.ts'
import { findMatterByCode } from '../matters/matters.repository.ts'
import { notify } from '../notifications/notifications.service.ts'
import type { PartnerKey } from '../partners/api-keys.ts'
import { REGISTRATION_LIMIT } from './case-deadlines.ts'
import { appendEvent, type EventActor } from './case-events.ts'
import { findCaseByIdempotencyKey, idempotencyKeyOf, idempotencyScope, IDEMPOTENCY_CONSTRAINT, isUniqueViolation, nextCaseNo } from './intake.ts'

/**
 * A request filed for a villager by a partner channel (the 12345 hotline, a mini-program, the
 * provincial portal): it lands at the named station as a registration (登记), like a phone call
 * the agent writes down, and waits for the agent to see the villager, check the materials and
 * decide within the registration limit. Nothing is accepted on the partner's word.
 */
export interface PartnerRequestInput {
  serviceCode: string
  /** The station, by its village code (Open311 address_id) or its name (address_string). */
  villageCode: string
  villageName: string
  name: string
  phone: string
  description: string
  serviceForm: string
  /** 'true' or 'false', as the attribute's value list has it. */
  homeService: string
  villageGroup: string
  vulnerable: string
  /** The checklist items the villager says they have: kept on the event for the agent. */
  materials: string[]
  /** The partner's own request id (Idempotency-Key header), so a retried POST files one case. */
  idempotencyKey: string | null
}

export interface PartnerRequestResult {
  caseId: string
  caseNo: string
  villageName: string
  townName: string
  stationPhone: string
  registrationDue: string
  duplicate: boolean
}

/** A phone the agent can call back: a mobile or a landline with its area code. */
const PHONE = /^1[3-9][0-9]{9}$|^0[0-9]{2,3}-?[0-9]{7,8}$/

/** The partner's view of the agent as an actor: events carry no user, only the role and the key. */
const partnerActor = (key: PartnerKey): EventActor => ({ id: null, role: 'partner', countyId: key.countyId })

/** Who takes the request: the station's A-post agent, else its B-post, else any agent of it. */
async function stationAgent(db: Db, villageId: number) {
  return db
    .selectFrom('users')
    .select(['id'])
    .where('role', '=', 'agent')
    .where('villageId', '=', villageId)
    .where('disabled', '=', false)
    .orderBy((eb) => eb.fn.coalesce('post', eb.val('Z')))
    .orderBy('id')
    .executeTakeFirst()
}

/** The station the request names, inside the key's county and town. */
async function findStation(db: Db, key: PartnerKey, input: PartnerRequestInput) {
  let query = db
    .selectFrom('villages')
    .innerJoin('towns', 'towns.id', 'villages.townId')
    .select(['villages.id', 'villages.code', 'villages.name', 'villages.townId', 'villages.stationPhone', 'towns.name as townName'])
    .where('villages.countyId', '=', key.countyId)
  if (key.townId !== null) query = query.where('villages.townId', '=', key.townId)
  if (input.villageCode) return query.where('villages.code', '=', input.villageCode).executeTakeFirst()
  const byName = await query.where('villages.name', '=', input.villageName.trim()).limit(2).execute()
  // Two stations of one name in the key's area: the partner must name it by code.
  return byName.length === 1 ? byName[0] : undefined
}

/**
 * Everything wrong with the request, all at once, each named by its Open311 parameter: the
 * partner's developer fixes them in one go. Resolves the matter, the station and its agent.
 */
async function check(db: Db, key: PartnerKey, input: PartnerRequestInput) {
  const problems: RuleViolation[] = []
  const found = input.serviceCode ? await findMatterByCode(db, key.countyId, input.serviceCode) : undefined
  const matter = found?.active ? found : undefined
  if (!input.serviceCode) problems.push(new RuleViolation('open311.errors.serviceCodeRequired', 'service_code'))
  else if (!matter) problems.push(new RuleViolation('open311.errors.serviceCodeUnknown', 'service_code'))
  else if (!matter.proxiable) problems.push(new RuleViolation('open311.errors.notProxiable', 'service_code'))

  const station = input.villageCode || input.villageName.trim() ? await findStation(db, key, input) : undefined
  if (!input.villageCode && !input.villageName.trim()) problems.push(new RuleViolation('open311.errors.stationRequired', 'address_id'))
  else if (!station) problems.push(new RuleViolation('open311.errors.stationUnknown', 'address_id'))
  const agent = station ? await stationAgent(db, station.id) : undefined
  if (station && !agent) problems.push(new RuleViolation('open311.errors.stationUnstaffed', 'address_id'))

  if (!input.name.trim()) problems.push(new RuleViolation('open311.errors.nameRequired', 'last_name'))
  else if (input.name.trim().length > 50) problems.push(new RuleViolation('open311.errors.tooLong', 'last_name', { max: 50 }))
  const phone = input.phone.replace(/[\s()]/g, '')
  if (!PHONE.test(phone)) problems.push(new RuleViolation('open311.errors.phone', 'phone'))
  if (input.description.length > 500) problems.push(new RuleViolation('open311.errors.tooLong', 'description', { max: 500 }))
  if (input.villageGroup.length > 50) problems.push(new RuleViolation('open311.errors.tooLong', 'attribute[village_group]', { max: 50 }))
  if (matter && !matter.serviceForms.includes(input.serviceForm as never)) problems.push(new RuleViolation('open311.errors.attributeValue', 'attribute[service_form]'))
  if (input.homeService !== 'true' && input.homeService !== 'false') problems.push(new RuleViolation('open311.errors.attributeValue', 'attribute[home_service]'))
  if (!VULNERABLE.includes(input.vulnerable as never)) problems.push(new RuleViolation('open311.errors.attributeValue', 'attribute[vulnerable]'))
  if (matter) {
    const known = new Set(matter.materials.map((m) => m.name))
    if (input.materials.some((m) => !known.has(m))) problems.push(new RuleViolation('open311.errors.attributeValue', 'attribute[materials]'))
  }
  return { problems, matter, station, agent, phone }
}

/**
 * Files the request: the applicant (a file of the station's with the same name and phone is the
 * same person; otherwise a new file without ID number, completed at the counter), the case with
 * the station's next number and its registration due date, the first event in the station's
 * chain, a message to the station's agents and the audit entry, in one transaction.
 */
export async function registerPartnerRequest(db: Db, key: PartnerKey, input: PartnerRequestInput, today: string, now: Date): Promise<PartnerRequestResult> {
  const idempotencyKey = input.idempotencyKey ? idempotencyKeyOf(`partner:${key.id}:${input.idempotencyKey}`) : randomUUID()
  const resultOf = async (caseId: string, caseNo: string, villageId: number, registeredOn: string, duplicate: boolean): Promise<PartnerRequestResult> => {
    const village = await db.selectFrom('villages').innerJoin('towns', 'towns.id', 'villages.townId').select(['villages.name', 'villages.stationPhone', 'villages.countyId', 'towns.name as townName']).where('villages.id', '=', villageId).executeTakeFirstOrThrow()
    const calendar = await loadCalendar(db, village.countyId)
    return { caseId, caseNo, villageName: village.name, townName: village.townName, stationPhone: village.stationPhone, registrationDue: computeDueDate(calendar, registeredOn, REGISTRATION_LIMIT).due, duplicate }
  }
  const scope = idempotencyScope.partner(key.id)
  const earlier = input.idempotencyKey ? await findCaseByIdempotencyKey(db, key.countyId, scope, idempotencyKey) : undefined
  if (earlier) return resultOf(earlier.id, earlier.caseNo, earlier.villageId, earlier.registeredOn, true)

  const { problems, matter, station, agent, phone } = await check(db, key, input)
  const refused = RuleViolation.all(problems)
  if (refused) throw refused
  const calendar = await loadCalendar(db, key.countyId)
  const registrationDue = computeDueDate(calendar, today, REGISTRATION_LIMIT).due
  const summary = input.description.trim()
  try {
    return await db.transaction().execute(async (trx) => {
      const name = input.name.trim()
      const known = await trx.selectFrom('applicants').select('id').where('villageId', '=', station!.id).where('name', '=', name).where('phone', '=', phone).limit(2).execute()
      const applicantId =
        known.length === 1
          ? known[0].id
          : (
              await trx
                .insertInto('applicants')
                .values({ countyId: key.countyId, villageId: station!.id, name, idNumberSealed: null, idNumberHash: null, phone, villageGroup: input.villageGroup.trim(), vulnerable: input.vulnerable as (typeof VULNERABLE)[number], createdBy: null })
                .returning('id')
                .executeTakeFirstOrThrow()
            ).id
      const caseNo = await nextCaseNo(trx, station!, today)
      const { id } = await trx
        .insertInto('cases')
        .values({
          countyId: key.countyId,
          townId: station!.townId,
          villageId: station!.id,
          caseNo,
          idempotencyKey,
          idempotencyScope: scope,
          applicantId,
          matterId: matter!.matterId,
          matterVersionId: matter!.versionId,
          channel: key.channel as Case['channel'],
          serviceForm: input.serviceForm as Case['serviceForm'],
          homeService: input.homeService === 'true',
          stage: 'registered',
          agentId: agent!.id,
          materialsReceived: JSON.stringify([]),
          summary,
          registeredOn: today,
          createdAt: now,
          updatedAt: now,
          dueOn: registrationDue,
          dueLimit: REGISTRATION_LIMIT,
          apiKeyId: key.id,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
      await appendEvent(trx, partnerActor(key), { id, villageId: station!.id }, 'intake', null, 'registered', summary, {
        received: [],
        declaredMaterials: input.materials,
        channel: key.channel,
        partner: key.partner,
        apiKeyId: key.id,
        serviceForm: input.serviceForm,
        homeService: input.homeService === 'true',
        matterVersion: matter!.version,
      }, now)
      const agents = await trx.selectFrom('users').select('id').where('role', '=', 'agent').where('villageId', '=', station!.id).where('disabled', '=', false).execute()
      await notify(trx, agents.map((a) => a.id), { countyId: key.countyId, kind: 'case.partnerRequest', caseId: id, params: { caseNo, matter: matter!.name, partner: key.partner, dueOn: registrationDue }, at: now })
      await trx.updateTable('apiKeys').set({ lastUsedAt: now }).where('id', '=', key.id).execute()
      await recordAudit(trx, { countyId: key.countyId, actorId: null, action: 'open311.request', subjectType: 'case', subjectId: id, data: { apiKeyId: key.id, partner: key.partner, caseNo } })
      return { caseId: id, caseNo, villageName: station!.name, townName: station!.townName, stationPhone: station!.stationPhone, registrationDue, duplicate: false }
    })
  } catch (error) {
    // The partner retried while its first POST was still being filed: the first one's case.
    if (isUniqueViolation(error, IDEMPOTENCY_CONSTRAINT)) {
      const winner = (await findCaseByIdempotencyKey(db, key.countyId, scope, idempotencyKey))!
      return resultOf(winner.id, winner.caseNo, winner.villageId, winner.registeredOn, true)
    }
    throw error
  }
}

/** A refused POST is audited too: the key was used, and an administrator may want to know how. */
export async function auditRefusedRequest(db: Db, key: PartnerKey, problems: string[], now: Date): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('apiKeys').set({ lastUsedAt: now }).where('id', '=', key.id).execute()
    await recordAudit(trx, { countyId: key.countyId, actorId: null, action: 'open311.refused', subjectType: 'api_key', subjectId: key.id, data: { partner: key.partner, fields: problems } })
  })
}
