import type { Db } from '../db/connect.ts'
import type { Actor } from '../accounts/actor.ts'
import type { Department, MatterVersion, Rating } from '../db/schema.ts'
import { findActor } from '../accounts/users.repository.ts'
import { idCheckChar } from '../applicants/id-number.ts'
import { loadCalendar } from '../calendar/calendar.repository.ts'
import { addCalendarDays, computeDueDate, isWorkingDay, type Calendar } from '../calendar/working-days.ts'
import { formatLocalDate } from '../calendar/local-time.ts'
import type { Action } from '../cases/actions/registry.ts'
import { intakeCase, type IntakeInput } from '../cases/intake.ts'
import { performAction, type ActionInput } from '../cases/transition.ts'
import { RuleViolation } from '../errors/errors.ts'
import { recordFee, reverseFee, settleStation } from '../fees/fees.service.ts'
import { approveMonthlyList, prepareMonthlyList, publishAnnouncement, publishOverdueMonthlyLists, withdrawNotice } from '../notices/notices.service.ts'
import { recordVisit } from '../visits/visits.service.ts'
import { deliverSms, type SmsSender } from '../sms/outbox.ts'
import { applyDeemedApprovals, followUpUnrated } from '../jobs/case-rules-jobs.ts'
import { sweepDeadlines } from '../jobs/deadline-sweep.ts'
import { runRecordedJob } from '../jobs/run-job.ts'
import { formatFen } from '../fees/money.ts'
import { monthBounds, monthOf } from '../supervision/months.ts'
import { isBadRating } from '../ratings/satisfaction.ts'

/*
 * Three months of the demo county's life, so that a new user sees what the product is for: cases in
 * every stage, late ones, ratings good and bad, postings, visits, fees and notices. Everything is
 * written through the domain functions the pages use, in time order, with the day and instant each
 * step happened, so timelines, due dates and the ledger's hash chains are those of real use. A fixed
 * seed makes the same history for the same "today".
 */

export interface HistoryOptions {
  /** The instant the demo is created; the history ends here. */
  now: Date
  timeZone: string
  /** Days of history before today. */
  days?: number
  seed?: number
}

export interface HistorySummary {
  cases: number
  steps: number
  visits: number
  feeEntries: number
  /** Steps a domain function refused: the plan and the rules disagree. Zero in a good plan. */
  refused: string[]
}

/** A small, fast, seedable generator (mulberry32): the same seed, the same county. */
function randomSource(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    chance: (p: number) => next() < p,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)],
    weighted: <T>(choices: readonly (readonly [T, number])[]): T => {
      let r = next() * choices.reduce((n, [, w]) => n + w, 0)
      for (const [value, w] of choices) if ((r -= w) < 0) return value
      return choices[choices.length - 1][0]
    },
  }
}

const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴', '徐', '孙', '胡', '朱', '高', '林', '何', '郭', '马', '罗', '梁', '宋', '郑', '谢', '韩', '唐', '冯', '邓', '曹', '彭', '欧阳', '蒋']
const GIVEN = ['秀英', '桂兰', '建华', '玉兰', '国强', '淑珍', '德明', '春花', '志刚', '兰英', '永福', '文静', '海燕', '明', '军', '丽', '勇', '平', '芳', '伟', '小红', '大勇', '翠芬', '长贵', '福生', '金凤', '桂芳', '家和', '晓东', '雪梅']
const RATINGS: readonly (readonly [Rating, number])[] = [['very_satisfied', 52], ['satisfied', 30], ['basic', 10], ['dissatisfied', 5], ['very_dissatisfied', 3]]
const BAD_COMMENTS = ['窗口让跑了两趟，材料一次没说清楚。', '等了很久没人回电话。', '办理时间比承诺的长。']
const ASSIST_QUESTIONS = ['请协助核实申请人家庭现有人口和收入情况。', '请补充村委会出具的情况说明原件。', '请协助入户拍摄房屋现状照片。', '请核实申请人银行账户是否为本人。']
const ASSIST_ANSWERS = ['已入户核实，家庭4口人，主要收入为务农。', '原件已于今日送达窗口。', '照片已拍摄并随件报送。', '已核实，账户为本人社保卡。']
const CONSULT_TOLD = ['讲解了城乡居民医保缴费档次和截止时间。', '告知了养老保险待遇领取资格认证方式。', '告知了低保申请条件和需带的材料。', '解答了土地承包经营权证变更流程。', '告知了有线电视报停办理方式。', '说明了独生子女奖励扶助政策。']
const ANNOUNCEMENTS = [
  { title: '2027年度城乡居民医保集中缴费通知', body: '2027年度城乡居民基本医疗保险集中缴费已开始，请各户在12月31日前到代办站或通过手机缴纳。行动不便的老人可电话预约上门代办。' },
  { title: '冬季森林防火提示', body: '进入冬季防火期，严禁野外用火、焚烧秸秆。发现火情请立即拨打 12119 或告知代办站。' },
  { title: '代办站逢场天延时服务', body: '逢场天代办站全天开放，中午不休息，方便赶场的村民办事。' },
]

