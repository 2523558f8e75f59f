/**
 * Builds a county of benchmark size: 20 towns, 300 villages, their windows and staff, 200,000
 * applicants and 1,000,000 cases over ten years with their events (hash-chained as the app chains
 * them, so `npm run verify-ledger` passes), ratings, fee entries and deadline alerts.
 *
 * Rows go in through COPY … FREEZE inside the transaction that empties the tables: no WAL for
 * the heap rows, no foreign-key triggers per row (session_replication_role = replica), and the
 * pages are born all-visible, so index-only scans work without a VACUUM. Secondary indexes and
 * unique constraints are dropped before the load and rebuilt after it from their own definitions.
 */
import { sealedIdNumber } from '../server/privacy/id-vault.ts'
import { randomUUID } from 'node:crypto'
import type pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { sql } from 'kysely'
import type { Db } from '../server/db/connect.ts'
import { hashPassword } from '../server/accounts/passwords.ts'
import { importCatalogue } from '../server/matters/matters.service.ts'
import { demoCatalogue } from '../server/demo/matters.ts'
import { loadCalendar } from '../server/calendar/calendar.repository.ts'
import { addCalendarDays, computeDueDate, type Calendar } from '../server/calendar/working-days.ts'
import { REGISTRATION_LIMIT } from '../server/cases/case-deadlines.ts'
import { formatCaseNo } from '../server/cases/case-rules.ts'
import { idCheckChar } from '../server/applicants/id-number.ts'
import { canonicalJson, caseEventContent, chainHash, feeEntryContent, GENESIS } from '../server/ledger/chain.ts'
import { createHash } from 'node:crypto'
import { formatSerial } from '../server/fees/fees.service.ts'
import type { Department, Stage } from '../server/db/schema.ts'

export const BENCH_PASSWORD = 'bench1234'

export interface Scale {
  towns: number
  villagesPerTown: number
  applicants: number
  cases: number
  years: number
}

export const FULL_SCALE: Scale = { towns: 20, villagesPerTown: 15, applicants: 200_000, cases: 1_000_000, years: 10 }

const DEPARTMENTS: Exclude<Department, 'other'>[] = ['civil_affairs', 'labour', 'family_planning', 'land', 'forestry', 'agriculture', 'broadcasting', 'rural_finance']
const DEPT_CODE: Record<string, string> = { civil_affairs: 'mz', labour: 'lb', family_planning: 'js', land: 'gt', forestry: 'ly', agriculture: 'ny', broadcasting: 'gd', rural_finance: 'hn' }
const SURNAMES = '王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段'
const GIVEN = '建国秀英志强桂兰德明春梅华丽娟永福淑芬海涛玉珍文军红霞金凤小平丽华光明红梅燕平立新秋菊宝山兴旺'

/** A small fast PRNG with a seed: the same seed gives the same county. */
function mulberry32(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** COPY text format: tab-separated, \N for null, backslash escapes. */
function cell(value: unknown): string {
  if (value === null || value === undefined) return '\\N'
  if (value instanceof Date) return value.toISOString()
  const s = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value)
  return /[\\\t\n\r]/.test(s) ? s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : s
}

/** Streams rows into one table with COPY FREEZE, honouring back-pressure; returns the row count. */
async function copyRows(client: pg.PoolClient, table: string, columns: string[], rows: Iterable<unknown[]>): Promise<number> {
  const stream = client.query(copyFrom(`copy ${table} (${columns.join(',')}) from stdin with (freeze)`))
  const done = new Promise<void>((resolve, reject) => {
    stream.on('finish', resolve)
    stream.on('error', reject)
  })
  let count = 0
  let chunk: string[] = []
  try {
    for (const row of rows) {
      chunk.push(row.map(cell).join('\t'))
      count++
      if (chunk.length === 2000) {
        if (!stream.write(chunk.join('\n') + '\n')) await new Promise((resolve) => stream.once('drain', resolve))
        chunk = []
      }
    }
  } catch (error) {
    // Abort the COPY, or the connection stays in it and the rollback after waits forever.
    stream.destroy(error as Error)
    await done.catch(() => {})
    throw error
  }
  if (chunk.length) stream.write(chunk.join('\n') + '\n')
  stream.end()
  await done
  return count
}

