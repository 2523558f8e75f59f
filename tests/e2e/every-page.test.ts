import t from 'tap'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { sql } from 'kysely'
import axe from 'axe-core'
import type { Browser, BrowserContext, HTTPRequest, Page } from 'puppeteer'
import { buildApp } from '../../server/app.ts'
import { loadConfig } from '../../server/config/config.ts'
import { seedDemoIfEmpty } from '../../server/demo/seed.ts'
import { findActor } from '../../server/accounts/users.repository.ts'
import { scopeOf, type Scope } from '../../server/accounts/actor.ts'
import { inScope } from '../../server/accounts/scope.ts'
import { recordAccess } from '../../server/privacy/access-log.ts'
import { formatLocalDate } from '../../server/calendar/local-time.ts'
import { CASE_COLUMNS } from '../../server/cases/cases.repository.ts'
import { CASE_DOCUMENTS, documentsFor, type CaseDocument } from '../../server/cases/case-documents.ts'
import { STAGES, type Stage } from '../../server/db/schema.ts'
import type { Db } from '../../server/db/connect.ts'
import zhCN from '../../server/i18n/zh-CN.json' with { type: 'json' }
import { translate } from '../../server/i18n/i18n.ts'
import { createTestDatabase } from '../fixtures/database.ts'
import { testConfig } from '../fixtures/app.ts'
import { useIdVault } from '../../server/privacy/id-vault.ts'
import { dryRunOf } from '../fixtures/imports.ts'
import { launchChromium, signIn } from '../fixtures/chromium.ts'
import { DEMO_LOGINS, DEMO_PASSWORD, type DemoLogin } from '../fixtures/demo-logins.ts'

/**
 * A real browser judges every HTML page of the demo county: for each route of the app's own route
 * table, each identity that may open it, both languages and a phone and a desktop width, the page
 * must load with all its parts, fit the screen, show no error, no locale key or `undefined`, log
 * no script error, pass axe-core's serious and critical WCAG 2.1 A/AA checks, break no label or cell into one
 * character per line, and keep body text at 16 px or more with a line height of 1.5. Each page is loaded once
 * per identity and language and judged at each width in turn (a resize, as a person turning a tablet), then
 * switched to large text (适老化) and judged at both widths once more.
 * E2E_SCREENSHOTS=<dir> keeps a full-page picture of each; E2E_TABS sets how many tabs work at once.
 */
t.setTimeout(15 * 60_000)

const LANGS = ['zh-CN', 'en'] as const
type Lang = (typeof LANGS)[number]
const VIEWPORTS = [
  { width: 360, height: 740 },
  { width: 1280, height: 900 },
] as const
const TEXT_SIZES = ['normal', 'large'] as const
type TextSize = (typeof TEXT_SIZES)[number]
// Body text on every page, and in large-text mode (the root raised to 20 px).
const MIN_BODY_PX: Record<TextSize, number> = { normal: 16, large: 20 }
const TABS = Number(process.env.E2E_TABS) || 3
const SCREENSHOTS = process.env.E2E_SCREENSHOTS || null
// E2E_ONLY=<regex> judges only the combinations whose "role lang width size url" matches (to look again at a few
// pages), e.g. 'agent en 360 large /ledger'; size is normal or large.
const ONLY = process.env.E2E_ONLY ? new RegExp(process.env.E2E_ONLY) : null
const JOB_TIMEOUT_MS = 180_000
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']

// Machine answers and files, not pages: recognised by their address before any request is made.
const NOT_A_PAGE = /\.(csv|pdf|json|xlsx)$|\/pdf$|\/poster$|^\/(healthz|logout)$|^\/(api|bench|lang|text-size|assets|schemas|open311)\//
// A dotted key of the locale files shown as it is: a message nobody wrote.
const LOCALE_KEY = new RegExp(`(?<![\\w./@-])(?:${Object.keys(zhCN).join('|')})\\.[a-zA-Z_][\\w]*(?:\\.[\\w]+)*`)
const BAD_TEXT = /\b(?:undefined|null|NaN)\b|\[object Object\]|Invalid Date/
// A paper document's preview keeps the sizes of the A4 sheet it prints (pt, in templates/ and document.css) and
// has no header, so no text-size switch: its type is judged on paper, not against the screen's 适老化 sizes.
const PAPER_ROUTES = new Set(['/cases/:id/documents/:doc'])

/** The stages a role's cases pass through: a window only ever holds forwarded cases. */
const STAGES_SEEN: Record<DemoLogin['name'], readonly Stage[]> = {
  anonymous: [],
  agent: STAGES,
  clerk: ['forwarded', 'in_progress', 'completed', 'replied', 'closed'],
  townSupervisor: STAGES,
  countySupervisor: STAGES,
  admin: STAGES,
}
const DOCUMENTS_SEEN: Record<DemoLogin['name'], readonly CaseDocument[]> = {
  anonymous: [],
  agent: CASE_DOCUMENTS,
  clerk: ['one-time-notice', 'acceptance-notice', 'forwarding-slip', 'extension-notice', 'completion-reply'],
  townSupervisor: CASE_DOCUMENTS,
  countySupervisor: CASE_DOCUMENTS,
  admin: CASE_DOCUMENTS,
}