const DELIVERED_LONG_AGO: SmsSender = { send: async () => {} }

interface DemoMatter {
  matterId: number
  code: string
  department: Department
  version: MatterVersion
}

interface DemoVillage {
  id: number
  code: string
  townId: number
  agent: Actor
  backup: Actor
  people: DemoPerson[]
}

interface DemoPerson {
  name: string
  idNumber: string
  phone: string
  villageGroup: string
  vulnerable: IntakeInput['applicant']['vulnerable']
  /** The day of the person's first case, set while planning; their file exists from then on. */
  firstDay: string | null
  applicantId: number | null
}

interface DemoCase {
  id: string | null
  village: DemoVillage
  matter: DemoMatter
  person: DemoPerson
  broken: boolean
}

interface Task {
  /** Tasks of one station run in order; stations run side by side. 0: the county's nightly jobs. */
  lane: number
  day: string
  /** Minutes after midnight, local time. */
  minute: number
  order: number
  run: (day: string, now: Date) => Promise<void>
}

/** The instant of a local time in the given zone (the demo zone has no daylight saving, but this does not assume it). */
export function instantOf(day: string, minute: number, timeZone: string): Date {
  const guess = new Date(`${day}T${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}:00Z`)
  const local = new Date(`${formatLocalDate(guess, timeZone)}T${new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(guess)}:00Z`)
  return new Date(guess.getTime() - (local.getTime() - guess.getTime()))
}