interface Org {
  countyId: number
  towns: { id: number; code: string }[]
  villages: { id: number; townId: number; code: string; agentIds: number[] }[]
  /** Window id per town id and department. */
  windows: Map<string, number>
  clerkByWindow: Map<number, number>
}

async function createOrg(db: Db, scale: Scale): Promise<Org> {
  const passwordHash = await hashPassword(BENCH_PASSWORD)
  return db.transaction().execute(async (trx) => {
    const { id: countyId } = await trx.insertInto('counties').values({ code: 'BENCH', name: '基准县' }).returning('id').executeTakeFirstOrThrow()
    const user = (values: { username: string; displayName: string; role: 'agent' | 'clerk' | 'supervisor' | 'admin'; post?: 'A' | 'B'; villageId?: number; windowId?: number; townId?: number }) =>
      trx
        .insertInto('users')
        .values({ countyId, post: null, villageId: null, windowId: null, townId: null, phone: '', passwordHash, ...values })
        .returning('id')
        .executeTakeFirstOrThrow()
    await user({ username: 'admin', displayName: '管理员', role: 'admin' })
    await user({ username: 'county.sup', displayName: '县中心主任', role: 'supervisor' })
    const org: Org = { countyId, towns: [], villages: [], windows: new Map(), clerkByWindow: new Map() }
    for (let t = 1; t <= scale.towns; t++) {
      const code = `T${String(t).padStart(2, '0')}`
      const { id: townId } = await trx.insertInto('towns').values({ countyId, code, name: `第${t}镇`, phone: '0816-3260000', address: `第${t}镇便民服务中心` }).returning('id').executeTakeFirstOrThrow()
      org.towns.push({ id: townId, code })
      await user({ username: `${code.toLowerCase()}.sup`, displayName: `第${t}镇中心主任`, role: 'supervisor', townId })
      for (const department of DEPARTMENTS) {
        const { id: windowId } = await trx.insertInto('windows').values({ countyId, townId, department, name: `${department}窗口`, phone: '0816-3260001' }).returning('id').executeTakeFirstOrThrow()
        org.windows.set(`${townId}:${department}`, windowId)
        const clerk = await user({ username: `${code.toLowerCase()}.${DEPT_CODE[department]}`, displayName: `${SURNAMES[t % SURNAMES.length]}${DEPT_CODE[department]}`, role: 'clerk', windowId })
        org.clerkByWindow.set(windowId, clerk.id)
      }
      for (let v = 1; v <= scale.villagesPerTown; v++) {
        const vcode = `${code}V${String(v).padStart(2, '0')}`
        const { id: villageId } = await trx
          .insertInto('villages')
          .values({ countyId, townId, code: vcode, name: `${t}镇${v}村`, stationPhone: '0816-3261111', officeHours: '周一至周五 8:30–17:30', address: `${v}村村委会` })
          .returning('id')
          .executeTakeFirstOrThrow()
        const agentIds: number[] = []
        for (const post of ['A', 'B'] as const) {
          const agent = await user({ username: `${vcode.toLowerCase()}.${post.toLowerCase()}`, displayName: `${SURNAMES[(t * 31 + v) % SURNAMES.length]}代办${post}`, role: 'agent', post, villageId })
          agentIds.push(agent.id)
        }
        org.villages.push({ id: villageId, townId, code: vcode, agentIds })
      }
    }
    return org
  })
}

interface MatterRow {
  id: number
  versionId: number
  version: number
  department: string
  onTheSpot: boolean
  forwardLimit: number
  replyLimit: number
  promisedLimit: number
  limitUnit: 'working' | 'calendar'
  feeFen: number
  serviceForm: string
  materials: string[]
}

