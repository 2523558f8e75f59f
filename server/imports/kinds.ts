import { createHash } from 'node:crypto'
import { idNumberHashes, sealedIdNumber } from '../privacy/id-vault.ts'
import { sql } from 'kysely'
import type { Db } from '../db/connect.ts'
import type { ImportKind, MatterVersion } from '../db/schema.ts'
import { OUTCOMES, VISIT_PURPOSES, VULNERABLE } from '../db/schema.ts'
import type { Calendar } from '../calendar/working-days.ts'
import { loadCalendar } from '../calendar/calendar.repository.ts'
import { formatLocalDate } from '../calendar/local-time.ts'
import { completeDue, forwardDue } from '../cases/case-deadlines.ts'
import { appendEvent, type EventActor } from '../cases/case-events.ts'
import { findCaseByIdempotencyKey, idempotencyKeyOf, idempotencyScope, nextCaseNo } from '../cases/intake.ts'
import { listMatters } from '../matters/matters.repository.ts'
import { cellText, matchName, readChoice, readDate, readIdNumber, readInteger, readOptionalDate, readPhone, readRequiredText, readText, type Read } from './cells.ts'

/**
 * The three kinds of records a county brings in from its old workbooks: what each column is, how
 * a row is read and checked, and how it is written. A row is written once: each kind has a
 * natural key, so importing the same workbook again adds nothing.
 *
 * - applicants: one file per ID number in the county; without one, per station, name and phone.
 * - cases: per station, applicant (ID number, else name and phone), matter and registration date
 *   (the old ledger's own number instead of the applicant when the row has one); the key is the
 *   case's idempotency key in the county's import scope, so the database refuses a second copy
 *   (and no station form can claim the key first: its keys are in the station's scope).
 * - visits: per station, date, time, people, purpose, name and what was told, and how many such
 *   rows came before it in the workbook (two identical visits on one day are two visits).
 */
export interface Column {
  key: string
  required: boolean
  /** What a person writes there: the template's second sheet explains it. */
  example: string
}

export interface ImportContext {
  countyId: number
  actor: EventActor & { id: number }
  fileName: string
  calendar: Calendar
  villages: { id: number; code: string; name: string; townId: number; townName: string; agentId: number | null }[]
  matters: (Pick<MatterVersion, 'name' | 'promisedLimit' | 'limitUnit' | 'forwardLimit' | 'replyLimit' | 'department'> & { matterId: number; versionId: number; code: string; version: number; proxiable: boolean })[]
  windows: { id: number; name: string; townId: number | null; townName: string | null }[]
  now: Date
  timeZone: string
}

export type RowProblem = { column: string; value: string; key: string; params?: Record<string, unknown> }
export type Checked<V> = { ok: true; values: V; naturalKey: string } | { ok: false; problems: RowProblem[] }

export interface ImportKindSpec<V> {
  kind: ImportKind
  /** Identical rows are separate records (two visits alike on one day), not one listed twice. */
  repeatsAreDistinct?: boolean
  columns: Column[]
  check(cells: Record<string, unknown>, ctx: ImportContext): Checked<V>
  /** Writes the row unless its natural key is already there; true when it added a record. */
  write(trx: Db, values: V, naturalKey: string, row: number, ctx: ImportContext): Promise<boolean>
}

/** Reads each named cell, collecting every problem of the row at once. */
function reader(cells: Record<string, unknown>, problems: RowProblem[]) {
  return <T>(column: string, read: (cell: unknown) => Read<T>): T => {
    const result = read(cells[column])
    if (result.ok) return result.value
    problems.push({ column, value: cellText(cells[column]), key: result.key, params: result.params })
    return undefined as T
  }
}

const hashKey = (...parts: (string | number | null)[]) => createHash('sha256').update(parts.map((p) => String(p ?? '')).join('\u0001')).digest('hex')

const villageCandidates = (ctx: ImportContext) => ctx.villages.map((v) => ({ id: v.id, names: [v.name, v.code, `${v.townName}${v.name}`] }))

const VULNERABLE_NAMES: Record<(typeof VULNERABLE)[number], readonly string[]> = {
  none: ['无', 'none', '否', '-'],
  lonely_elderly: ['孤寡老人', '孤寡', 'lonely_elderly'],
  sick_disabled: ['伤病残', '残疾', 'sick_disabled'],
  five_guarantees: ['五保户', '五保', 'five_guarantees'],
}
const OUTCOME_NAMES: Record<(typeof OUTCOMES)[number], readonly string[]> = {
  approved: ['批准', '准予', '同意', '办结', '已办结', 'approved'],
  refused: ['不予批准', '不批准', '不同意', 'refused'],
  referred: ['转其他部门', '转办', 'referred'],
  voided: ['作废', 'voided'],
}
const PURPOSE_NAMES: Record<(typeof VISIT_PURPOSES)[number], readonly string[]> = {
  consult: ['咨询', 'consult'],
  business: ['办事', '办理', 'business'],
  complaint: ['投诉', '反映问题', 'complaint'],
  other: ['其他', 'other'],
}