export async function seedDemoHistory(db: Db, countyId: number, options: HistoryOptions): Promise<HistorySummary> {
  const { timeZone } = options
  const today = formatLocalDate(options.now, timeZone)
  const random = randomSource(options.seed ?? 20261126)
  const calendar = await loadCalendar(db, countyId)
  const start = addCalendarDays(today, -(options.days ?? 91))
  const workdays: string[] = []
  for (let d = start; d <= today; d = addCalendarDays(d, 1)) if (isWorkingDay(calendar, d)) workdays.push(d)
  /** The working day `n` working days before today's (or the last working day's) position. */
  const workdayAgo = (n: number) => workdays[Math.max(0, workdays.length - 1 - n)]
  const later = (day: string, n: number) => (n <= 0 ? day : computeDueDate(calendar, day, n).due)

  const { villages, clerks, supervisors, matters } = await loadCounty(db, countyId, random)
  const summary: HistorySummary = { cases: 0, steps: 0, visits: 0, feeEntries: 0, refused: [] }
  const tasks: Task[] = []
  let order = 0
  const at = (lane: number, day: string, minute: number, run: Task['run']) => tasks.push({ lane, day, minute, order: order++, run })

  // ---- One case: its intake and the steps after it, each on its day. ----
  const caseVersion = async (id: string) => db.selectFrom('cases').select(['version', 'completeDue', 'windowId']).where('id', '=', id).executeTakeFirstOrThrow()
  function step(c: DemoCase, who: () => Actor, action: Action, input: (row: { completeDue: string | null }) => ActionInput, day: string, minute: number) {
    at(c.village.id, day, minute, async (d, now) => {
      if (!c.id || c.broken) return
      const row = await caseVersion(c.id)
      try {
        await performAction(db, who(), c.id, action, row.version, input(row), d, now)
        summary.steps++
      } catch (error) {
        if (!(error instanceof RuleViolation)) throw error
        c.broken = true
        summary.refused.push(`${c.matter.code} ${action} on ${d}: ${error.key}`)
      }
    })
  }
  const clerkOf = (c: DemoCase) => () => clerks.get(`${c.village.townId}:${c.matter.department}`)!
  const agentOf = (c: DemoCase) => () => c.village.agent
  const supervisorOf = (c: DemoCase) => () => supervisors.get(c.village.townId)!
  const requiredMaterials = (m: DemoMatter) => m.version.materials.filter((x) => x.required).map((x) => x.name)
  const allMaterials = (m: DemoMatter) => m.version.materials.map((x) => x.name)

  type Plan = {
    missing?: boolean
    register?: boolean
    reject?: boolean
    /** Working days after intake (or after the materials came) for each step; undefined: never. */
    supplement?: number
    accept?: number
    forward?: number
    receive?: number
    assist?: { ask: number; answer?: number }
    extension?: { request: number; decide?: number; tell?: number }
    posting?: { start: number; objection?: number; close?: boolean }
    complete?: number
    outcome?: 'approved' | 'refused'
    reply?: number
    rating?: Rating | null
    rateLater?: number
    withdraw?: number
    fee?: { reverse?: boolean }
  }

  function planCase(village: DemoVillage, matter: DemoMatter, intakeDay: string, plan: Plan, minute = random.int(8 * 60 + 40, 16 * 60 + 30)) {
    const person = choosePerson(village, intakeDay, random)
    const c: DemoCase = { id: null, village, matter, person, broken: false }
    const onTheSpot = matter.version.caseType === 'on_the_spot'
    const materials = plan.missing ? requiredMaterials(matter).slice(1) : allMaterials(matter)
    // Every random draw happens here, while planning: the stations' days then run side by side
    // without changing what is drawn.
    const address = `${person.villageGroup}${random.int(1, 60)}号`
    const channel = person.vulnerable !== 'none' ? 'home' : random.weighted([['station', 80], ['phone', 15], ['hotline', 5]] as const)
    const serviceForm = onTheSpot ? 'on_the_spot' : random.weighted([['proxy', 70], ['help', 20], ['accompany', 10]] as const)
    const method = random.chance(0.7) ? 'online' : 'paper'
    const question = random.int(0, ASSIST_QUESTIONS.length - 1)
    const householdSize = String(random.int(1, 5))
    const amount = formatFen(random.int(20, 60) * 1000)
    const how = random.weighted([['phone', 50], ['station', 35], ['visit', 15]] as const)
    const resultPaper = `${matter.version.name.replace(/(申报|办理)+$/, '')}审批结果`
    const replyRating = plan.rating ? ratingInput(plan.rating, random) : {}
    const laterRating = ratingInput(random.weighted(RATINGS), random)
    at(village.id, intakeDay, minute, async (d, now) => {
      const result = await intakeCase(
        db,
        village.agent,
        {
          idempotencyKey: crypto.randomUUID(),
          applicantId: person.applicantId,
          applicant: { name: person.name, idNumber: plan.register ? '' : person.idNumber, phone: person.phone, villageGroup: person.villageGroup, address, vulnerable: person.vulnerable },
          matterId: matter.matterId,
          channel,
          serviceForm,
          homeService: person.vulnerable !== 'none',
          materialsReceived: materials,
          decision: plan.reject ? 'reject' : plan.register ? 'register' : 'decide',
          rejectReason: plan.reject ? '申请人不符合本事项的申请条件，已告知可到镇民政窗口咨询其他救助政策。' : '',
          summary: plan.register ? '来站咨询办理条件，材料未带齐，约定下次带齐再办。' : '',
        },
        d,
        now,
      )
      c.id = result.caseId
      if (!person.applicantId) person.applicantId = (await db.selectFrom('cases').select('applicantId').where('id', '=', c.id).executeTakeFirstOrThrow()).applicantId
      summary.cases++
    })
    let day = intakeDay
    let m = minute
    // Each later step on the same day comes a little after the one before it.
    const next = (days: number | undefined) => {
      const d = later(day, days ?? 0)
      m = d === day ? m + random.int(5, 40) : random.int(8 * 60 + 40, 16 * 60 + 30)
      day = d
      return { day, minute: Math.min(m, 23 * 60) }
    }
    const A = agentOf(c)
    const K = clerkOf(c)
    if (plan.supplement !== undefined) {
      const s = next(plan.supplement)
      step(c, A, 'supplement', () => ({ materialsReceived: allMaterials(matter) }), s.day, s.minute)
    }
    if (plan.accept !== undefined) {
      const s = next(plan.accept)
      step(c, A, 'accept', () => ({ materialsReceived: allMaterials(matter) }), s.day, s.minute)
    }
    if (plan.withdraw !== undefined) {
      const s = next(plan.withdraw)
      step(c, A, 'withdraw', () => ({ reason: '申请人来电说明已在外地办理，不再需要代办。' }), s.day, s.minute)
      return c
    }
    if (onTheSpot && plan.complete !== undefined) {
      const s = next(plan.complete)
      step(c, A, 'complete', () => ({ outcome: 'approved', reason: '', handback: '缴费凭证' }), s.day, s.minute)
      if (BigInt(matter.version.feeFen) > 0n) {
        at(village.id, s.day, s.minute + 1, async (d, now) => {
          if (!c.id) return
          const entry = await recordFee(db, village.agent, { kind: 'collect', amountFen: BigInt(matter.version.feeFen), department: matter.department, payer: person.name, caseId: c.id, note: '' }, d, now)
          summary.feeEntries++
          if (plan.fee?.reverse) {
            await reverseFee(db, village.agent, entry.id, '金额录错，按正确金额重新录入。', d, new Date(now.getTime() + 60_000))
            await recordFee(db, village.agent, { kind: 'collect', amountFen: BigInt(matter.version.feeFen), department: matter.department, payer: person.name, caseId: c.id, note: '更正后重录' }, d, new Date(now.getTime() + 120_000))
            summary.feeEntries += 2
          }
        })
      }
    } else {
      if (plan.forward !== undefined) {
        const s = next(plan.forward)
        step(c, A, 'forward', () => ({ windowId: String(clerks.get(`${village.townId}:${matter.department}`)!.windowId), method, materialsSent: allMaterials(matter) }), s.day, s.minute)
      }
      if (plan.receive !== undefined) {
        const s = next(plan.receive)
        step(c, K, 'receive', () => ({}), s.day, s.minute)
      }
      if (plan.assist) {
        const ask = next(plan.assist.ask)
        step(c, K, 'ask_assist', () => ({ question: ASSIST_QUESTIONS[question], dueDays: '2' }), ask.day, ask.minute)
        if (plan.assist.answer !== undefined) {
          const ans = next(plan.assist.answer)
          step(c, A, 'answer_assist', () => ({ answer: ASSIST_ANSWERS[question] }), ans.day, ans.minute)
        }
      }
      if (plan.posting) {
        const p = next(plan.posting.start)
        const fields = new Set(matter.version.postingFields)
        step(c, A, 'start_posting', () => ({ proposedResult: '拟同意纳入', ...(fields.has('household_size') ? { householdSize } : {}), ...(fields.has('amount') ? { amount } : {}) }), p.day, p.minute)
        if (plan.posting.objection !== undefined) {
          const o = next(plan.posting.objection)
          step(c, A, 'record_objection', () => ({ objection: '有村民反映申请人家中有一辆货车，收入情况需核实。' }), o.day, o.minute)
        }
        if (plan.posting.close) {
          // The posting runs its calendar days; it is taken down on the first working day after.
          const end = addCalendarDays(p.day, matter.version.postingDays)
          const closeDay = isWorkingDay(calendar, end) ? end : later(end, 1)
          day = closeDay
          m = random.int(8 * 60 + 40, 11 * 60)
          step(c, A, 'close_posting', () => ({}), day, m)
        }
      }
      if (plan.extension) {
        const r = next(plan.extension.request)
        step(c, K, 'request_extension', (row) => ({ reason: '需县级部门会商，申请延期。', newDue: later(row.completeDue!, 5) }), r.day, r.minute)
        if (plan.extension.decide !== undefined) {
          const s = next(plan.extension.decide)
          step(c, supervisorOf(c), 'decide_extension', () => ({ decision: 'approved', note: '同意延期，请告知申请人。' }), s.day, s.minute)
          if (plan.extension.tell !== undefined) {
            const tell = next(plan.extension.tell)
            step(c, A, 'tell_extension', () => ({ how: 'phone', note: '已电话告知新的办结日期。' }), tell.day, tell.minute)
          }
        }
      }
      if (plan.complete !== undefined) {
        const s = next(plan.complete)
        const refused = plan.outcome === 'refused'
        step(c, K, 'complete', () => ({ outcome: refused ? 'refused' : 'approved', reason: refused ? '经核实家庭收入超过当地标准。' : '', handback: refused ? '' : resultPaper }), s.day, s.minute)
      }
    }
    if (plan.reply !== undefined) {
      const s = next(plan.reply)
      const rating = plan.rating ?? null
      // The agent hands back what the window listed, as the reply form ticks it by default.
      step(c, A, 'reply', () => ({ how, note: '已告知办理结果。', returned: plan.outcome === 'refused' ? [] : [resultPaper], ...replyRating }), s.day, s.minute)
      if (!rating && plan.rateLater !== undefined) {
        const r = next(plan.rateLater)
        step(c, A, 'rate', () => laterRating, r.day, r.minute)
      }
    }
    return c
  }

  // ---- The everyday flow: every working day, each station takes in a few requests. ----
  const proxied = matters.filter((m) => m.version.proxiable)
  const promised = proxied.filter((m) => m.version.caseType !== 'on_the_spot' && m.version.postingRounds === 0 && !m.version.silenceConsent)
  const onTheSpot = proxied.filter((m) => m.version.caseType === 'on_the_spot')
  const withPosting = proxied.filter((m) => m.version.postingRounds > 0)
  for (const [index, day] of workdays.entries()) {
    if (day === today) break
    for (const village of villages) {
      const count = random.weighted([[0, 38], [1, 40], [2, 17], [3, 5]] as const)
      for (let i = 0; i < count; i++) {
        const roll = random.next()
        const age = workdays.length - 1 - index
        if (roll < 0.22) {
          planCase(village, random.pick(onTheSpot), day, { complete: 0, reply: 0, rating: random.chance(0.8) ? random.weighted(RATINGS) : null, fee: { reverse: random.chance(0.03) } })
        } else if (roll < 0.26) {
          planCase(village, random.pick(promised), day, { reject: true })
        } else if (roll < 0.30) {
          planCase(village, random.pick(promised), day, { withdraw: random.int(0, 3) })
        } else if (roll < 0.34 && age > 30) {
          const m = random.pick(withPosting)
          planCase(village, m, day, { forward: 1, receive: 1, posting: { start: 1, close: true }, complete: random.int(1, 4), reply: random.int(0, 2), rating: random.weighted(RATINGS) })
        } else {
          const m = random.pick(promised)
          const limit = m.version.promisedLimit
          const slow = random.chance(0.07)
          const missing = random.chance(0.18)
          planCase(village, m, day, {
            missing,
            supplement: missing ? random.int(1, 4) : undefined,
            forward: random.int(0, 2),
            receive: random.int(0, 1),
            assist: random.chance(0.2) ? { ask: random.int(1, 3), answer: random.int(0, 2) } : undefined,
            complete: slow ? limit + random.int(1, 6) : Math.max(1, Math.round(limit * (0.2 + random.next() * 0.6))),
            outcome: random.chance(0.9) ? 'approved' : 'refused',
            reply: random.int(0, 2),
            rating: random.chance(0.6) ? random.weighted(RATINGS) : null,
            rateLater: random.chance(0.6) ? random.int(1, 3) : undefined,
          })
        }
      }
    }
  }

  // ---- The cases a new user should find, one of each kind, at the first station and its town. ----
  // The first station of the README's logins (jp01.a), and one in the other town.
  const first = villages.find((v) => v.code === 'JP01') ?? villages[0]
  const second = villages.find((v) => v.townId !== first.townId) ?? villages[1]
  const byCode = (code: string) => matters.find((m) => m.code === code)!
  planCase(first, byCode('MZ-01'), workdayAgo(1), { register: true })
  planCase(first, byCode('MZ-03'), workdayAgo(2), { missing: true })
  planCase(second, byCode('MZ-04'), workdayAgo(3), { missing: true })
  planCase(first, byCode('NY-05'), workdayAgo(2), {})
  planCase(first, byCode('JS-01'), workdayAgo(9), {})
  planCase(first, byCode('HN-03'), workdayAgo(3), { forward: 1 })
  planCase(first, byCode('MZ-01'), workdayAgo(6), { forward: 1, receive: 1, assist: { ask: 2 } })
  planCase(first, byCode('LB-07'), workdayAgo(8), { forward: 1, receive: 1, assist: { ask: 1, answer: 1 } })
  planCase(first, byCode('GT-02'), workdayAgo(12), { forward: 1, receive: 1, extension: { request: 9 } })
  planCase(second, byCode('MZ-04'), workdayAgo(14), { forward: 1, receive: 1, extension: { request: 5, decide: 1, tell: 1 } })
  planCase(first, byCode('MZ-04'), workdayAgo(18), { forward: 1, receive: 1 })
  planCase(second, byCode('LY-01'), workdayAgo(40), { forward: 2, receive: 1 })
  planCase(first, byCode('NY-06'), workdayAgo(24), { forward: 1, receive: 1 })
  planCase(first, byCode('MZ-03'), workdayAgo(6), { forward: 1, receive: 1, posting: { start: 0, objection: 2 } })
  planCase(first, byCode('MZ-02'), workdayAgo(4), { forward: 1, receive: 1, posting: { start: 1 } })
  planCase(first, byCode('JS-03'), workdayAgo(12), { forward: 1, receive: 1, complete: 8 })
  planCase(first, byCode('LB-08'), workdayAgo(14), { forward: 1, receive: 1, complete: 8 })
  planCase(first, byCode('NY-04'), workdayAgo(6), { forward: 1, receive: 1, complete: 2, reply: 1 })
  planCase(first, byCode('MZ-01'), workdayAgo(9), { forward: 1, receive: 1, complete: 3, reply: 1, rating: 'very_dissatisfied' })
  planCase(second, byCode('NY-03'), workdayAgo(10), { forward: 1, receive: 1, complete: 3, reply: 1, rating: 'dissatisfied' })
  planCase(first, byCode('HN-03'), workdayAgo(5), { withdraw: 2 })
  planCase(first, byCode('MZ-99'), workdayAgo(4), {})
  // A fee keyed in wrong, reversed and keyed in again, on a day that is settled since.
  planCase(first, byCode('GD-01'), workdayAgo(10), { complete: 0, reply: 0, rating: 'satisfied', fee: { reverse: true } })
  // The first town's civil-affairs window (jp.mz) holds one of each of its stages too.
  planCase(first, byCode('MZ-01'), workdayAgo(3), { forward: 1 })
  planCase(first, byCode('MZ-04'), workdayAgo(8), { forward: 1, receive: 1, complete: 4 })
  planCase(first, byCode('MZ-01'), workdayAgo(16), { forward: 1, receive: 1, extension: { request: 5, decide: 1, tell: 1 } })

  // ---- Visits: batches and people each working day, some of them the day's cases. ----
  for (const day of workdays) {
    if (day === today) break
    for (const village of villages) {
      const batches = random.weighted([[1, 45], [2, 35], [3, 20]] as const)
      for (let i = 0; i < batches; i++) {
        const minute = random.int(8 * 60 + 30, 17 * 60)
        const consult = random.chance(0.55)
        const people = random.weighted([[1, 70], [2, 22], [3, 8]] as const)
        const told = consult ? random.pick(CONSULT_TOLD) : '来站办理业务。'
        at(village.id, day, minute, async (d, now) => {
          const time = `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`
          const caseNo = consult ? '' : ((await db.selectFrom('cases').select('caseNo').where('villageId', '=', village.id).where('registeredOn', '=', d).orderBy('id').offset(i).limit(1).executeTakeFirst())?.caseNo ?? '')
          await recordVisit(db, village.agent, { time, people, purpose: consult ? 'consult' : caseNo ? 'business' : 'other', applicantId: null, told, caseNo }, d, now, timeZone)
          summary.visits++
        })
      }
    }
  }

  // ---- Notices: announcements (one withdrawn and replaced), and the monthly case lists. ----
  for (const [i, village] of villages.entries()) {
    const a = ANNOUNCEMENTS[i % ANNOUNCEMENTS.length]
    const day = workdayAgo(random.int(10, 40))
    at(village.id, day, 9 * 60, async (d, now) => {
      await publishAnnouncement(db, village.agent, { title: a.title, body: a.body, shownFrom: d, shownTo: addCalendarDays(today, 30), replacesId: null }, now)
    })
  }
  at(first.id, workdayAgo(15), 9 * 60 + 5, async (d, now) => {
    const id = await publishAnnouncement(db, first.agent, { title: '代办站12月停电检修暂停服务', body: '12月3日全天停电检修，代办站暂停服务一天。', shownFrom: d, shownTo: addCalendarDays(today, 10), replacesId: null }, now)
    const next = later(d, 1)
    at(first.id, next, 10 * 60, async (d2, now2) => {
      await withdrawNotice(db, first.agent, id, '停电日期有误，已重新发布。', now2)
      await publishAnnouncement(db, first.agent, { title: '代办站12月停电检修暂停服务', body: '12月4日全天停电检修，代办站暂停服务一天，急事请拨打代办员手机。', shownFrom: d2, shownTo: addCalendarDays(today, 10), replacesId: id }, new Date(now2.getTime() + 60_000))
    })
  })
  const months = [...new Set(workdays.map(monthOf))].filter((m) => m < monthOf(today) && monthBounds(m).first >= start)
  for (const month of months) {
    const nextMonth = monthOf(monthBounds(month).next)
    const prepareDay = workdays.find((d) => d.startsWith(nextMonth) && Number(d.slice(8)) >= 2)
    if (!prepareDay || prepareDay >= today) continue
    for (const village of villages) {
      at(village.id, prepareDay, 15 * 60, async (d) => {
        const id = await prepareMonthlyList(db, village.agent, month, d)
        // The first town's supervisor approves the same afternoon; the other town's lists go up on the 5th by themselves.
        const approver = supervisors.get(village.townId)!
        if (village.townId === first.townId) at(village.id, d, 16 * 60 + 30, (_d2, approvedAt) => approveMonthlyList(db, approver, id, approvedAt))
      })
    }
  }

  // ---- Fees: each station settles its past days; one day with a difference explained. ----
  const settleUntil = workdayAgo(3)
  // The first station's first settled day always has a difference to explain, whatever the draws.
  let differenceShown = false
  for (const day of workdays) {
    if (day > settleUntil) break
    for (const village of villages) {
      const short = random.chance(0.04)
      at(village.id, day, 17 * 60 + 30, async (d) => {
        const entries = await db.selectFrom('feeEntries').select('amountFen').where('villageId', '=', village.id).where('day', '=', d).execute()
        if (entries.length === 0) return
        const expected = entries.reduce((n, e) => n + BigInt(e.amountFen), 0n)
        const differs = short || (village.id === first.id && !differenceShown)
        if (village.id === first.id) differenceShown = true
        await settleStation(db, village.agent, d, differs ? expected - 500n : expected, differs ? '找零短款5元，已由代办员补齐。' : '')
      })
    }
  }

  // ---- The daily jobs, as the scheduler would have run them each night. ----
  for (let d = start; d <= today; d = addCalendarDays(d, 1)) {
    at(0, d, 20, async (day, now) => {
      await applyDeemedApprovals(db, calendar, day, now)
      await followUpUnrated(db, calendar, day, now, { reminderDays: 3, closeDays: 7, defaultRating: null })
      await publishOverdueMonthlyLists(db, day, now)
      // Texts of past days went out then; there is no one to send them to now, so a sender that
      // does nothing marks them sent. Today's stay in the outbox for the real sender.
      while ((await deliverSms(db, DELIVERED_LONG_AGO, now)) > 0);
    })
  }

  await runInOrder(tasks, today, options.now, timeZone)
  // Today's alerts, as the first sweep after start writes them.
  await runRecordedJob(db, 'deadline-sweep', (trx) => sweepDeadlines(trx, calendar, today, options.now))
  return summary
}