async function loadMatters(db: Db, countyId: number): Promise<MatterRow[]> {
  const rows = await db
    .selectFrom('matterVersions')
    .innerJoin('matters', (j) => j.onRef('matters.id', '=', 'matterVersions.matterId').onRef('matters.currentVersion', '=', 'matterVersions.version'))
    .select(['matters.id', 'matterVersions.id as versionId', 'matterVersions.version', 'matterVersions.department', 'matterVersions.caseType', 'matterVersions.serviceForms', 'matterVersions.proxiable', 'matterVersions.forwardLimit', 'matterVersions.replyLimit', 'matterVersions.promisedLimit', 'matterVersions.limitUnit', 'matterVersions.feeFen', 'matterVersions.materials', 'matterVersions.postingRounds'])
    .where('matters.countyId', '=', countyId)
    .execute()
  return rows
    .filter((r) => r.proxiable && r.postingRounds === 0)
    .map((r) => ({
      id: r.id, versionId: r.versionId, version: r.version, department: r.department, onTheSpot: r.caseType === 'on_the_spot',
      forwardLimit: r.forwardLimit, replyLimit: r.replyLimit, promisedLimit: r.promisedLimit, limitUnit: r.limitUnit,
      feeFen: Number(r.feeFen), serviceForm: r.serviceForms[0], materials: r.materials.map((m) => m.name),
    }))
}

function applicantName(r: () => number): string {
  return SURNAMES[Math.floor(r() * SURNAMES.length)] + GIVEN[Math.floor(r() * GIVEN.length)] + (r() < 0.7 ? GIVEN[Math.floor(r() * GIVEN.length)] : '')
}

function* applicantRows(org: Org, scale: Scale, createdAt: Date): Generator<unknown[]> {
  const r = mulberry32(7)
  const birthStart = Date.UTC(1930, 0, 1)
  for (let i = 0; i < scale.applicants; i++) {
    const village = org.villages[i % org.villages.length]
    // Unique by construction: the birth day and the sequence both come from i.
    const birth = new Date(birthStart + (i % 27000) * 86400000).toISOString().slice(0, 10).replaceAll('-', '')
    const first17 = `510722${birth}${String(Math.floor(i / 27000)).padStart(3, '0')}`
    const idNumber = first17 + idCheckChar(first17)
    const phone = `13${String(800000000 + i * 37).slice(0, 9)}`
    const { idNumberSealed, idNumberHash } = sealedIdNumber(idNumber)
    yield [i + 1, org.countyId, village.id, applicantName(r), idNumberSealed, idNumberHash, phone, `${1 + (i % 9)}组`, `${1 + (i % 9)}组${i % 97}号`, 'none', null, createdAt]
  }
}

type Final = Stage
interface CaseDraft {
  id: number
  villageIndex: number
  applicantId: number
  matter: MatterRow
  agentId: number
  windowId: number | null
  stage: Final
  registeredOn: string
  acceptedOn: string | null
  forwardDue: string | null
  forwardedOn: string | null
  receivedOn: string | null
  completeDue: string | null
  completedOn: string | null
  replyDue: string | null
  repliedOn: string | null
  closedOn: string | null
  dueOn: string | null
  dueLimit: number | null
  pausedSince: string | null
  pauses: { from: string; to: string | null }[]
  outcome: string | null
  rating: string | null
  caseNo: string
}

/**
 * Due dates, remembered: a million cases ask for a few thousand distinct (start, limit) pairs.
 * The same rules as the app (server/cases/case-deadlines.ts): forward and reply limits in working
 * days, the completion limit in the matter's unit, day 0 the start.
 */