/** An applicant's file: by ID number in the county; without one, by station, name and phone. */
async function findApplicant(trx: Db, ctx: ImportContext, a: { villageId: number; name: string; idNumber: string | null; phone: string }) {
  let q = trx.selectFrom('applicants').select(['id', 'villageId']).where('countyId', '=', ctx.countyId)
  q = a.idNumber ? q.where('idNumberHash', 'in', idNumberHashes(a.idNumber)) : q.where('villageId', '=', a.villageId).where('name', '=', a.name).where('phone', '=', a.phone).where('idNumberHash', 'is', null)
  return q.executeTakeFirst()
}

interface ApplicantValues {
  villageId: number
  name: string
  idNumber: string | null
  phone: string
  villageGroup: string
  address: string
  vulnerable: (typeof VULNERABLE)[number]
}

function checkApplicant(cells: Record<string, unknown>, ctx: ImportContext, problems: RowProblem[]): ApplicantValues {
  const read = reader(cells, problems)
  return {
    villageId: read('village', (c) => matchName(c, villageCandidates(ctx))),
    name: read('name', (c) => readRequiredText(c, 50)),
    idNumber: read('idNumber', readIdNumber),
    phone: read('phone', (c) => readPhone(c, true)),
    villageGroup: read('villageGroup', (c) => readText(c, 50)) ?? '',
    address: read('address', (c) => readText(c, 200)) ?? '',
    vulnerable: read('vulnerable', (c) => readChoice(c, VULNERABLE_NAMES, false)) ?? 'none',
  }
}

async function writeApplicant(trx: Db, ctx: ImportContext, a: ApplicantValues): Promise<{ id: number; added: boolean }> {
  const found = await findApplicant(trx, ctx, a)
  if (found) return { id: found.id, added: false }
  const { id } = await trx
    .insertInto('applicants')
    .values({ countyId: ctx.countyId, villageId: a.villageId, name: a.name, ...sealedIdNumber(a.idNumber), phone: a.phone, villageGroup: a.villageGroup, address: a.address, vulnerable: a.vulnerable, createdBy: ctx.actor.id })
    .returning('id')
    .executeTakeFirstOrThrow()
  return { id, added: true }
}

/** The person's columns: an applicant file's, and the first of a past case's. */
const PERSON_COLUMNS: Column[] = [
  { key: 'village', required: true, example: '高桥村' },
  { key: 'name', required: true, example: '张小三' },
  { key: 'idNumber', required: false, example: '11010519491231002X' },
  { key: 'phone', required: true, example: '13912345678' },
  { key: 'villageGroup', required: false, example: '三组' },
]

const applicants: ImportKindSpec<ApplicantValues> = {
  kind: 'applicants',
  columns: [
    ...PERSON_COLUMNS,
    { key: 'address', required: false, example: '高桥村三组 12 号' },
    { key: 'vulnerable', required: false, example: '孤寡老人' },
  ],
  check(cells, ctx) {
    const problems: RowProblem[] = []
    const values = checkApplicant(cells, ctx, problems)
    if (problems.length) return { ok: false, problems }
    return { ok: true, values, naturalKey: values.idNumber ? `id:${values.idNumber}` : `np:${values.villageId}:${values.name}:${values.phone}` }
  },
  async write(trx, values, _key, _row, ctx) {
    return (await writeApplicant(trx, ctx, values)).added
  },
}

interface CaseValues {
  applicant: ApplicantValues
  matterIndex: number
  windowId: number | null
  registeredOn: string
  acceptedOn: string | null
  forwardedOn: string | null
  completedOn: string
  repliedOn: string | null
  outcome: (typeof OUTCOMES)[number]
  originalNo: string
  summary: string
}