interface Who {
  login: DemoLogin
  scope: Scope | null
  actor: NonNullable<Awaited<ReturnType<typeof findActor>>> | null
}

/** The concrete addresses for one route and one identity, or what the demo county lacks to fill them. */
interface Filled {
  urls: string[]
  missing: string[]
}

interface Job {
  who: Who
  lang: Lang
  size: TextSize
  viewport: (typeof VIEWPORTS)[number]
  route: string
  url: string
}

/** One page load for one identity and language, judged at each width and text size in turn (a resize, not a reload). */
interface Visit extends Omit<Job, 'viewport' | 'size'> {
  looks: Pick<Job, 'size' | 'viewport'>[]
}

interface Outcome {
  job: Job
  problems: string[]
  skipped?: string
  ms?: number
}

/** Parameter values from the demo data, each chosen inside the identity's jurisdiction. */
function makeFillers(db: Db, timeZone: string) {
  const caseRowsCache = new Map<string, Promise<CaseRow[]>>()
  type CaseRow = { id: string; caseNo: string; stage: Stage; acceptedOn: string | null; forwardedOn: string | null; completedOn: string | null; approvedExtension: boolean; events: number }

  // Every case the identity may open, richest history first: the longest timeline is the hardest to lay out.
  function casesOf(who: Who): Promise<CaseRow[]> {
    const key = who.login.name
    if (!caseRowsCache.has(key)) {
      caseRowsCache.set(
        key,
        db
          .selectFrom('cases')
          .select([
            'cases.id',
            'cases.caseNo',
            'cases.stage',
            'cases.acceptedOn',
            'cases.forwardedOn',
            'cases.completedOn',
            sql<boolean>`exists (select 1 from case_extensions x where x.case_id = cases.id and x.status = 'approved')`.as('approvedExtension'),
            sql<number>`(select count(*)::int from case_events e where e.case_id = cases.id)`.as('events'),
          ])
          .where((eb) => inScope(eb, who.scope!, CASE_COLUMNS))
          .orderBy('events', 'desc')
          .orderBy('cases.id')
          .execute(),
      )
    }
    return caseRowsCache.get(key)!
  }

  async function villagesOf(who: Who) {
    let q = db.selectFrom('villages').select(['villages.id', 'villages.code']).orderBy('villages.code')
    if (who.scope) q = q.where((eb) => inScope(eb, who.scope!, { countyId: 'villages.countyId', townId: 'villages.townId', villageId: 'villages.id' }))
    return q.execute()
  }

  async function matterPicks() {
    const rows = await db
      .selectFrom('matters')
      .innerJoin('matterVersions', (j) => j.onRef('matterVersions.matterId', '=', 'matters.id').onRef('matterVersions.version', '=', 'matters.currentVersion'))
      .select(['matters.id', 'matters.code', 'matterVersions.postingRounds', 'matterVersions.proxiable', 'matterVersions.feeFen', 'matterVersions.caseType'])
      .where('matters.active', '=', true)
      .orderBy('matters.code')
      .execute()
    const picks = [rows[0], rows.find((r) => r.postingRounds > 0), rows.find((r) => !r.proxiable), rows.find((r) => Number(r.feeFen) > 0), rows.find((r) => r.caseType === 'on_the_spot')]
    return [...new Set(picks.filter((r) => r !== undefined))]
  }

  const one = <T>(rows: T[], missing: string, url: (row: T) => string): Filled => (rows.length ? { urls: [url(rows[0])], missing: [] } : { urls: [], missing: [missing] })

  let importJobId: number | undefined
  let revealer: Promise<{ userId: number; day: string }> | undefined
  async function revealMany(who: Who) {
    const clerk = await db.selectFrom('users').select('id').where('username', '=', 'jp.mz').executeTakeFirstOrThrow()
    const actor = (await findActor(db, clerk.id))!
    const applicants = await db
      .selectFrom('applicants')
      .innerJoin('villages', 'villages.id', 'applicants.villageId')
      .select(['applicants.id', sql<number>`(select count(*)::int from cases c where c.applicant_id = applicants.id)`.as('n')])
      .where('villages.townId', '=', actor.townId!)
      .orderBy('n', 'desc')
      .orderBy('applicants.id')
      .limit(25)
      .execute()
    const now = new Date()
    for (const a of applicants) await recordAccess(db, actor, { kind: 'reveal', applicantId: a.id, field: 'id_number', page: `/applicants/${a.id}` }, now)
    if (applicants[0]) await recordAccess(db, who.actor!, { kind: 'export', exportName: 'ledger', page: '/ledger.csv', rowCount: applicants.length, applicantIds: applicants.map((a) => a.id) }, now)
    return { userId: clerk.id, day: formatLocalDate(now, timeZone) }
  }
  const fillers: Record<string, (who: Who) => Promise<Filled>> = {
    async '/cases/:id'(who) {
      const rows = await casesOf(who)
      const urls: string[] = []
      const missing: string[] = []
      for (const stage of STAGES) {
        const c = rows.find((r) => r.stage === stage)
        if (c) urls.push(`/cases/${c.id}`)
        else if (STAGES_SEEN[who.login.name].includes(stage)) missing.push(`no case in stage ${stage} in the demo county within ${who.login.username}'s scope`)
      }
      return { urls, missing }
    },
    async '/cases/:id/documents/:doc'(who) {
      const rows = await casesOf(who)
      const urls: string[] = []
      const missing: string[] = []
      for (const doc of CASE_DOCUMENTS) {
        // The stage that shows the most on each paper: a missing-materials list, a forwarded case's slip.
        const c = rows.find((r) => documentsFor(r, r.approvedExtension).includes(doc))
        if (c) urls.push(`/cases/${c.id}/documents/${doc}`)
        else if (DOCUMENTS_SEEN[who.login.name].includes(doc)) missing.push(`no case with a ${doc} in the demo county within ${who.login.username}'s scope`)
      }
      return { urls, missing }
    },
    async '/applicants/:id'(who) {
      const rows = await db
        .selectFrom('cases')
        .select(['cases.applicantId', sql<number>`count(*)::int`.as('n')])
        .where((eb) => inScope(eb, who.scope!, CASE_COLUMNS))
        .groupBy('cases.applicantId')
        .orderBy('n', 'desc')
        .limit(1)
        .execute()
      if (rows[0] && rows[0].n >= 2) return { urls: [`/applicants/${rows[0].applicantId}`], missing: [] }
      return { urls: rows.map((r) => `/applicants/${r.applicantId}`), missing: [`no applicant with several cases in the demo county within ${who.login.username}'s scope`] }
    },
    async '/applicants/:id/access-report'(who) {
      const file = await fillers['/applicants/:id'](who)
      return { urls: file.urls.map((url) => `${url}/access-report`), missing: file.missing }
    },
    async '/privacy/access/users/:id'(who) {
      // The demo county has no reveal: a window clerk of 锦屏镇 reveals many of its villagers today, as
      // the unusual-access page is there to find (the page and the person files then show them too).
      revealer ??= revealMany(who)
      const { userId, day } = await revealer
      return { urls: [`/privacy/access/users/${userId}?from=${day}&to=${day}`], missing: [] }
    },
    async '/villages/:id'(who) {
      return one(await villagesOf(who), `no village within ${who.login.username}'s scope`, (v) => `/villages/${v.id}`)
    },
    async '/board/:code'(who) {
      // Every board for the public; a signed-in visitor sees the same page with another menu.
      const villages = await villagesOf(who)
      if (!villages.length) return { urls: [], missing: ['no village in the demo county'] }
      return { urls: (who.login.username ? villages.slice(0, 1) : villages).map((v) => `/board/${v.code}`), missing: [] }
    },
    async '/guides/:code'(who) {
      const matters = await matterPicks()
      if (!matters.length) return { urls: [], missing: ['no active matter in the demo county'] }
      return { urls: (who.login.username ? matters.slice(0, 1) : matters).map((m) => `/guides/${encodeURIComponent(m.code)}`), missing: [] }
    },
    async '/rectifications/:id'(who) {
      const actor = who.actor!
      let q = db.selectFrom('rectifications').select(['rectifications.id', 'rectifications.status']).distinctOn('rectifications.status').orderBy('rectifications.status').orderBy('rectifications.id')
      if (actor.role === 'clerk') q = q.where('rectifications.windowId', '=', actor.windowId)
      else if (actor.role === 'agent') q = q.where('rectifications.villageId', '=', actor.villageId)
      else q = q.where((eb) => inScope(eb, who.scope!, { countyId: 'rectifications.countyId', townId: 'rectifications.townId' }))
      const rows = await q.execute()
      if (!rows.length) return { urls: [], missing: [`no rectification in the demo county for ${who.login.username} (${actor.role === 'clerk' ? 'its window' : actor.role === 'agent' ? 'its station' : 'its jurisdiction'})`] }
      return { urls: rows.map((r) => `/rectifications/${r.id}`), missing: [] }
    },
    async '/imports/:id'(who) {
      // The demo county has no import: a dry run of a small workbook with a problem, as an administrator starts one.
      importJobId ??= await dryRunOf(db, who.actor!.id, who.actor!.countyId, timeZone, () => new Date())
      return { urls: [`/imports/${importJobId}`], missing: [] }
    },
    async '/admin/users/:id/edit'() {
      const rows = await db.selectFrom('users').select(['id', 'role']).distinctOn('role').orderBy('role').orderBy('id').execute()
      return { urls: rows.map((r) => `/admin/users/${r.id}/edit`), missing: rows.length ? [] : ['no user in the demo county'] }
    },
    async '/admin/matters/:id/edit'() {
      const matters = await matterPicks()
      return { urls: matters.map((m) => `/admin/matters/${m.id}/edit`), missing: matters.length ? [] : ['no active matter in the demo county'] }
    },
    async '/admin/org/towns/:id/edit'() {
      return one(await db.selectFrom('towns').select('id').orderBy('id').execute(), 'no town in the demo county', (r) => `/admin/org/towns/${r.id}/edit`)
    },
    async '/admin/org/villages/:id/edit'() {
      return one(await db.selectFrom('villages').select('id').orderBy('id').execute(), 'no village in the demo county', (r) => `/admin/org/villages/${r.id}/edit`)
    },
    async '/admin/org/windows/:id/edit'() {
      // A town's window and a county-centre window have different forms.
      const town = await db.selectFrom('windows').select('id').where('townId', 'is not', null).orderBy('id').limit(1).execute()
      const county = await db.selectFrom('windows').select('id').where('townId', 'is', null).orderBy('id').limit(1).execute()
      const rows = [...town, ...county]
      return { urls: rows.map((r) => `/admin/org/windows/${r.id}/edit`), missing: rows.length ? [] : ['no window in the demo county'] }
    },
  }

  // Pages without parameters that also have a filled-in state worth a look.
  async function variants(route: string, who: Who, today: string): Promise<string[]> {
    switch (route) {
      case '/deadline':
        return [`/deadline?start=${today}&days=10`]
      case '/cases/new': {
        const matters = await matterPicks()
        return matters.slice(0, 1).map((m) => `/cases/new?matterId=${m.id}`)
      }
      case '/cases': {
        const rows = await casesOf(who)
        return rows.length ? ['/cases?stage=in_progress', `/cases?q=${encodeURIComponent(rows[0].caseNo)}`] : []
      }
      default:
        return []
    }
  }

  return { fillers, variants }
}