function dueDates(calendar: Calendar) {
  const memo = new Map<string, string>()
  const due = (start: string, days: number, unit: 'working' | 'calendar' = 'working'): string => {
    const key = `${start}|${days}|${unit}`
    const known = memo.get(key)
    if (known !== undefined) return known
    const value = computeDueDate(calendar, start, days, unit).due
    memo.set(key, value)
    return value
  }
  return {
    due,
    forwardDue: (on: string, m: MatterRow) => due(on, m.forwardLimit),
    completeDue: (on: string, m: MatterRow) => due(on, m.promisedLimit, m.limitUnit),
    replyDue: (on: string, m: MatterRow) => due(on, m.replyLimit),
  }
}

const RATINGS = ['very_satisfied', 'satisfied', 'basic', 'dissatisfied', 'very_dissatisfied']

/**
 * The cases in registration order, each a pure function of its index and the running per-station
 * day counters. About 5 % stay open: most recent ones, plus a tail of older ones waiting for
 * materials, paused or stuck past their deadline.
 */
function* caseDrafts(org: Org, matters: MatterRow[], scale: Scale, calendar: Calendar, today: string): Generator<CaseDraft> {
  const r = mulberry32(11)
  const days = scale.years * 365
  const firstDay = addCalendarDays(today, -days)
  const perVillageApplicants = Math.floor(scale.applicants / org.villages.length)
  const counters = new Map<number, { day: string; seq: number }>()
  const { due, forwardDue, completeDue, replyDue } = dueDates(calendar)
  const accept = (d: CaseDraft, matter: MatterRow, on: string) => {
    d.acceptedOn = on
    d.completeDue = completeDue(on, matter)
    d.forwardDue = matter.onTheSpot ? null : forwardDue(on, matter)
    d.dueOn = matter.onTheSpot ? d.completeDue : d.forwardDue
    d.dueLimit = matter.onTheSpot ? matter.promisedLimit : matter.forwardLimit
  }
  for (let i = 0; i < scale.cases; i++) {
    const age = days - Math.floor((i * days) / scale.cases) // from `days` down to 1: nothing registered today
    const registeredOn = addCalendarDays(firstDay, days - age)
    const villageIndex = Math.floor(r() * org.villages.length)
    const village = org.villages[villageIndex]
    const counter = counters.get(villageIndex)
    const seq = counter && counter.day === registeredOn ? counter.seq + 1 : 1
    counters.set(villageIndex, { day: registeredOn, seq })
    const matter = matters[Math.floor(r() * matters.length)]
    const windowId = matter.onTheSpot ? null : (org.windows.get(`${village.townId}:${matter.department}`) ?? org.windows.get(`${village.townId}:civil_affairs`)!)
    const d: CaseDraft = {
      id: i + 1, villageIndex, applicantId: villageIndex + 1 + org.villages.length * Math.floor(r() * perVillageApplicants), matter,
      agentId: village.agentIds[r() < 0.7 ? 0 : 1], windowId, stage: 'closed', registeredOn, acceptedOn: null, forwardDue: null, forwardedOn: null,
      receivedOn: null, completeDue: null, completedOn: null, replyDue: null, repliedOn: null, closedOn: null, dueOn: null, dueLimit: null,
      pausedSince: null, pauses: [], outcome: null, rating: null, caseNo: formatCaseNo(village.code, registeredOn, seq),
    }
    const roll = r()
    const open = age <= 40 ? roll < 0.8 * (1 - age / 60) : age <= 400 ? roll < 0.115 : false
    if (!open) {
      const fate = r()
      if (fate < 0.03) d.stage = 'rejected'
      else if (fate < 0.05) {
        d.stage = 'withdrawn'
        d.acceptedOn = registeredOn
      } else {
        // Done on time, mostly: each stage takes a share of its limit.
        d.acceptedOn = registeredOn
        d.completeDue = completeDue(registeredOn, matter)
        if (!matter.onTheSpot) {
          d.forwardDue = forwardDue(registeredOn, matter)
          d.forwardedOn = due(registeredOn, Math.floor(r() * (matter.forwardLimit + (r() < 0.05 ? 3 : 0))))
          d.receivedOn = d.forwardedOn
        }
        d.completedOn = matter.onTheSpot ? registeredOn : due(d.forwardedOn!, Math.floor(r() * Math.max(1, matter.promisedLimit - 1)))
        d.replyDue = replyDue(d.completedOn, matter)
        d.repliedOn = due(d.completedOn, Math.floor(r() * (matter.replyLimit + 1)))
        d.closedOn = d.repliedOn
        d.outcome = r() < 0.92 ? 'approved' : 'refused'
        const q = r()
        d.rating = RATINGS[q < 0.6 ? 0 : q < 0.9 ? 1 : q < 0.97 ? 2 : q < 0.99 ? 3 : 4]
      }
      yield d
      continue
    }
    // Open cases.
    const s = r()
    if (age > 40) {
      // The old open tail: waiting for materials, paused, or stuck past the deadline.
      if (s < 0.45) d.stage = 'awaiting_materials'
      else {
        accept(d, matter, registeredOn)
        d.stage = 'in_progress'
        d.forwardedOn = registeredOn
        d.receivedOn = registeredOn
        if (s < 0.9) {
          d.pausedSince = due(registeredOn, 2)
          d.dueOn = null
        } else {
          d.dueOn = d.completeDue
          d.dueLimit = matter.promisedLimit
        }
      }
      yield d
      continue
    }
    if (s < 0.05) {
      d.stage = 'registered'
      d.dueOn = due(registeredOn, REGISTRATION_LIMIT)
      d.dueLimit = REGISTRATION_LIMIT
    } else if (s < 0.12) d.stage = 'awaiting_materials'
    else {
      accept(d, matter, registeredOn)
      if (s < 0.3 || matter.onTheSpot) d.stage = 'accepted'
      else {
        // Sent to the window on its forward due date; received the same day except when still waiting.
        d.forwardedOn = d.forwardDue
        d.receivedOn = s < 0.4 ? null : d.forwardDue
        if (s < 0.8) {
          d.stage = s < 0.4 ? 'forwarded' : 'in_progress'
          d.dueOn = d.completeDue
          d.dueLimit = matter.promisedLimit
        } else if (s < 0.95) {
          d.stage = 'completed'
          d.completedOn = addCalendarDays(today, -Math.min(age - 1, 1 + Math.floor(r() * 3)))
          d.outcome = 'approved'
          d.replyDue = replyDue(d.completedOn, matter)
          d.dueOn = d.replyDue
          d.dueLimit = matter.replyLimit
        } else {
          d.stage = 'replied'
          d.completedOn = d.completeDue! < today ? d.completeDue : registeredOn
          d.replyDue = replyDue(d.completedOn!, matter)
          d.repliedOn = d.completedOn
          d.outcome = 'approved'
        }
      }
    }
    yield d
  }
}