const cases: ImportKindSpec<CaseValues> = {
  kind: 'cases',
  columns: [
    ...PERSON_COLUMNS,
    { key: 'matter', required: true, example: '农村低保对象申报办理' },
    { key: 'window', required: false, example: '锦屏镇民政窗口' },
    { key: 'registeredOn', required: true, example: '2025年3月2日' },
    { key: 'acceptedOn', required: false, example: '2025.3.2' },
    { key: 'forwardedOn', required: false, example: '2025/3/4' },
    { key: 'completedOn', required: true, example: '20250320' },
    { key: 'repliedOn', required: false, example: '2025-03-21' },
    { key: 'outcome', required: true, example: '批准' },
    { key: 'originalNo', required: false, example: '2025-0031' },
    { key: 'summary', required: false, example: '申请低保' },
  ],
  check(cells, ctx) {
    const problems: RowProblem[] = []
    const read = reader(cells, problems)
    const applicant = checkApplicant(cells, ctx, problems)
    const matterId = read('matter', (c) => matchName(c, ctx.matters.map((m, i) => ({ id: i + 1, names: [m.name, m.code] }))))
    const windowCell = cellText(cells.window)
    const windowId = windowCell ? read('window', (c) => matchName(c, ctx.windows.map((w) => ({ id: w.id, names: [`${w.townName ?? ''}${w.name}`, w.name] })))) : null
    const values: CaseValues = {
      applicant,
      matterIndex: matterId === undefined ? -1 : matterId - 1,
      windowId: windowId ?? null,
      registeredOn: read('registeredOn', readDate),
      acceptedOn: read('acceptedOn', readOptionalDate) ?? null,
      forwardedOn: read('forwardedOn', readOptionalDate) ?? null,
      completedOn: read('completedOn', readDate),
      repliedOn: read('repliedOn', readOptionalDate) ?? null,
      outcome: read('outcome', (c) => readChoice(c, OUTCOME_NAMES, true)) as CaseValues['outcome'],
      originalNo: read('originalNo', (c) => readText(c, 40)) ?? '',
      summary: read('summary', (c) => readText(c, 500)) ?? '',
    }
    // The dates follow the steps: registered, accepted, forwarded, completed, replied; none after today.
    const order = (['registeredOn', 'acceptedOn', 'forwardedOn', 'completedOn', 'repliedOn'] as const).filter((k) => values[k])
    for (let i = 1; i < order.length; i++) {
      const [before, after] = [order[i - 1], order[i]]
      if (values[before]! > values[after]!) problems.push({ column: after, value: values[after]!, key: 'imports.rows.dateOrder', params: { before } })
    }
    const today = formatLocalDate(ctx.now, ctx.timeZone)
    for (const k of order) if (values[k]! > today) problems.push({ column: k, value: values[k]!, key: 'imports.rows.future' })
    if (applicant.villageId && !ctx.villages.find((v) => v.id === applicant.villageId)?.agentId) problems.push({ column: 'village', value: cellText(cells.village), key: 'imports.rows.noAgent' })
    if (problems.length) return { ok: false, problems }
    const m = ctx.matters[values.matterIndex]
    const who = values.originalNo ? `no:${values.originalNo}` : applicant.idNumber ? `id:${applicant.idNumber}` : `np:${applicant.name}:${applicant.phone}`
    return { ok: true, values, naturalKey: idempotencyKeyOf(['import-case', ctx.countyId, applicant.villageId, who, m.code, values.registeredOn].join('\u0001')) }
  },
  async write(trx, v, naturalKey, row, ctx) {
    const exists = await findCaseByIdempotencyKey(trx, ctx.countyId, idempotencyScope.import, naturalKey)
    if (exists) return false
    const village = ctx.villages.find((x) => x.id === v.applicant.villageId)!
    const m = ctx.matters[v.matterIndex]
    const { id: applicantId } = await writeApplicant(trx, ctx, v.applicant)
    const caseNo = await nextCaseNo(trx, village, v.registeredOn)
    const closedOn = v.repliedOn ?? v.completedOn
    const { id } = await trx
      .insertInto('cases')
      .values({
        countyId: ctx.countyId,
        townId: village.townId,
        villageId: village.id,
        caseNo,
        idempotencyKey: naturalKey,
        idempotencyScope: idempotencyScope.import,
        applicantId,
        matterId: m.matterId,
        matterVersionId: m.versionId,
        channel: 'station',
        serviceForm: 'proxy',
        stage: 'closed',
        agentId: village.agentId!,
        windowId: v.windowId,
        materialsReceived: JSON.stringify([]),
        summary: v.summary,
        registeredOn: v.registeredOn,
        acceptedOn: v.acceptedOn,
        forwardDue: v.acceptedOn ? forwardDue(ctx.calendar, v.acceptedOn, m) : null,
        forwardedOn: v.forwardedOn,
        completeDue: v.acceptedOn ? completeDue(ctx.calendar, v.acceptedOn, m) : null,
        completedOn: v.completedOn,
        repliedOn: v.repliedOn,
        closedOn,
        outcome: v.outcome,
        createdAt: ctx.now,
        updatedAt: ctx.now,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    await appendEvent(trx, ctx.actor, { id, villageId: village.id }, 'imported', null, 'closed', v.originalNo, {
      file: ctx.fileName,
      row,
      originalNo: v.originalNo,
      matterVersion: m.version,
      dates: { registeredOn: v.registeredOn, acceptedOn: v.acceptedOn, forwardedOn: v.forwardedOn, completedOn: v.completedOn, repliedOn: v.repliedOn },
    }, ctx.now)
    return true
  },
}

interface VisitValues {
  villageId: number
  visitDate: string
  time: string
  people: number
  purpose: (typeof VISIT_PURPOSES)[number]
  name: string
  told: string
}

const visits: ImportKindSpec<VisitValues> = {
  kind: 'visits',
  repeatsAreDistinct: true,
  columns: [
    { key: 'village', required: true, example: '高桥村' },
    { key: 'visitDate', required: true, example: '2025年3月2日' },
    { key: 'time', required: false, example: '09:30' },
    { key: 'people', required: true, example: '2' },
    { key: 'purpose', required: true, example: '咨询' },
    { key: 'name', required: false, example: '张小三' },
    { key: 'told', required: false, example: '告知低保申请所需材料' },
  ],
  check(cells, ctx) {
    const problems: RowProblem[] = []
    const read = reader(cells, problems)
    const time = cellText(cells.time)
    const values: VisitValues = {
      villageId: read('village', (c) => matchName(c, villageCandidates(ctx))),
      visitDate: read('visitDate', readDate),
      time: /^([01]?\d|2[0-3])[:：][0-5]\d$/.test(time) ? time.replace('：', ':').padStart(5, '0') : '',
      people: read('people', (c) => readInteger(c, 1, 99)),
      purpose: read('purpose', (c) => readChoice(c, PURPOSE_NAMES, true)) as VisitValues['purpose'],
      name: read('name', (c) => readText(c, 50)) ?? '',
      told: read('told', (c) => readText(c, 500)) ?? '',
    }
    if (time && !values.time) problems.push({ column: 'time', value: time, key: 'imports.rows.time' })
    if (problems.length) return { ok: false, problems }
    return { ok: true, values, naturalKey: hashKey('import-visit', ctx.countyId, values.villageId, values.visitDate, values.time, values.people, values.purpose, values.name, values.told) }
  },
  async write(trx, v, naturalKey, _row, ctx) {
    const village = ctx.villages.find((x) => x.id === v.villageId)!
    const result = await trx
      .insertInto('visits')
      .values({
        countyId: ctx.countyId,
        townId: village.townId,
        villageId: village.id,
        visitedAt: sql<Date>`(${v.visitDate}::date + ${v.time || '09:00'}::time) at time zone ${ctx.timeZone}`,
        visitDate: v.visitDate,
        people: v.people,
        purpose: v.purpose,
        told: [v.name, v.told].filter(Boolean).join('：'),
        recordedBy: ctx.actor.id,
        importKey: naturalKey,
      })
      .onConflict((oc) => oc.column('importKey').doNothing())
      .executeTakeFirst()
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0
  },
}

export const IMPORT_SPECS = { applicants, cases, visits } as const
export const specOf = (kind: ImportKind): ImportKindSpec<unknown> => IMPORT_SPECS[kind] as unknown as ImportKindSpec<unknown>

/** What every row of a county's import is matched against, read once per job. */
export async function importContext(db: Db, countyId: number, actor: ImportContext['actor'], fileName: string, now: Date, timeZone: string): Promise<ImportContext> {
  const [calendar, villageRows, matters, windows] = await Promise.all([
    loadCalendar(db, countyId),
    db
      .selectFrom('villages')
      .innerJoin('towns', 'towns.id', 'villages.townId')
      .select((eb) => [
        'villages.id', 'villages.code', 'villages.name', 'villages.townId', 'towns.name as townName',
        // The station's agent takes the imported cases: the A post first.
        eb.selectFrom('users').select('users.id').whereRef('users.villageId', '=', 'villages.id').where('users.role', '=', 'agent').where('users.disabled', '=', false)
          .orderBy((o) => o.fn.coalesce('users.post', o.val('Z'))).orderBy('users.id').limit(1).as('agentId'),
      ])
      .where('villages.countyId', '=', countyId)
      .execute(),
    listMatters(db, countyId, { includeInactive: true }),
    db.selectFrom('windows').leftJoin('towns', 'towns.id', 'windows.townId').select(['windows.id', 'windows.name', 'windows.townId', 'towns.name as townName']).where('windows.countyId', '=', countyId).execute(),
  ])
  return { countyId, actor, fileName, calendar, villages: villageRows, matters: matters.map((m) => ({ ...m, version: m.currentVersion })), windows, now, timeZone }
}