/**
 * Runs the tasks in time order, a day at a time: the county's nightly jobs first, then each station's
 * day in order, the stations side by side (each station has its own case numbers and hash chains).
 * A task may add follow-ups, which join the queue in their place.
 */
async function runInOrder(tasks: Task[], today: string, now: Date, timeZone: string) {
  const before = (a: Task, b: Task) => a.day < b.day || (a.day === b.day && (a.minute < b.minute || (a.minute === b.minute && a.order < b.order)))
  const byDay = new Map<string, Task[]>()
  const add = (task: Task) => {
    const list = byDay.get(task.day) ?? []
    list.push(task)
    byDay.set(task.day, list)
  }
  tasks.forEach(add)
  tasks.length = 0
  const runLane = async (queue: Task[]) => {
    queue.sort((a, b) => (before(a, b) ? -1 : 1))
    for (let i = 0; i < queue.length; i++) {
      const task = queue[i]
      const instant = instantOf(task.day, task.minute, timeZone)
      if (task.day <= today && instant <= now) await task.run(task.day, instant)
      // Follow-ups of this lane's task (other lanes run meanwhile and add their own).
      const mine = tasks.filter((t) => t.lane === task.lane)
      if (mine.length) tasks.splice(0, tasks.length, ...tasks.filter((t) => t.lane !== task.lane))
      for (const added of mine) {
        if (added.day !== task.day) add(added)
        else {
          let at = i + 1
          while (at < queue.length && !before(added, queue[at])) at++
          queue.splice(at, 0, added)
        }
      }
    }
  }
  for (const day of [...byDay.keys()].sort()) {
    if (day > today) break
    const dayTasks = byDay.get(day)!
    await runLane(dayTasks.filter((t) => t.lane === 0))
    const lanes = new Map<number, Task[]>()
    for (const t of dayTasks) if (t.lane !== 0) lanes.set(t.lane, [...(lanes.get(t.lane) ?? []), t])
    await Promise.all([...lanes.values()].map(runLane))
  }
  if (tasks.length) throw new Error(`${tasks.length} demo follow-ups were never run`)
}