const CASE_COLUMNS = [
  'id', 'county_id', 'town_id', 'village_id', 'case_no', 'idempotency_key', 'idempotency_scope', 'applicant_id', 'matter_id', 'matter_version_id', 'channel', 'service_form',
  'home_service', 'stage', 'version', 'agent_id', 'window_id', 'materials_received', 'summary', 'registered_on', 'accepted_on', 'forward_due', 'forwarded_on',
  'received_on', 'complete_due', 'completed_on', 'reply_due', 'replied_on', 'closed_on', 'due_on', 'due_limit', 'pauses', 'paused_since', 'outcome',
  'outcome_reason', 'rating', 'created_at', 'updated_at',
]

/** Local 09:00–17:00 on a day, as an instant with millisecond precision (what the chain hashes). */
function at(day: string, minute: number): Date {
  return new Date(Date.parse(`${day}T01:00:00.000Z`) + minute * 60_000)
}

function caseRow(d: CaseDraft, org: Org, events: number): unknown[] {
  const village = org.villages[d.villageIndex]
  const materials = d.stage === 'awaiting_materials' ? d.matter.materials.slice(0, 1) : d.matter.materials
  return [
    d.id, org.countyId, village.townId, village.id, d.caseNo, randomUUID(), `station:${village.id}`, d.applicantId, d.matter.id, d.matter.versionId, 'station', d.matter.serviceForm,
    false, d.stage, events, d.agentId, d.windowId, materials, '', d.registeredOn, d.acceptedOn, d.forwardDue, d.forwardedOn,
    d.receivedOn, d.completeDue, d.completedOn, d.replyDue, d.repliedOn, d.closedOn, d.dueOn, d.dueLimit,
    d.pausedSince ? [{ from: d.pausedSince, to: null, reason: '等待公示' }] : [], d.pausedSince, d.outcome, '',
    d.rating, at(d.registeredOn, 30), at(d.closedOn ?? d.repliedOn ?? d.completedOn ?? d.receivedOn ?? d.registeredOn, 60),
  ]
}