type Timed = <T>(step: string, work: () => Promise<T>) => Promise<T>

/** What the page in the tab shows, judged in the browser. */
async function judgePage(page: Page, timed: Timed, size: TextSize, paper: boolean): Promise<string[]> {
  const problems: string[] = []
  const layout = () =>
    page.evaluate(() => {
      const vw = window.innerWidth
      const sw = document.documentElement.scrollWidth
      if (sw <= vw) return null
      const clipped = (el: Element) => {
        for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
          if (getComputedStyle(a).overflowX !== 'visible') return true
        }
        return false
      }
      const name = (el: Element) => el.tagName.toLowerCase() + (el.id ? `#${el.id}` : '') + [...el.classList].map((c) => `.${c}`).join('')
      const offenders: string[] = []
      for (const el of document.body.querySelectorAll('*')) {
        const r = el.getBoundingClientRect()
        if (r.right <= vw + 1 || r.width === 0 || clipped(el)) continue
        // The innermost element that sticks out: its children all fit.
        if ([...el.children].some((c) => c.getBoundingClientRect().right > vw + 1)) continue
        const where = [el.parentElement, el.parentElement?.parentElement].filter(Boolean).map((a) => name(a!)).reverse().join(' > ')
        const text = (el as HTMLElement).innerText?.replace(/\s+/g, ' ').trim().slice(0, 40) ?? ''
        offenders.push(`${where} > ${name(el)} (right edge ${Math.round(r.right)}px)${text ? ` “${text}”` : ''}`)
        if (offenders.length >= 4) break
      }
      return { sw, vw, offenders }
    })
  const before = await timed('layout', layout)
  // Everything behind a <details> is one tap away: open them all, so hidden forms are judged too.
  const opened = await page.evaluate(() => {
    const closed = [...document.querySelectorAll('details:not([open])')]
    for (const d of closed) d.setAttribute('open', '')
    return closed.length
  })
  const after = opened ? await layout() : before
  const overflow = before ?? after
  if (overflow) problems.push(`page is ${overflow.sw}px wide in a ${overflow.vw}px viewport${before ? '' : ' once its <details> are opened'}: ${overflow.offenders.join('; ') || 'no single element found'}`)

  const seen = await timed('text', () => page.evaluate(() => {
    const visible = (el: Element) => (el as HTMLElement).getClientRects().length > 0
    const describe = (el: Element) => `${el.tagName.toLowerCase()}${el.getAttribute('name') ? `[name=${el.getAttribute('name')}]` : ''}${el.className ? `.${String(el.className).split(' ').join('.')}` : ''} “${(el as HTMLElement).innerText?.replace(/\s+/g, ' ').trim().slice(0, 80) ?? ''}”`
    const banners = [...document.querySelectorAll('.form-error, [role=alert]')].map(describe)
    const fieldErrors = [...document.querySelectorAll('small.error, [aria-invalid=true]')].map(describe)
    const attributes = [...document.querySelectorAll('[placeholder], [aria-label], [title], img[alt], input[type=submit][value], input[type=button][value]')]
      .filter(visible)
      .flatMap((el) => ['placeholder', 'aria-label', 'title', 'alt', 'value'].map((a) => (a === 'value' && el.tagName !== 'INPUT' ? null : el.getAttribute(a))).filter(Boolean))
    const options = [...document.querySelectorAll('option')].map((o) => o.textContent ?? '')
    return { banners, fieldErrors, text: [document.title, document.body.innerText, ...attributes, ...options].join('\n') }
  }))
  for (const b of seen.banners) problems.push(`error banner shown: ${b}`)
  for (const f of seen.fieldErrors) problems.push(`field error shown: ${f}`)
  const lines = seen.text.split('\n')
  const keyLines = [...new Set(lines.filter((l) => LOCALE_KEY.test(l)).map((l) => l.trim().slice(0, 120)))]
  if (keyLines.length) problems.push(`locale key shown: ${keyLines.slice(0, 5).map((l) => `“${l}”`).join(', ')}`)
  const badLines = [...new Set(lines.filter((l) => BAD_TEXT.test(l)).map((l) => l.trim().slice(0, 120)))]
  if (badLines.length) problems.push(`broken value shown: ${badLines.slice(0, 5).map((l) => `“${l}”`).join(', ')}`)

  // A header or a cell squeezed to one character per line (申/请/人) cannot be read: the lines of each label, cell,
  // button, badge and link, counted from the boxes of its text, against its characters.
  const stacked = await timed('stacked', () => page.evaluate(() => {
    const name = (el: Element) => el.tagName.toLowerCase() + [...el.classList].map((c) => `.${c}`).join('')
    const linesOf = (el: Element) => {
      const tops: number[] = []
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT)
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (!node.textContent?.trim()) continue
        const range = document.createRange()
        range.selectNodeContents(node)
        for (const r of range.getClientRects()) if (r.width > 0 && r.height > 0) tops.push(r.top + r.height / 2)
      }
      tops.sort((a, b) => a - b)
      // Boxes whose middles lie within half a line of each other sit on one line (a badge beside its text).
      const lineHeight = parseFloat(getComputedStyle(el).fontSize) * 0.6
      let lines = 0
      let last = -Infinity
      for (const top of tops) if (top - last > lineHeight) { lines++; last = top }
      return lines
    }
    const offenders: Element[] = []
    for (const el of document.body.querySelectorAll('th, td, label, button, summary, a, .badge')) {
      if (!(el as HTMLElement).getClientRects().length) continue
      const chars = [...((el as HTMLElement).textContent ?? '').replace(/\s+/g, '')].length
      if (chars < 2) continue
      const lines = linesOf(el)
      if (lines >= 3 && lines >= chars - 1) offenders.push(el)
    }
    // The innermost: a cell that stacks because its link does is one problem.
    return offenders
      .filter((el) => !offenders.some((other) => other !== el && el.contains(other)))
      .slice(0, 6)
      .map((el) => `${el.parentElement ? name(el.parentElement) + ' > ' : ''}${name(el)} “${(el.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 30)}” (${linesOf(el)} lines)`)
  }))
  if (stacked.length) problems.push(`text stacked one character per line: ${stacked.join('; ')}`)

  // 适老化: body text of 16 px (20 px in large-text mode) and more, lines 1.5 apart; no smaller print anywhere.
  const type = paper ? null : await timed('type', () => page.evaluate((minBody) => {
    const style = getComputedStyle(document.body)
    const px = (v: string) => parseFloat(v)
    const body = { size: px(style.fontSize), ratio: style.lineHeight === 'normal' ? 1.2 : px(style.lineHeight) / px(style.fontSize) }
    const name = (el: Element) => el.tagName.toLowerCase() + [...el.classList].map((c) => `.${c}`).join('')
    const small: string[] = []
    const tight: string[] = []
    for (const el of document.body.querySelectorAll('*')) {
      if (!(el as HTMLElement).getClientRects().length) continue
      // A chart's SVG text is sized in the drawing's own units and scaled with it: its computed size is not what shows.
      if (el.closest('svg')) continue
      if (![...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim())) continue
      const s = getComputedStyle(el)
      if (px(s.fontSize) < 16 - 0.01) small.push(`${name(el)} ${px(s.fontSize)}px “${(el.textContent ?? '').trim().slice(0, 20)}”`)
      // Running text only: headings and controls set their own, tighter lines on purpose.
      if (el.matches('p, li, td, dd, dt, label') && s.lineHeight !== 'normal' && px(s.lineHeight) / px(s.fontSize) < 1.5 - 0.01) tight.push(`${name(el)} ${(px(s.lineHeight) / px(s.fontSize)).toFixed(2)}`)
    }
    return { body, minBody, small: [...new Set(small)], tight: [...new Set(tight)] }
  }, MIN_BODY_PX[size]))
  if (type) {
    if (type.body.size < type.minBody - 0.01) problems.push(`body text is ${type.body.size}px, under ${type.minBody}px`)
    if (type.body.ratio < 1.5 - 0.01) problems.push(`body line height is ${type.body.ratio.toFixed(2)}, under 1.5`)
    if (type.small.length) problems.push(`text under 16px: ${type.small.length} × ${type.small.slice(0, 4).join('; ')}`)
    if (type.tight.length) problems.push(`running text with line height under 1.5: ${type.tight.slice(0, 4).join('; ')}`)
  }

  // Large text changes sizes only: colours, names, labels and roles are those judged at normal size, and a larger
  // font can only lower the contrast a text needs (WCAG's large-text threshold), so axe's verdict would repeat.
  if (size === 'large') return problems
  // axe-core is evaluated through the DevTools protocol, so the page keeps its own CSP (a violation would show as a console error).
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axe.source)
  const violations = await timed('axe', () => page.evaluate(
    async (tags) => {
      const result = await (window as unknown as { axe: typeof axe }).axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] })
      return result.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => ({
          id: v.id,
          impact: v.impact,
          help: v.help,
          nodes: v.nodes.map((n) => {
            const data = n.any[0]?.data as { fgColor?: string; bgColor?: string; contrastRatio?: number; expectedContrastRatio?: string } | undefined
            const contrast = data?.contrastRatio ? ` ${data.fgColor} on ${data.bgColor} = ${data.contrastRatio}:1 (needs ${data.expectedContrastRatio})` : ''
            return `${n.target.join(' ')}${contrast}`
          }),
        }))
    },
    AXE_TAGS,
  ))
  for (const v of violations) problems.push(`axe ${v.id} (${v.impact}): ${v.help} — ${v.nodes.length} × ${v.nodes.slice(0, 3).join(' | ')}`)
  return problems
}