function ratingInput(overall: Rating, random: ReturnType<typeof randomSource>): ActionInput {
  const bad = isBadRating(overall)
  const score = () => String(bad ? random.int(1, 3) : random.int(4, 5))
  return { overall, efficiency: score(), competence: score(), attitude: score(), satisfaction: score(), comment: bad ? random.pick(BAD_COMMENTS) : '' }
}

/** Most requests come from people the station already knows (from an earlier day), the rest from new faces. */
function choosePerson(village: DemoVillage, day: string, random: ReturnType<typeof randomSource>): DemoPerson {
  const known = village.people.filter((p) => p.firstDay !== null && p.firstDay < day)
  if (known.length > 5 && random.chance(0.35)) return random.pick(known)
  const fresh = village.people.filter((p) => p.firstDay === null)
  const person = fresh.length ? random.pick(fresh) : random.pick(known)
  person.firstDay ??= day
  return person
}

async function loadCounty(db: Db, countyId: number, random: ReturnType<typeof randomSource>) {
  const users = await db.selectFrom('users').select(['id', 'role', 'post', 'villageId', 'windowId', 'townId']).where('countyId', '=', countyId).where('disabled', '=', false).orderBy('id').execute()
  const actor = async (id: number) => (await findActor(db, id))!
  const villageRows = await db.selectFrom('villages').select(['id', 'code', 'townId']).where('countyId', '=', countyId).orderBy('code').execute()
  let serial = 0
  const villages: DemoVillage[] = []
  for (const v of villageRows) {
    const agents = users.filter((u) => u.role === 'agent' && u.villageId === v.id)
    const people: DemoPerson[] = Array.from({ length: 90 }, () => {
      serial++
      const birth = `19${random.int(35, 99)}${String(random.int(1, 12)).padStart(2, '0')}${String(random.int(1, 28)).padStart(2, '0')}`
      const first17 = `510781${birth}${String(serial % 1000).padStart(3, '0')}`
      const old = Number(birth.slice(0, 4)) < 1956
      return {
        name: `${random.pick(SURNAMES)}${random.pick(GIVEN)}`,
        idNumber: `${first17}${idCheckChar(first17)}`,
        phone: `1${random.pick(['38', '39', '51', '58', '77', '87'])}${String(random.int(10000000, 99999999))}`,
        villageGroup: `${random.pick(['一', '二', '三', '四', '五', '六'])}组`,
        vulnerable: old && random.chance(0.3) ? random.pick(['lonely_elderly', 'sick_disabled', 'five_guarantees'] as const) : 'none',
        firstDay: null,
        applicantId: null,
      }
    })
    villages.push({ id: v.id, code: v.code, townId: v.townId, agent: await actor(agents.find((a) => a.post === 'A')!.id), backup: await actor(agents.find((a) => a.post === 'B')!.id), people })
  }
  const windows = await db.selectFrom('windows').select(['id', 'townId', 'department']).where('countyId', '=', countyId).where('townId', 'is not', null).execute()
  const clerks = new Map<string, Actor>()
  for (const w of windows) {
    const clerk = users.find((u) => u.role === 'clerk' && u.windowId === w.id)
    if (clerk) clerks.set(`${w.townId}:${w.department}`, await actor(clerk.id))
  }
  const supervisors = new Map<number, Actor>()
  for (const u of users) if (u.role === 'supervisor' && u.townId !== null) supervisors.set(u.townId, await actor(u.id))
  const matterRows = await db
    .selectFrom('matters')
    .innerJoin('matterVersions', (j) => j.onRef('matterVersions.matterId', '=', 'matters.id').onRef('matterVersions.version', '=', 'matters.currentVersion'))
    .selectAll('matterVersions')
    .select(['matters.id as matterId', 'matters.code as matterCode'])
    .where('matters.countyId', '=', countyId)
    .where('matters.active', '=', true)
    .orderBy('matters.code')
    .execute()
  const matters: DemoMatter[] = matterRows.map((r) => ({ matterId: r.matterId, code: r.matterCode, department: r.department, version: r }))
  return { villages, clerks, supervisors, matters }
}