interface EventDraft {
  actorId: number | null
  actorRole: string
  action: string
  fromStage: Stage | null
  toStage: Stage
  note: string
  data: Record<string, unknown>
  at: Date
}

/** The steps that brought a case to its stage, as the app would have written them. */
function eventsOf(d: CaseDraft, org: Org): EventDraft[] {
  const clerk = d.windowId ? (org.clerkByWindow.get(d.windowId) ?? null) : null
  const agent = { actorId: d.agentId, actorRole: 'agent' }
  const first: Stage = d.stage === 'rejected' ? 'rejected' : d.stage === 'registered' ? 'registered' : d.stage === 'awaiting_materials' ? 'awaiting_materials' : 'accepted'
  const out: EventDraft[] = [{ ...agent, action: 'intake', fromStage: null, toStage: first, note: '', data: { channel: 'station', serviceForm: d.matter.serviceForm, matterVersion: d.matter.version }, at: at(d.registeredOn, 5) }]
  if (d.stage === 'withdrawn') out.push({ ...agent, action: 'withdraw', fromStage: 'accepted', toStage: 'withdrawn', note: '申请人撤回', data: {}, at: at(d.registeredOn, 200) })
  let stage: Stage = first
  const step = (actor: { actorId: number | null; actorRole: string }, action: string, to: Stage, day: string | null, data: Record<string, unknown> = {}) => {
    if (!day) return
    out.push({ ...actor, action, fromStage: stage, toStage: to, note: '', data, at: at(day, 60 + out.length * 7) })
    stage = to
  }
  if (first !== 'accepted') return out
  const clerkActor = { actorId: clerk, actorRole: 'clerk' }
  if (d.forwardedOn) step(agent, 'forward', 'forwarded', d.forwardedOn, { windowId: d.windowId })
  if (d.receivedOn) step(clerkActor, 'receive', 'in_progress', d.receivedOn)
  if (d.pausedSince) step(clerkActor, 'pause', 'in_progress', d.pausedSince, { reason: '等待公示' })
  if (d.completedOn) step(d.matter.onTheSpot ? agent : clerkActor, 'complete', 'completed', d.completedOn, { outcome: d.outcome })
  if (d.repliedOn) step(agent, 'reply', 'replied', d.repliedOn)
  if (d.closedOn) step(agent, 'rate', 'closed', d.closedOn, { overall: d.rating })
  return out
}

/**
 * canonicalJson(caseEventContent(event)) written out by hand for speed (five million rows): the
 * keys in sorted order. The generator checks it against the real one on its first thousand rows.
 */
function eventCanonical(e: { countyId: number; caseId: string; villageId: number; actorId: number | null; actorRole: string; action: string; fromStage: string | null; toStage: string; note: string; data: unknown; at: Date }): string {
  const str = JSON.stringify
  return `{"action":${str(e.action)},"actorId":${e.actorId === null ? 'null' : e.actorId},"actorRole":${str(e.actorRole)},"at":${str(e.at.toISOString())},"caseId":${str(e.caseId)},"countyId":${e.countyId},"data":${canonicalJson(e.data)},"fromStage":${e.fromStage === null ? 'null' : str(e.fromStage)},"note":${str(e.note)},"table":"case_events","toStage":${str(e.toStage)},"villageId":${e.villageId}}`
}