t.test('every HTML page, for every role, in both languages, on a phone and a desktop, in normal and large text', async (t) => {
  const started = Date.now()
  const database = await createTestDatabase(t)
  // The demo seeds ID numbers sealed under the keyring the app will open them with.
  useIdVault(testConfig().piiKeyFile)
  const seeded = await seedDemoIfEmpty(database.db)
  t.ok(seeded, 'the demo county is created')
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }, { jwtSecret: 'test-secret-test-secret-test-secret-0123', dataDir: '/tmp/bianmin-test', databaseUrl: database.url })
  const app = await buildApp({ config, db: database.db, logger: process.env.TEST_LOG ? { level: process.env.TEST_LOG } : false })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
  t.comment(`demo county seeded and app listening in ${((Date.now() - started) / 1000).toFixed(1)} s`)

  const identities: Who[] = []
  for (const login of DEMO_LOGINS) {
    if (!login.username) {
      identities.push({ login, scope: null, actor: null })
      continue
    }
    const user = await database.db.selectFrom('users').select('id').where('username', '=', login.username).executeTakeFirst()
    if (!user) {
      t.fail(`demo login ${login.username} (${login.name}) does not exist`)
      continue
    }
    const actor = (await findActor(database.db, user.id))!
    identities.push({ login, scope: scopeOf(actor), actor })
  }

  // ---- What to open: the route table, filled from the demo data ----
  const { fillers, variants } = makeFillers(database.db, config.timeZone)
  const routes = [...new Map(app.routeTable.filter((r) => r.method === 'GET').map((r) => [r.url, r])).values()]
  const skipped = routes.filter((r) => NOT_A_PAGE.test(r.url)).map((r) => r.url)
  t.comment(`not pages (skipped by address): ${skipped.join(' ')}`)
  const pages = routes.filter((r) => !NOT_A_PAGE.test(r.url))
  for (const r of pages) if (/[:*]/.test(r.url) && !fillers[r.url]) t.fail(`route ${r.url} has parameters the judge cannot fill: add a filler to tests/e2e/every-page.test.ts`)

  const visits: Visit[] = []
  const today = app.today()
  for (const who of identities) {
    const urls: { route: string; url: string }[] = []
    for (const r of pages) {
      const may = r.public || (who.login.role !== null && (r.roles === null || r.roles.includes(who.login.role)))
      if (!may) continue
      // Signed in, the login page only sends you home.
      if (r.url === '/login' && who.login.username) continue
      if (/[:*]/.test(r.url)) {
        const filler = fillers[r.url]
        if (!filler) continue
        const filled = await filler(who)
        for (const m of filled.missing) t.fail(`${r.url} as ${who.login.name}: ${m}`)
        for (const url of filled.urls) urls.push({ route: r.url, url })
      } else {
        urls.push({ route: r.url, url: r.url })
        for (const url of await variants(r.url, who, today)) urls.push({ route: r.url, url })
      }
    }
    for (const lang of LANGS) for (const u of urls) {
      // Paper looks the same whatever the switch says (see PAPER_ROUTES).
      const sizes = PAPER_ROUTES.has(u.route) ? (['normal'] as const) : TEXT_SIZES
      const looks = sizes.flatMap((size) => VIEWPORTS.map((viewport) => ({ size, viewport }))).filter((l) => !ONLY || ONLY.test(`${who.login.name} ${lang} ${l.viewport.width} ${l.size} ${u.url}`))
      if (looks.length) visits.push({ who, lang, looks, ...u })
    }
  }
  t.comment(`${visits.reduce((n, v) => n + v.looks.length, 0)} combinations of page × role × language × width to check with ${TABS} tabs`)

  // ---- The browser: one context per identity and language, a few tabs each ----
  const browser: Browser = await launchChromium()
  t.teardown(() => browser.close())
  if (SCREENSHOTS) mkdirSync(SCREENSHOTS, { recursive: true })

  const outcomes: Outcome[] = []
  async function openContext(who: Who, lang: Lang): Promise<BrowserContext> {
    const context = await browser.createBrowserContext()
    const page = await context.newPage()
    if (lang !== 'zh-CN') await page.goto(`${base}/lang/${lang}?next=/login`)
    if (who.login.username) await signIn(page, base, who.login.username, DEMO_PASSWORD)
    await page.close()
    return context
  }

  async function openTab(context: BrowserContext) {
    const page = await context.newPage()
    // tsx names functions with a helper of its own; functions handed to the page need it there too.
    await page.evaluateOnNewDocument('globalThis.__name = (fn) => fn')
    // Settled colours: Pico's transitions stop under reduced motion, so axe never measures a button mid-fade.
    await page.emulateMediaFeatures([{ name: 'prefers-reduced-motion', value: 'reduce' }])
    const record = { failed: [] as string[], console: [] as string[], step: '' }
    const isDocument = (request: HTTPRequest) => request.isNavigationRequest() && request.frame() === page.mainFrame()
    page.on('requestfailed', (request) => {
      if (!isDocument(request)) record.failed.push(`${new URL(request.url()).pathname} (${request.failure()?.errorText ?? 'failed'})`)
    })
    page.on('response', (response) => {
      if (response.status() >= 400 && !isDocument(response.request())) record.failed.push(`${new URL(response.url()).pathname} answers ${response.status()}`)
    })
    page.on('console', (message) => {
      if (message.type() === 'error') record.console.push(`${message.text()}${message.location()?.url ? ` (${new URL(message.location().url!).pathname})` : ''}`)
    })
    page.on('pageerror', (error) => record.console.push(`script error: ${(error as Error).message}`))
    return { page, record }
  }

  let screenshotTurn: Promise<void> = Promise.resolve()
  // Where the time goes, and where a page that never finishes got stuck.
  const spent = new Map<string, number>()
  async function runVisit(page: Page, visit: Visit, record: { failed: string[]; console: string[]; step: string }): Promise<Outcome[]> {
    record.failed.length = 0
    record.console.length = 0
    const timed: Timed = async (step, work) => {
      record.step = step
      const start = Date.now()
      try {
        return await work()
      } finally {
        spent.set(step, (spent.get(step) ?? 0) + Date.now() - start)
      }
    }
    const { looks, ...common } = visit
    const jobs: Job[] = looks.map((look) => ({ ...common, ...look }))
    const loadProblems: string[] = []
    await page.setViewport(jobs[0].viewport)
    let response
    try {
      response = await timed('load', () => page.goto(base + visit.url, { waitUntil: 'load', timeout: 60_000 }))
      // A recorded report opened from the address bar asks to confirm first (privacy/recorded-links.ts):
      // the judge looks at that page's way through, the report itself, as a person confirming would.
      const confirm = await page.$('#confirm-recorded')
      if (confirm && response?.ok()) response = await timed('load', async () => (await Promise.all([page.waitForNavigation({ waitUntil: 'load', timeout: 60_000 }), confirm.click()]))[0])
    } catch (error) {
      return jobs.map((job) => ({ job, problems: [`did not load: ${(error as Error).message}`] }))
    }
    const type = response?.headers()['content-type'] ?? ''
    if (!type.startsWith('text/html')) return jobs.map((job) => ({ job, problems: [], skipped: `answers ${type || 'nothing'}` }))
    const status = response!.status()
    if (status >= 400) loadProblems.push(`answers ${status}`)
    const landed = new URL(page.url())
    if (landed.pathname === '/login' && visit.who.login.username) loadProblems.push('sent to the login page')
    await timed('fonts', () => page.evaluate(() => document.fonts.ready.then(() => undefined)))
    const outcomes: Outcome[] = []
    let largeText = false
    for (const job of jobs) {
      const problems = [...loadProblems]
      // Reading the layout forces it, so no frame needs to pass (a background tab may not get one for seconds).
      if (job !== jobs[0]) await timed('resize', () => page.setViewport(job.viewport))
      // Large text without a second load (a load is the judge's largest cost): the server's whole part in it is the
      // class on <html> and the switch's label, both set here as it would set them (tests/views/text-size.test.ts
      // checks the server's side: cookie, class, label).
      if (job.size === 'large' && !largeText) {
        largeText = true
        await timed('large', () => page.evaluate((label) => {
          document.documentElement.classList.add('text-large')
          for (const a of document.querySelectorAll('a.text-size')) a.textContent = label
        }, translate(job.lang, 'layout.textNormal')))
      }
      try {
        problems.push(...(await judgePage(page, timed, job.size, PAPER_ROUTES.has(job.route))))
      } catch (error) {
        problems.push(`could not be judged: ${(error as Error).message}`)
      }
      // What failed while loading (or since) belongs to every width the one load is judged at.
      for (const f of record.failed) problems.push(`resource failed: ${f}`)
      for (const c of record.console) problems.push(`console: ${c}`)
      if (SCREENSHOTS) {
        const file = `${job.who.login.name}-${job.lang}-${job.viewport.width}${job.size === 'large' ? '-large' : ''}-${job.url.replace(/^\//, '').replace(/[^\w.-]+/g, '_') || 'home'}.png`
        // One picture at a time, of the tab in front: Chromium may never paint a background tab, and the capture then waits for ever.
        const turn = screenshotTurn.then(() =>
          timed('screenshot', async () => {
            await page.bringToFront()
            await page.screenshot({ path: path.join(SCREENSHOTS, file), fullPage: true, optimizeForSpeed: true })
          }),
        )
        screenshotTurn = turn.catch(() => {})
        await turn
      }
      outcomes.push({ job, problems })
    }
    return outcomes
  }

  for (const who of identities) {
    for (const lang of LANGS) {
      const queue = visits.filter((v) => v.who === who && v.lang === lang)
      if (!queue.length) continue
      let context: BrowserContext
      try {
        context = await openContext(who, lang)
      } catch (error) {
        t.fail(`could not open a browser as ${who.login.name} in ${lang}: ${(error as Error).message}`)
        continue
      }
      await Promise.all(
        Array.from({ length: Math.min(TABS, queue.length) }, async () => {
          let tab = await openTab(context)
          for (let visit = queue.shift(); visit; visit = queue.shift()) {
            let timer: NodeJS.Timeout | undefined
            const timedOut = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), JOB_TIMEOUT_MS)))
            const start = Date.now()
            const judged = await Promise.race([runVisit(tab.page, visit, tab.record), timedOut])
            clearTimeout(timer)
            if (judged) outcomes.push(...judged.map((o) => ({ ...o, ms: (Date.now() - start) / judged.length })))
            else {
              // A tab that stopped answering is replaced, so one page cannot hold up the rest.
              const { looks, ...common } = visit
              for (const look of looks) outcomes.push({ job: { ...common, ...look }, problems: [`not judged within ${JOB_TIMEOUT_MS / 1000} s (stuck at ${tab.record.step})`] })
              tab.page.close().catch(() => {})
              tab = await openTab(context)
            }
          }
          await tab.page.close()
        }),
      )
      await context.close()
    }
  }

  // ---- The verdict, grouped by page ----
  const notPages = [...new Set(outcomes.filter((o) => o.skipped).map((o) => `${o.job.url} (${o.skipped})`))]
  if (notPages.length) t.comment(`not pages (skipped by content type): ${notPages.join(' ')}`)
  const judged = outcomes.filter((o) => !o.skipped)
  const failing = judged.filter((o) => o.problems.length)
  failing.sort((a, b) => a.job.url.localeCompare(b.job.url) || a.job.who.login.name.localeCompare(b.job.who.login.name) || a.job.lang.localeCompare(b.job.lang) || a.job.size.localeCompare(b.job.size) || a.job.viewport.width - b.job.viewport.width)
  for (const o of failing) {
    const { job } = o
    t.fail(`${job.url} as ${job.who.login.name}${job.who.login.username ? ` (${job.who.login.username})` : ''}, ${job.lang}, ${job.viewport.width}px${job.size === 'large' ? ', large text' : ''}`, { problems: o.problems, stack: '' })
  }
  // The same problem on many pages is usually one fix: count them.
  const tally = new Map<string, number>()
  for (const o of failing) for (const p of o.problems) {
    const kind = p.replace(/ — .*$/, '').replace(/: .*$/, '').replace(/\d+px/g, 'Npx')
    tally.set(kind, (tally.get(kind) ?? 0) + 1)
  }
  if (tally.size) t.comment(`problems by kind:\n${[...tally].sort((a, b) => b[1] - a[1]).map(([k, n]) => `  ${n} × ${k}`).join('\n')}`)
  const slowest = [...judged].sort((a, b) => (b.ms ?? 0) - (a.ms ?? 0)).slice(0, 5)
  t.comment(`slowest: ${slowest.map((o) => `${o.job.url} (${o.job.who.login.name}, ${o.job.viewport.width}px, ${o.job.size}) ${((o.ms ?? 0) / 1000).toFixed(1)} s`).join(', ')}`)
  t.comment(`time spent: ${[...spent].map(([step, ms]) => `${step} ${(ms / 1000).toFixed(0)} s`).join(', ')} (summed over ${TABS} tabs)`)
  t.comment(`${judged.length} combinations of page × role × language × width checked, ${failing.length} failing, in ${((Date.now() - started) / 1000).toFixed(0)} s`)
  t.ok(judged.length > 0, 'pages were judged')
})