export interface GenerateReport {
  rows: Record<string, number>
  seconds: Record<string, number>
}

const BULK_TABLES = ['applicants', 'cases', 'case_events', 'case_ratings', 'fee_entries', 'case_alerts']

/** Generates the benchmark county into an empty migrated database. */
export async function generateCounty(db: Db, pool: pg.Pool, scale: Scale, today: string, log: (line: string) => void): Promise<GenerateReport> {
  const seconds: Record<string, number> = {}
  const rows: Record<string, number> = {}
  let t0 = performance.now()
  const lap = (name: string) => {
    seconds[name] = Math.round((performance.now() - t0) / 100) / 10
    log(`  ${name}: ${seconds[name]} s`)
    t0 = performance.now()
  }
  const org = await createOrg(db, scale)
  await importCatalogue(db, null, org.countyId, demoCatalogue(), { demo: true })
  const matters = await loadMatters(db, org.countyId)
  const calendar = await loadCalendar(db)
  rows.towns = org.towns.length
  rows.villages = org.villages.length
  rows.users = Number((await sql<{ n: string }>`select count(*) as n from users`.execute(db)).rows[0].n)
  lap('org, staff and matters')

  const client = await pool.connect()
  try {
    // Secondary indexes and unique constraints come off for the load and go back on after it.
    const constraints = (
      await client.query<{ table: string; name: string; def: string }>(
        `select conrelid::regclass::text as table, conname as name, pg_get_constraintdef(oid) as def from pg_constraint
          where contype = 'u' and conrelid::regclass::text = any($1)`,
        [BULK_TABLES],
      )
    ).rows
    const indexes = (
      await client.query<{ name: string; def: string }>(
        `select indexname as name, indexdef as def from pg_indexes i where tablename = any($1) and schemaname = 'public'
          and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`,
        [BULK_TABLES],
      )
    ).rows
    for (const c of constraints) await client.query(`alter table ${c.table} drop constraint ${c.name}`)
    for (const i of indexes) await client.query(`drop index ${i.name}`)

    await client.query('begin')
    await client.query(`truncate ${BULK_TABLES.join(', ')} cascade`)
    await client.query(`set local session_replication_role = replica`)
    const createdAt = new Date(`${addCalendarDays(today, -scale.years * 365)}T01:00:00.000Z`)
    rows.applicants = await copyRows(client, 'applicants', ['id', 'county_id', 'village_id', 'name', 'id_number_sealed', 'id_number_hash', 'phone', 'village_group', 'address', 'vulnerable', 'created_by', 'created_at'], applicantRows(org, scale, createdAt))
    lap(`applicants (${rows.applicants})`)

    // The drafts are computed once (due dates are the costly part) and read by every later table.
    const drafts: CaseDraft[] = []
    rows.cases = await copyRows(client, 'cases', CASE_COLUMNS, (function* () {
      for (const d of caseDrafts(org, matters, scale, calendar, today)) {
        drafts.push(d)
        yield caseRow(d, org, eventsOf(d, org).length)
      }
    })())
    lap(`cases (${rows.cases})`)

    const chainHeads = new Map<number, string>()
    let eventId = 0
    rows.caseEvents = await copyRows(client, 'case_events', ['id', 'county_id', 'case_id', 'village_id', 'actor_id', 'actor_role', 'action', 'from_stage', 'to_stage', 'note', 'data', 'at', 'prev_hash', 'hash'], (function* () {
      for (const d of drafts) {
        const villageId = org.villages[d.villageIndex].id
        for (const e of eventsOf(d, org)) {
          const prevHash = chainHeads.get(villageId) ?? GENESIS
          const event = { countyId: org.countyId, caseId: String(d.id), villageId, ...e }
          const hash = createHash('sha256').update(prevHash).update('\n').update(eventCanonical(event)).digest('hex')
          if (eventId < 1000 && hash !== chainHash(prevHash, caseEventContent(event))) throw new Error('the fast event hash differs from the ledger’s')
          chainHeads.set(villageId, hash)
          yield [++eventId, org.countyId, d.id, villageId, e.actorId, e.actorRole, e.action, e.fromStage, e.toStage, e.note, e.data, e.at, prevHash, hash]
        }
      }
    })())
    lap(`case events (${rows.caseEvents})`)

    rows.caseRatings = await copyRows(client, 'case_ratings', ['case_id', 'county_id', 'overall', 'efficiency', 'competence', 'attitude', 'satisfaction', 'comment', 'recorded_by', 'recorded_at', 'by_default'], (function* () {
      for (const d of drafts) {
        if (!d.rating) continue
        const score = 5 - RATINGS.indexOf(d.rating)
        yield [d.id, org.countyId, d.rating, score, score, score, score, score <= 2 ? '办得太慢' : '', d.agentId, at(d.closedOn!, 300), false]
      }
    })())
    lap(`ratings (${rows.caseRatings})`)

    // Fees: the matters that charge one are paid at the station when the case is accepted.
    const feeHeads = new Map<number, string>()
    const feeDays = new Map<number, { day: string; seq: number }>()
    let feeId = 0
    rows.feeEntries = await copyRows(client, 'fee_entries', ['id', 'county_id', 'town_id', 'village_id', 'serial', 'day', 'seq', 'kind', 'amount_fen', 'department', 'payer', 'case_id', 'applicant_id', 'reverses_id', 'note', 'entered_by', 'entered_at', 'prev_hash', 'hash'], (function* () {
      for (const d of drafts) {
        if (d.matter.feeFen === 0 || !d.acceptedOn) continue
        const village = org.villages[d.villageIndex]
        const last = feeDays.get(village.id)
        const seq = last && last.day === d.acceptedOn ? last.seq + 1 : 1
        feeDays.set(village.id, { day: d.acceptedOn, seq })
        const entry = {
          countyId: org.countyId, villageId: village.id, serial: formatSerial(village.code, d.acceptedOn, seq), day: d.acceptedOn, seq, kind: 'collect', amountFen: String(d.matter.feeFen),
          department: d.matter.department, payer: '', caseId: String(d.id), applicantId: d.applicantId, reversesId: null, note: '', enteredBy: d.agentId, enteredAt: at(d.acceptedOn, 20),
        }
        const prevHash = feeHeads.get(village.id) ?? GENESIS
        const hash = chainHash(prevHash, feeEntryContent(entry))
        feeHeads.set(village.id, hash)
        yield [++feeId, org.countyId, village.townId, village.id, entry.serial, entry.day, seq, 'collect', entry.amountFen, entry.department, '', d.id, d.applicantId, null, '', d.agentId, entry.enteredAt, prevHash, hash]
      }
    })())
    lap(`fee entries (${rows.feeEntries})`)
    await client.query('commit')

    await client.query(`set maintenance_work_mem = '1GB'`)
    await client.query(`set max_parallel_maintenance_workers = 2`)
    for (const i of indexes) await client.query(i.def)
    for (const c of constraints) await client.query(`alter table ${c.table} add constraint ${c.name} ${c.def}`)
    lap(`indexes and constraints (${indexes.length + constraints.length})`)
    for (const table of ['applicants', 'cases', 'case_events', 'fee_entries', 'users', 'villages']) {
      await client.query(`select setval(pg_get_serial_sequence('${table}', 'id'), (select coalesce(max(id), 1) from ${table}))`)
    }
    await client.query('analyze')
    lap('sequences and statistics')
  } catch (error) {
    await client.query('rollback').catch(() => {})
    throw error
  } finally {
    client.release()
  }
  return { rows, seconds }
}
