import t from 'tap'
import { spawn } from 'node:child_process'
import type { LightMyRequestResponse } from 'fastify'
import ExcelJS from '../../server/exports/exceljs.ts'
import type { Role } from '../../server/db/schema.ts'
import { maskName } from '../../server/privacy/mask.ts'
import type { Browser } from '../fixtures/browser.ts'
import {
  setupJurisdiction,
  namesOf,
  INTAKE_DAY,
  MONTH,
  type CaseRec,
  type Identity,
  type JurisdictionWorld,
  type RectificationRec,
  type VillageRec,
} from '../fixtures/jurisdiction.ts'

/**
 * Jurisdiction, route by route: two counties with every role in every place (tests/fixtures/jurisdiction.ts).
 *
 * 1. Every GET route that takes a record's id (or code), for every identity and anonymous, with the
 *    id of each place's record of that kind: 200 where the scope rules below let the identity see
 *    the record, 404 where they do not, 403 where the role may not open the route, 303 to /login
 *    for anonymous visitors of a non-public route.
 * 2. Every GET route without a path parameter (pages, lists, CSV, PDF): the records it shows
 *    (case numbers, fee serials, rectification numbers, names of places, people and records) equal
 *    what the identity may see — nothing missing and nothing foreign.
 * A route the tables below do not know fails the test: a new route must say what it shows.
 */

// Building the world and about 6,500 requests (some 250 of them rendering a PDF): far beyond tap's 30 s, and
// about 5.5 minutes in CI on two cores with coverage; the limit leaves room for a busy machine.
t.setTimeout(15 * 60_000)

type Who = Identity | null
interface Place { county: number; town: number; village: number }

// ---- The scope rules (DESIGN.md, "Who uses it"), written out apart from the server's SQL ----

/** An agent its village's cases; a clerk its window's; a supervisor its town's, or the county's; an admin the county's. */
function seesCase(who: Identity, c: CaseRec): boolean {
  if (who.county !== c.county) return false
  switch (who.role) {
    case 'agent':
      return who.village === c.village
    case 'clerk':
      return who.windowId === c.windowId
    case 'supervisor':
      return who.town === null || who.town === c.town
    case 'admin':
      return true
  }
}

/** The stations themselves (the org view): a window serves the villages of its town; a county-centre window the county. */
function seesVillage(who: Identity, p: Place): boolean {
  if (who.county !== p.county) return false
  if (who.role === 'agent') return who.village === p.village
  return who.town === null || who.town === p.town
}

/** A station's own records (applicant files, visits, fees, notices): its agents, its town's and the county's supervisors, the admin. */
function seesStationRecords(who: Identity, p: Place): boolean {
  return who.role !== 'clerk' && seesVillage(who, p)
}

/** A rectification: the unit that handled the case (window or station), and the supervisors above it. */
function seesRectification(who: Identity, r: RectificationRec): boolean {
  if (who.county !== r.county) return false
  if (who.role === 'agent') return r.village !== null && r.village === who.village
  if (who.role === 'clerk') return r.windowId !== null && r.windowId === who.windowId
  if (who.role === 'supervisor') return who.town === null || who.town === r.town
  return false
}

/** Who is told: the overdue case's holder (the window's clerks) and its supervisors; a rectification's unit and its supervisors. */
const supervises = (who: Identity, p: { county: number; town: number }) => who.role === 'supervisor' && who.county === p.county && (who.town === null || who.town === p.town)
// A window's clerks hear of each case forwarded to it (the collaboration loop); a late case also tells its supervisors.
const toldOfCase = (who: Identity, c: CaseRec) =>
  (who.role === 'clerk' && c.windowId !== null && who.windowId === c.windowId) || (c.late && supervises(who, c))
const toldOfRectification = (who: Identity, r: RectificationRec) => (seesRectification(who, r) && who.role !== 'supervisor') || supervises(who, r)

// ---- What a response shows ----

type Kind = 'case' | 'fee' | 'rectification' | 'matter' | 'town' | 'village' | 'window' | 'user' | 'applicant' | 'visit' | 'notice' | 'amount'
const NAMED: Kind[] = ['town', 'village', 'window', 'user', 'applicant', 'visit', 'notice', 'amount']
type Shown = Record<Kind, Set<string>>

const CASE_NO = /(?<![0-9A-Za-z])[0-9A-Z]{2,12}-\d{8}-\d{3}(?!\d)/g
const SERIAL = /(?<![0-9A-Za-z])[0-9A-Z]{2,12}-\d{8}-\d{4}(?!\d)/g

/** `flat`: the same text where names can be looked for whole (a PDF's text without the line breaks of wrapped cells). */
function extract(world: JurisdictionWorld, body: string, flat = body): Shown {
  const names = namesOf(world)
  const shown = {} as Shown
  shown.case = new Set(body.match(CASE_NO) ?? [])
  shown.fee = new Set(body.match(SERIAL) ?? [])
  shown.rectification = new Set([...body.matchAll(/\/rectifications\/(\d+)|编号 (\d+)/g)].map((m) => m[1] ?? m[2]))
  const matterSelects = [...body.matchAll(/<select name="matterId"[^>]*>([\s\S]*?)<\/select>/g)].map((m) => m[1]).join('')
  // The intake form of a chosen matter carries its id.
  const intakeForm = /<form method="post" action="\/cases"[^>]*>[\s\S]*?name="matterId" value="(\d+)"/.exec(body)?.[1]
  shown.matter = new Set([...[...body.matchAll(/\/admin\/matters\/(\d+)/g)].map((m) => m[1]), ...[...matterSelects.matchAll(/value="(\d+)"/g)].map((m) => m[1]), ...(intakeForm ? [intakeForm] : [])])
  for (const kind of NAMED) shown[kind] = new Set(names[kind as keyof typeof names].filter((x) => flat.includes(x.name)).map((x) => x.name))
  return shown
}

/** Everything shown that the identity may not see at all, whatever the page. */
function foreign(world: JurisdictionWorld, who: Identity, shown: Shown): string[] {
  const bad: string[] = []
  const seenCases = world.cases.filter((c) => seesCase(who, c))
  for (const no of shown.case) {
    const c = world.cases.find((x) => x.caseNo === no)
    if (!c || !seesCase(who, c)) bad.push(`case ${no}`)
  }
  for (const serial of shown.fee) {
    const f = world.fees.find((x) => x.serial === serial)
    if (!f || !seesStationRecords(who, f)) bad.push(`fee ${serial}`)
  }
  for (const id of shown.rectification) {
    const r = world.rectifications.find((x) => String(x.id) === id)
    if (!r || !seesRectification(who, r)) bad.push(`rectification ${id}`)
  }
  for (const id of shown.matter) if (!world.matterIds[who.county].includes(Number(id))) bad.push(`matter ${id}`)
  const names = namesOf(world)
  for (const kind of ['town', 'village', 'window', 'user'] as const) {
    for (const name of shown[kind]) if (names[kind].find((x) => x.name === name)!.county !== who.county) bad.push(`${kind} ${name}`)
  }
  for (const a of world.applicants) if (shown.applicant.has(a.name) && !seesStationRecords(who, a) && !seenCases.some((c) => c.applicantId === a.id)) bad.push(`applicant ${a.name}`)
  for (const v of world.visits) if (shown.visit.has(v.told) && !seesStationRecords(who, v)) bad.push(`visit ${v.told}`)
  for (const n of world.notices) if (shown.notice.has(n.title) && !seesStationRecords(who, n)) bad.push(`notice ${n.title}`)
  for (const f of world.fees) if (shown.amount.has(f.amount) && !seesStationRecords(who, f)) bad.push(`amount ${f.amount}`)
  return bad
}

function pdfText(pdf: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    // -raw: in reading order, each cell's lines together (the default layout interleaves columns).
    const child = spawn('pdftotext', ['-raw', '-', '-'])
    const out: Buffer[] = []
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out).toString('utf8')) : reject(new Error(`pdftotext exited with ${code}`))))
    child.stdin.end(pdf)
  })
}

type Format = 'html' | 'csv' | 'xlsx' | 'pdf' | 'json'

/** A workbook's cells as a person reads them, a line a row: days as days, money with two decimals. */
async function workbookText(body: Buffer): Promise<string> {
  const workbook = new ExcelJS.Workbook()
  await workbook.xlsx.load(body as never)
  const lines: string[] = []
  for (const sheet of workbook.worksheets) {
    sheet.eachRow((row) => {
      const cells: string[] = []
      row.eachCell((cell) => {
        const v = cell.value
        cells.push(v instanceof Date ? v.toISOString().slice(0, cell.numFmt === 'yyyy-mm-dd' ? 10 : 16).replace('T', ' ') : typeof v === 'number' && cell.numFmt === '0.00' ? v.toFixed(2) : String(v ?? ''))
      })
      lines.push(cells.join(','))
    })
  }
  return lines.join('\n')
}

/**
 * The text a person gets from a response (the page, the CSV, the PDF's text), and the same `flat`
 * for looking up names: narrow PDF table cells wrap a name or a number over lines.
 */
async function textOf(res: LightMyRequestResponse, format: Format): Promise<{ text: string; flat: string }> {
  if (format === 'xlsx' && res.statusCode === 200) {
    const text = await workbookText(res.rawPayload)
    return { text, flat: text }
  }
  if (format !== 'pdf' || res.statusCode !== 200) {
    // What the user typed comes back in the search box and in the language link's return address: not a record shown.
    const text = res.body.replace(/href="\/(?:lang|text-size)\/[^"]*"/g, '').replace(/<input\b[^>]*\bname="q"[^>]*>/g, '')
    return { text, flat: text }
  }
  if (!String(res.headers['content-type']).startsWith('application/pdf') || !res.rawPayload.subarray(0, 5).equals(Buffer.from('%PDF-'))) throw new Error(`not a PDF: ${res.headers['content-type']}`)
  const raw = await pdfText(res.rawPayload)
  // A number wrapped at its hyphen continues on the next line; each cell starts on a line of its own.
  return { text: raw.replace(/-\n/g, '-'), flat: raw.replace(/\s+/g, '') }
}

const label = (who: Who) => (who ? who.key : 'anonymous')
const uniq = <T>(xs: T[]) => [...new Set(xs)]
const same = (a: Set<string>, b: string[]) => a.size === new Set(b).size && b.every((x) => a.has(x))

type Roles = readonly Role[] | 'any' | 'public'
function expectedStatus(roles: Roles, who: Who, visible: boolean): number {
  if (roles === 'public') return 200
  if (!who) return 303
  if (roles !== 'any' && !roles.includes(who.role)) return 403
  return visible ? 200 : 404
}
const appRoles = (world: JurisdictionWorld, url: string): Roles => {
  const route = world.app.routeTable.find((r) => r.method === 'GET' && r.url === url)!
  return route.public ? 'public' : ((route.roles as readonly Role[] | null) ?? 'any')
}
const sameRoles = (a: Roles, b: Roles) => (typeof a === 'string' || typeof b === 'string' ? a === b : same(new Set(a), [...b]))

/** Runs jobs a few at a time: each identity's requests in order (one CSV and one PDF at a time per user), identities side by side. */
async function pool<T>(items: T[], size: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: size }, async () => {
    while (next < items.length) await run(items[next++])
  }))
}
const WORKERS = Number(process.env.JURISDICTION_WORKERS) || 4

// ---- Routes with an id: what record each takes ----

type RecordKind = 'case' | 'applicant' | 'village' | 'town' | 'window' | 'user' | 'matter' | 'rectification'
interface IdRoute {
  kind: RecordKind
  roles: Roles
  format: Format
  url: (world: JurisdictionWorld, record: never) => string
  /** What the page shows of the record: its number or name. */
  shows: (world: JurisdictionWorld, record: never) => string
}
const staffRoles = ['agent', 'supervisor', 'admin'] as const
const ID_ROUTES: Record<string, IdRoute> = {
  '/cases/:id': { kind: 'case', roles: 'any', format: 'html', url: (_w, c: CaseRec) => `/cases/${c.id}`, shows: (_w, c: CaseRec) => c.caseNo },
  '/cases/:id/documents/:doc': { kind: 'case', roles: 'any', format: 'html', url: (_w, c: CaseRec) => `/cases/${c.id}/documents/one-time-notice`, shows: (_w, c: CaseRec) => c.caseNo },
  '/cases/:id/documents/:doc/pdf': { kind: 'case', roles: 'any', format: 'pdf', url: (_w, c: CaseRec) => `/cases/${c.id}/documents/one-time-notice/pdf`, shows: (_w, c: CaseRec) => c.caseNo },
  '/applicants/:id': { kind: 'applicant', roles: staffRoles, format: 'html', url: (_w, a: { id: number }) => `/applicants/${a.id}`, shows: (_w, a: { name: string }) => a.name },
  '/applicants/:id/pdf': { kind: 'applicant', roles: staffRoles, format: 'pdf', url: (_w, a: { id: number }) => `/applicants/${a.id}/pdf`, shows: (_w, a: { name: string }) => a.name },
  // The villager's access report names the person masked, as on paper handed over the counter.
  '/applicants/:id/access-report': { kind: 'applicant', roles: staffRoles, format: 'html', url: (_w, a: { id: number }) => `/applicants/${a.id}/access-report`, shows: (_w, a: { name: string }) => maskName(a.name) },
  '/applicants/:id/access-report/pdf': { kind: 'applicant', roles: staffRoles, format: 'pdf', url: (_w, a: { id: number }) => `/applicants/${a.id}/access-report/pdf`, shows: (_w, a: { name: string }) => maskName(a.name) },
  // One person's accesses to personal data: any user of the county, read within the supervisor's area.
  '/privacy/access/users/:id': { kind: 'user', roles: ['supervisor', 'admin'], format: 'html', url: (_w, u: Identity) => `/privacy/access/users/${u.userId}`, shows: (_w, u: Identity) => u.displayName },
  '/villages/:id': { kind: 'village', roles: 'any', format: 'html', url: (_w, v: VillageRec) => `/villages/${v.id}`, shows: (_w, v: VillageRec) => v.name },
  '/board/:code': { kind: 'village', roles: 'public', format: 'html', url: (_w, v: VillageRec) => `/board/${v.code}`, shows: (_w, v: VillageRec) => v.name },
  '/board/:code/poster': { kind: 'village', roles: staffRoles, format: 'pdf', url: (_w, v: VillageRec) => `/board/${v.code}/poster`, shows: (_w, v: VillageRec) => v.name },
  '/admin/org/villages/:id/edit': { kind: 'village', roles: ['admin'], format: 'html', url: (_w, v: VillageRec) => `/admin/org/villages/${v.id}/edit`, shows: (_w, v: VillageRec) => v.name },
  '/admin/org/towns/:id/edit': { kind: 'town', roles: ['admin'], format: 'html', url: (_w, x: { id: number }) => `/admin/org/towns/${x.id}/edit`, shows: (_w, x: { name: string }) => x.name },
  '/admin/org/windows/:id/edit': { kind: 'window', roles: ['admin'], format: 'html', url: (_w, x: { id: number }) => `/admin/org/windows/${x.id}/edit`, shows: (_w, x: { name: string }) => x.name },
  '/admin/users/:id/edit': { kind: 'user', roles: ['admin'], format: 'html', url: (_w, u: Identity) => `/admin/users/${u.userId}/edit`, shows: (_w, u: Identity) => u.username },
  '/admin/matters/:id/edit': { kind: 'matter', roles: ['admin'], format: 'html', url: (_w, m: { id: number }) => `/admin/matters/${m.id}/edit`, shows: (_w, m: { code: string }) => m.code },
  // The public guide of a county's matter: the code names the matter, ?county= the county.
  '/guides/:code': { kind: 'matter', roles: 'public', format: 'html', url: (w, m: { code: string; county: number }) => `/guides/${m.code}?county=${w.counties[m.county].code}`, shows: (w, m: { county: number }) => w.counties[m.county].name },
  '/rectifications/:id': { kind: 'rectification', roles: ['agent', 'clerk', 'supervisor'], format: 'html', url: (_w, r: RectificationRec) => `/rectifications/${r.id}`, shows: (_w, r: RectificationRec) => `#${r.id}` },
}
// Parameters that name no record of a place.
const NOT_RECORDS: Record<string, string> = {
  '/lang/:locale': 'the language to switch to',
  '/text-size/:size': 'the text size to switch to',
  '/assets/*': 'a stylesheet or image file',
  '/assets/fonts/*': 'a font file',
  // The Open311 API is public and answers one county at a time by its jurisdiction_id, with no
  // personal data; tests/open311/open311.test.ts checks the partition and what it leaves out.
  '/open311/discovery.:format': 'the Open311 discovery document (the format)',
  '/open311/v2/discovery.:format': 'the Open311 discovery document (the format)',
  '/open311/v2/services.:format': "a county's public service list (the format)",
  '/open311/v2/services/:code.:format': 'a public service definition (matter code and format)',
  '/open311/v2/requests.:format': "a county's public request list (the format)",
  '/open311/v2/requests/:id.:format': 'a public request status by case number (tests/open311)',
  // An import job of the county's administrator: none exists here; tests/imports and the route
  // matrix (another county's administrator: 404) check them.
  '/imports/:id': 'an import job (none in this fixture)',
  '/imports/:id/errors.xlsx': 'an import job (none in this fixture)',
}

function recordsOf(world: JurisdictionWorld, kind: RecordKind): unknown[] {
  switch (kind) {
    case 'case': return world.cases
    case 'applicant': return world.applicants
    case 'village': return world.villages
    case 'town': return world.towns
    case 'window': return world.windows
    case 'user': return world.identities
    case 'matter': return world.matters
    case 'rectification': return world.rectifications
  }
}

function visibleRecord(kind: RecordKind, who: Identity, record: never): boolean {
  switch (kind) {
    case 'case': return seesCase(who, record)
    case 'applicant': return seesStationRecords(who, record)
    case 'village': return seesVillage(who, record)
    case 'rectification': return seesRectification(who, record)
    // The county's own org, people and catalogue (administrators only: the route's roles say so).
    case 'town':
    case 'window':
    case 'user':
    case 'matter':
      return who.county === (record as { county: number }).county
  }
}

// ---- Routes without an id: what each shows ----

interface ListRoute {
  roles: Roles
  format: Format
  query?: string
  /** A station's records: ?villageId= picks the station (an agent always gets its own). */
  station?: boolean
  /** Exactly what is shown, by kind; kinds not named are only checked for foreign records. */
  expect?: (world: JurisdictionWorld, who: Identity | null, station: VillageRec | null) => Partial<Record<Kind, string[]>>
  /** Queries naming records (a village to filter by, a case number or ID number to search for), with what each must show. */
  filters?: (world: JurisdictionWorld, who: Identity) => { query: string; expect?: Partial<Record<Kind, string[]>>; atLeast?: Partial<Record<Kind, string[]>> }[]
  /** Checks of a page that is not a list of records; returns what is wrong. */
  check?: (world: JurisdictionWorld, who: Identity, body: string) => Promise<string[]>
  /** Why the route shows no record of a place. */
  none?: string
}

const countyOf = (world: JurisdictionWorld, who: Identity) => ({
  villages: world.villages.filter((v) => v.county === who.county).map((v) => v.name),
  towns: world.towns.filter((v) => v.county === who.county).map((v) => v.name),
  windows: world.windows.filter((v) => v.county === who.county).map((v) => v.name),
})
const seen = (world: JurisdictionWorld, who: Identity) => world.cases.filter((c) => seesCase(who, c))
const stations = (world: JurisdictionWorld, who: Identity) => world.villages.filter((v) => seesStationRecords(who, v))
const agentOf = (world: JurisdictionWorld, village: number) => world.identities.find((i) => i.role === 'agent' && i.village === village)!
const villageName = (world: JurisdictionWorld, index: number) => world.villages[index].name
const townName = (world: JurisdictionWorld, index: number) => world.towns[index].name
const windowName = (world: JurisdictionWorld, id: number) => world.windows.find((w) => w.id === id)!.name
const applicantName = (world: JurisdictionWorld, id: number) => world.applicants.find((a) => a.id === id)!.name
const stationPicker = (world: JurisdictionWorld, who: Identity, station: VillageRec) => (who.role === 'agent' ? [station.name] : stations(world, who).map((v) => v.name))
const onStation = <T extends { village: number }>(xs: T[], station: VillageRec) => xs.filter((x) => x.village === station.index)
const townCase = (world: JurisdictionWorld, station: VillageRec) => world.cases.find((c) => c.village === station.index && c.route === 'town')!.caseNo

const NO_RECORDS = (why: string): ListRoute => ({ roles: 'any', format: 'html', none: why })
const LIST_ROUTES: Record<string, ListRoute> = {
  '/': {
    roles: 'any',
    format: 'html',
    // A supervisor's worklist filtered by village or window: the open cases in scope of that place.
    filters: (w, who) => {
      if (who.role !== 'supervisor') return []
      const open = seen(w, who).filter((c) => c.open)
      return [
        ...w.villages.map((v) => ({ query: `villageId=${v.id}`, expect: { case: open.filter((c) => c.village === v.index).map((c) => c.caseNo) } })),
        ...w.windows.map((x) => ({ query: `windowId=${x.id}`, expect: { case: open.filter((c) => c.windowId === x.id).map((c) => c.caseNo) } })),
      ]
    },
    expect: (w, who) => {
      const rows = who!.role === 'admin' ? [] : seen(w, who!).filter((c) => c.open)
      const role = who!.role
      return {
        case: rows.map((c) => c.caseNo),
        village: role === 'agent' ? [villageName(w, who!.village!)] : role === 'supervisor' ? stations(w, who!).map((v) => v.name) : uniq(rows.map((c) => villageName(w, c.village))),
        town: role === 'admin' || (role === 'clerk' && who!.town === null) ? [] : role === 'supervisor' ? uniq(stations(w, who!).map((v) => townName(w, v.town))) : [townName(w, who!.town!)],
        window: role === 'clerk' ? [windowName(w, who!.windowId!)] : role === 'supervisor' ? w.windows.filter((x) => x.county === who!.county && (who!.town === null || x.town === who!.town || x.town === null)).map((x) => x.name) : [],
        user: [who!.displayName],
      }
    },
  },
  '/cases': {
    roles: 'any',
    format: 'html',
    // Searching by case number, ID number, phone or name finds the records in scope and nothing else.
    // (Phone and name, which share the way the ID number is looked up, for one applicant of each county.)
    filters: (w, who) =>
      w.applicants.flatMap((a) => {
        const mine = seen(w, who).filter((c) => c.applicantId === a.id)
        const found = { case: mine.map((c) => c.caseNo), applicant: mine.length ? [a.name] : [] }
        const centre = w.cases.find((c) => c.applicantId === a.id && c.route === 'county')!
        return [
          { query: `q=${centre.caseNo}`, expect: { case: seesCase(who, centre) ? [centre.caseNo] : [], applicant: seesCase(who, centre) ? [a.name] : [] } },
          { query: `q=${a.idNumber}`, expect: found },
          ...(a.village === 0 || a.village === 5 ? [{ query: `q=${a.phone}`, expect: found }, { query: `q=${encodeURIComponent(a.name)}`, atLeast: found }] : []),
        ]
      }),
    expect: (w, who) => ({
      case: seen(w, who!).map((c) => c.caseNo),
      village: uniq(seen(w, who!).map((c) => villageName(w, c.village))),
      applicant: uniq(seen(w, who!).map((c) => applicantName(w, c.applicantId))),
      matter: w.matterIds[who!.county].map(String),
      user: [who!.displayName],
    }),
  },
  '/ledger': {
    roles: staffRoles,
    format: 'html',
    filters: (w, who) => w.villages.map((v) => ({ query: `villageId=${v.id}`, expect: { case: seen(w, who).filter((c) => c.village === v.index).map((c) => c.caseNo) } })),
    expect: (w, who) => ({
      case: seen(w, who!).map((c) => c.caseNo),
      village: stations(w, who!).map((v) => v.name),
      applicant: uniq(seen(w, who!).map((c) => applicantName(w, c.applicantId))),
      user: uniq([who!.displayName, ...stations(w, who!).map((v) => agentOf(w, v.index).displayName)]),
      matter: w.matterIds[who!.county].map(String),
    }),
  },
  '/ledger.csv': { roles: staffRoles, format: 'csv', expect: (w, who) => ledgerRows(w, who!) },
  '/ledger.pdf': { roles: staffRoles, format: 'pdf', expect: (w, who) => ledgerRows(w, who!) },
  '/overdue': { roles: ['supervisor', 'admin'], format: 'html', expect: (w, who) => ({ ...lateRows(w, who!), user: uniq([who!.displayName, ...late(w, who!).map((c) => agentOf(w, c.village).displayName)]) }) },
  '/overdue.csv': { roles: ['supervisor', 'admin'], format: 'csv', expect: (w, who) => ({ ...lateRows(w, who!), user: [] }) },
  '/stats': {
    roles: staffRoles,
    format: 'html',
    query: `month=${MONTH}`,
    expect: (w, who) => ({
      ...statsRows(w, who!),
      // Staff performance: the agents and windows that completed cases in the month.
      user: uniq([who!.displayName, ...stations(w, who!).map((v) => agentOf(w, v.index).displayName)]),
      window: uniq(stations(w, who!).map((v) => windowName(w, w.cases.find((c) => c.village === v.index && c.route === 'town')!.windowId!))),
    }),
  },
  '/stats.csv': { roles: staffRoles, format: 'csv', query: `month=${MONTH}`, expect: (w, who) => ({ ...statsRows(w, who!), user: [], window: [] }) },
  '/rectifications': {
    roles: ['agent', 'clerk', 'supervisor'],
    format: 'html',
    expect: (w, who) => {
      const rows = w.rectifications.filter((r) => seesRectification(who!, r))
      return {
        rectification: rows.map((r) => String(r.id)),
        // Only supervisors learn which case was rated.
        case: who!.role === 'supervisor' ? rows.map((r) => r.caseNo) : [],
        village: uniq(rows.filter((r) => r.village !== null).map((r) => villageName(w, r.village!))),
        window: uniq(rows.filter((r) => r.windowId !== null).map((r) => windowName(w, r.windowId!))),
        user: [who!.displayName],
      }
    },
  },
  '/inbox': {
    roles: 'any',
    format: 'html',
    expect: (w, who) => ({
      case: w.cases.filter((c) => toldOfCase(who!, c)).map((c) => c.caseNo),
      rectification: w.rectifications.filter((r) => toldOfRectification(who!, r)).map((r) => String(r.id)),
      user: [who!.displayName],
    }),
  },
  '/villages': {
    roles: ['clerk', 'supervisor', 'admin'],
    format: 'html',
    expect: (w, who) => {
      const villages = w.villages.filter((v) => seesVillage(who!, v))
      return { village: villages.map((v) => v.name), town: uniq(villages.map((v) => townName(w, v.town))), user: [who!.displayName] }
    },
  },
  '/admin/users': {
    roles: ['admin'],
    format: 'html',
    expect: (w, who) => ({ user: w.identities.filter((i) => i.county === who!.county).map((i) => i.displayName), village: countyOf(w, who!).villages, town: countyOf(w, who!).towns, window: countyOf(w, who!).windows }),
  },
  '/admin/users/new': { roles: ['admin'], format: 'html', expect: (w, who) => ({ user: [who!.displayName], village: countyOf(w, who!).villages, town: countyOf(w, who!).towns, window: countyOf(w, who!).windows }) },
  '/admin/org': { roles: ['admin'], format: 'html', expect: (w, who) => ({ user: [who!.displayName], village: countyOf(w, who!).villages, town: countyOf(w, who!).towns, window: countyOf(w, who!).windows }) },
  '/admin/matters': { roles: ['admin'], format: 'html', expect: (w, who) => ({ matter: w.matterIds[who!.county].map(String) }) },
  '/cases/new': {
    roles: ['agent'],
    format: 'html',
    expect: (w, who) => ({ matter: w.matterIds[who!.county].map(String), applicant: [] }),
    // The intake form takes the applicant file and the matter by id, and searches the station's files.
    filters: (w, who) => {
      const matter = w.matters.find((m) => m.county === who.county)!
      const own = w.applicants.find((a) => a.village === who.village)!
      return [
        ...w.applicants.map((a) => ({ query: `matterId=${matter.id}&applicantId=${a.id}`, expect: { applicant: a === own ? [a.name] : [], matter: w.matterIds[who.county].map(String) } })),
        ...w.matters.map((m) => ({ query: `matterId=${m.id}&applicantId=${own.id}`, expect: { applicant: m.county === who.county ? [own.name] : [], matter: w.matterIds[who.county].map(String) } })),
        // Searching the station's files for its own applicant, a neighbour's and another county's.
        ...[own, w.applicants[who.village! ^ 1], w.applicants[(who.village! + 4) % 8]].flatMap((a) =>
          [a.name, a.idNumber, a.phone].map((q) => ({ query: `matterId=${matter.id}&q=${encodeURIComponent(q)}`, atLeast: { applicant: a === own ? [a.name] : [] } })),
        ),
      ]
    },
  },
  '/admin/matters/export.json': {
    roles: ['admin'],
    format: 'json',
    check: async (w, who, body) => {
      const catalogue = JSON.parse(body) as { county: string; matters: unknown[] }
      const problems: string[] = []
      if (catalogue.county !== w.counties[who.county].code) problems.push(`exports county ${catalogue.county}`)
      if (catalogue.matters.length !== w.matterIds[who.county].length) problems.push(`${catalogue.matters.length} matters, the county has ${w.matterIds[who.county].length}`)
      return problems
    },
  },
  '/admin/ledger/verify': {
    roles: ['admin'],
    format: 'html',
    check: async (w, who, body) => {
      const countyId = w.counties[who.county].id
      const events = await w.db.selectFrom('caseEvents').select((eb) => eb.fn.countAll<string>().as('n')).where('countyId', '=', countyId).executeTakeFirstOrThrow()
      const fees = await w.db.selectFrom('feeEntries').select((eb) => eb.fn.countAll<string>().as('n')).where('countyId', '=', countyId).executeTakeFirstOrThrow()
      const reports = [...body.matchAll(/完整：(\d+) 个服务站共 (\d+) 条记录/g)].map((m) => `${m[1]}/${m[2]}`)
      const wanted = [`4/${events.n}`, `4/${fees.n}`]
      return same(new Set(reports), wanted) && reports.length === 2 ? [] : [`chains ${reports.join(', ')}, the county's are ${wanted.join(', ')}`]
    },
  },
  '/board': { roles: 'public', format: 'html', expect: (w) => ({ village: w.villages.map((v) => v.name) }) },
  // A station's records.
  '/fees': { roles: staffRoles, format: 'html', station: true, query: `from=${INTAKE_DAY}&to=${INTAKE_DAY}`, expect: (w, who, s) => ({ ...feeRows(w, s!), village: stationPicker(w, who!, s!), user: uniq([who!.displayName, agentOf(w, s!.index).displayName]) }) },
  '/fees.csv': { roles: staffRoles, format: 'csv', station: true, query: `from=${INTAKE_DAY}&to=${INTAKE_DAY}`, expect: (w, _who, s) => ({ ...feeRows(w, s!), village: [], user: [agentOf(w, s!.index).displayName] }) },
  '/fees/pdf': { roles: staffRoles, format: 'pdf', station: true, query: `from=${INTAKE_DAY}&to=${INTAKE_DAY}`, expect: (w, _who, s) => ({ ...feeRows(w, s!), village: [s!.name], user: [agentOf(w, s!.index).displayName] }) },
  '/fees/settlement': {
    roles: staffRoles,
    format: 'html',
    station: true,
    query: `day=${INTAKE_DAY}`,
    expect: (w, who, s) => ({ amount: onStation(w.fees, s!).map((f) => f.amount), fee: [], village: stationPicker(w, who!, s!), user: uniq([who!.displayName, agentOf(w, s!.index).displayName]) }),
  },
  '/fees/report': { roles: staffRoles, format: 'html', station: true, query: `from=${INTAKE_DAY}&to=${INTAKE_DAY}`, expect: (w, who, s) => ({ amount: onStation(w.fees, s!).map((f) => f.amount), village: stationPicker(w, who!, s!) }) },
  '/fees/report/pdf': { roles: staffRoles, format: 'pdf', station: true, query: `from=${INTAKE_DAY}&to=${INTAKE_DAY}`, expect: (w, _who, s) => ({ amount: onStation(w.fees, s!).map((f) => f.amount), village: [s!.name] }) },
  '/visits': { roles: staffRoles, format: 'html', station: true, query: `month=${MONTH}`, expect: (w, who, s) => ({ ...visitRows(w, s!), village: stationPicker(w, who!, s!), user: uniq([who!.displayName, agentOf(w, s!.index).displayName]) }) },
  '/visits.csv': { roles: staffRoles, format: 'csv', station: true, query: `month=${MONTH}`, expect: (w, _who, s) => ({ ...visitRows(w, s!), village: [], user: [agentOf(w, s!.index).displayName] }) },
  '/visits/pdf': { roles: staffRoles, format: 'pdf', station: true, query: `month=${MONTH}`, expect: (w, _who, s) => ({ ...visitRows(w, s!), village: [s!.name], user: [agentOf(w, s!.index).displayName] }) },
  '/notices': { roles: ['agent', 'supervisor'], format: 'html', station: true, expect: (w, who, s) => ({ notice: onStation(w.notices, s!).map((n) => n.title), village: [s!.name], user: [who!.displayName] }) },
  // Pages that show no record of a place (forms, the calendar, the catalogue's schema, system pages).
  '/healthz': { ...NO_RECORDS('the health check'), roles: 'public', format: 'json' },
  '/login': { ...NO_RECORDS('the login form'), roles: 'public' },
  '/account/password': NO_RECORDS('the password form'),
  '/deadline': { ...NO_RECORDS('the deadline calculator'), roles: 'public' },
  '/api/v1/deadline': { ...NO_RECORDS('the deadline calculator'), roles: 'public', format: 'json', query: `start=${INTAKE_DAY}&days=3` },
  '/schemas/calendar-year.json': { ...NO_RECORDS('a JSON schema'), roles: 'public', format: 'json' },
  '/schemas/matter-catalogue.json': { ...NO_RECORDS('a JSON schema'), roles: 'public', format: 'json' },
  '/guides': { ...NO_RECORDS("a county's public service guides"), roles: 'public' },
  '/lookup': { ...NO_RECORDS('the public look-up form'), roles: 'public' },
  '/admin/calendar': { ...NO_RECORDS('the working-day calendar (one for the installation)'), roles: ['admin'] },
  '/admin/calendar/import': { ...NO_RECORDS('the calendar import form'), roles: ['admin'] },
  '/admin/matters/new': { ...NO_RECORDS('the new-matter form'), roles: ['admin'] },
  '/admin/matters/import': { ...NO_RECORDS('the catalogue import form'), roles: ['admin'] },
  '/admin/jobs': { ...NO_RECORDS('the job runs (no job has run here)'), roles: ['admin'] },
  '/admin/api-keys': { ...NO_RECORDS('the partner keys (none issued here)'), roles: ['admin'] },
  '/privacy/access': { ...NO_RECORDS('the unusual reveals (none made here: tests/privacy/unusual-access.test.ts)'), roles: ['supervisor', 'admin'] },
  '/imports': { ...NO_RECORDS('the import page (no job here)'), roles: ['admin'] },
  // The month's ratings for the provincial platform: the rated cases in scope, with their applicants.
  '/ratings/export.csv': { roles: ['supervisor', 'admin'], format: 'csv', query: `month=${MONTH}`, expect: (w, who) => ratedRows(w, who!) },
  '/ratings/export.json': { roles: ['supervisor', 'admin'], format: 'json', query: `month=${MONTH}`, expect: (w, who) => ratedRows(w, who!) },
  '/imports/template.xlsx': { ...NO_RECORDS('an empty import template'), roles: ['admin'], format: 'xlsx', query: 'kind=cases' },
}

// Each .xlsx export shows exactly what the CSV beside it shows (server/exports/table.ts writes both from one table).
// (The 好差评 export is CSV and JSON, the provincial platforms' formats: no workbook.)
for (const [url, spec] of Object.entries(LIST_ROUTES)) if (url.endsWith('.csv') && !url.startsWith('/ratings/')) LIST_ROUTES[url.replace(/\.csv$/, '.xlsx')] = { ...spec, format: 'xlsx' }

function ledgerRows(w: JurisdictionWorld, who: Identity): Partial<Record<Kind, string[]>> {
  const rows = seen(w, who)
  return { case: rows.map((c) => c.caseNo), village: uniq(rows.map((c) => villageName(w, c.village))), applicant: uniq(rows.map((c) => applicantName(w, c.applicantId))), user: uniq(rows.map((c) => agentOf(w, c.village).displayName)) }
}
const late = (w: JurisdictionWorld, who: Identity) => seen(w, who).filter((c) => c.late)
function lateRows(w: JurisdictionWorld, who: Identity): Partial<Record<Kind, string[]>> {
  const rows = late(w, who)
  return { case: rows.map((c) => c.caseNo), village: uniq(rows.map((c) => villageName(w, c.village))), town: uniq(rows.map((c) => townName(w, c.town))), window: uniq(rows.map((c) => windowName(w, c.windowId!))) }
}
function statsRows(w: JurisdictionWorld, who: Identity): Partial<Record<Kind, string[]>> {
  const villages = stations(w, who)
  return { village: villages.map((v) => v.name), town: uniq(villages.map((v) => townName(w, v.town))), case: [] }
}
function ratedRows(w: JurisdictionWorld, who: Identity): Partial<Record<Kind, string[]>> {
  // The fixture's villagers rate the town windows' and the stations' cases; the county centre's are still open.
  const rows = seen(w, who).filter((c) => c.route !== 'county')
  return { case: rows.map((c) => c.caseNo), applicant: uniq(rows.map((c) => applicantName(w, c.applicantId))) }
}
function feeRows(w: JurisdictionWorld, s: VillageRec): Partial<Record<Kind, string[]>> {
  return { fee: onStation(w.fees, s).map((f) => f.serial), amount: onStation(w.fees, s).map((f) => f.amount), case: [townCase(w, s)] }
}
function visitRows(w: JurisdictionWorld, s: VillageRec): Partial<Record<Kind, string[]>> {
  return { visit: onStation(w.visits, s).map((v) => v.told), case: [townCase(w, s)], applicant: onStation(w.applicants, s).map((a) => a.name) }
}

// ---- The test ----

t.test('every identity sees its own jurisdiction on every GET route, and nothing else', async (t) => {
  const started = Date.now()
  // As many PDF renderings at once as identities asked side by side (each user holds at most one slot less than all).
  const w = await setupJurisdiction(t, { pdfConcurrency: WORKERS + 1, exportConcurrency: WORKERS + 1 })
  t.comment(`world built in ${Date.now() - started} ms: ${w.identities.length} identities, ${w.cases.length} cases, ${w.rectifications.length} rectifications, ${w.notifications.length} notifications; today ${w.today}`)
  t.ok(w.app.printing.available, 'Chromium renders the PDFs (otherwise PDF routes answer with a redirect)')

  const browsers = new Map<Who, Browser>()
  browsers.set(null, w.browser())
  await pool(w.identities, WORKERS, async (who) => {
    const browser = w.browser()
    await browser.login(who.username, who.password)
    browsers.set(who, browser)
  })
  const everyone: Who[] = [null, ...w.identities]

  const gets = uniq(w.app.routeTable.filter((r) => r.method === 'GET').map((r) => r.url))
  // JURISDICTION_ONLY=/cases,/ledger.pdf asks only those routes again (the tables are still checked whole).
  const only = process.env.JURISDICTION_ONLY?.split(',')
  const asked = (url: string) => !only || only.includes(url)
  const withParams = gets.filter((url) => /[:*]/.test(url))
  const withoutParams = gets.filter((url) => !/[:*]/.test(url))

  // Every route is known: a new one must say which record its id names, or what its page shows.
  t.same(withParams.filter((url) => !(url in ID_ROUTES) && !(url in NOT_RECORDS)), [], 'every GET route with a parameter names a kind of record (or is listed as naming none)')
  t.same(withoutParams.filter((url) => !(url in LIST_ROUTES)), [], 'every GET route without a parameter says what it shows')
  for (const [url, spec] of [...Object.entries(ID_ROUTES), ...Object.entries(LIST_ROUTES)]) {
    if (!gets.includes(url)) t.fail(`${url} is in the tables but not in the app`)
    else t.ok(sameRoles(spec.roles, appRoles(w, url)), `${url}: who may open it (${JSON.stringify(spec.roles)}) as the app declares (${JSON.stringify(appRoles(w, url))})`)
  }

  // Time spent per route (requests run side by side, so these add up to more than the wall clock).
  const spent = new Map<string, number>()
  let pdfs = 0

  // ---- 1. Routes with an id ----
  const idStarted = Date.now()
  const idRoutes = withParams.filter((url) => url in ID_ROUTES && asked(url))
  const wrongById = new Map<string, string[]>(idRoutes.map((url) => [url, []]))
  const leaksById = new Map<string, string[]>(idRoutes.map((url) => [url, []]))
  let idRequests = 0
  await pool(everyone, WORKERS, async (who) => {
    const browser = browsers.get(who)!
    for (const url of idRoutes) {
      const route = ID_ROUTES[url]
      for (const record of recordsOf(w, route.kind)) {
        const visible = who !== null && visibleRecord(route.kind, who, record as never)
        const expected = expectedStatus(route.roles, who, visible)
        const path = route.url(w, record as never)
        const began = Date.now()
        const res = await browser.get(path)
        spent.set(url, (spent.get(url) ?? 0) + Date.now() - began)
        idRequests++
        const wrong = wrongById.get(url)!
        if (res.statusCode !== expected) {
          wrong.push(`${label(who)} GET ${path}: ${res.statusCode}, expected ${expected}`)
          continue
        }
        if (expected === 303 && !String(res.headers.location).startsWith('/login')) wrong.push(`${label(who)} GET ${path}: redirected to ${res.headers.location}, expected /login`)
        const { text, flat } = await textOf(res, route.format)
        if (route.format === 'pdf' && res.statusCode === 200) pdfs++
        const marker = route.shows(w, record as never)
        if (expected === 200 && !flat.includes(route.format === 'pdf' ? marker.replace(/\s+/g, '') : marker)) wrong.push(`${label(who)} GET ${path}: 200 without ${marker}`)
        if (who && route.roles !== 'public') {
          const bad = foreign(w, who, extract(w, text, flat))
          if (bad.length) leaksById.get(url)!.push(`${label(who)} GET ${path} (${res.statusCode}) shows ${bad.join(', ')}`)
        }
      }
    }
  })
  let idTotal = 0
  for (const url of idRoutes) {
    const records = recordsOf(w, ID_ROUTES[url].kind).length
    idTotal += everyone.length * records
    t.same(wrongById.get(url), [], `${url}: ${everyone.length} identities × ${records} ${ID_ROUTES[url].kind} records answer as the scope rules say`)
    t.same(leaksById.get(url), [], `${url}: no answer shows a record outside the identity's scope`)
  }
  t.equal(idRequests, idTotal, 'every identity asked for every record on every id route')
  t.comment(`id routes: ${everyone.length} identities × ${idRoutes.length} routes × their records (${idRoutes.map((u) => `${u} ${recordsOf(w, ID_ROUTES[u].kind).length}`).join(', ')}) = ${idRequests} requests in ${Date.now() - idStarted} ms`)

  // ---- 2. Routes without an id ----
  const listStarted = Date.now()
  const wrongByList = new Map<string, string[]>(withoutParams.map((url) => [url, []]))
  let listRequests = 0
  let listCompared = 0
  await pool(everyone, WORKERS, async (who) => {
    const browser = browsers.get(who)!
    for (const url of withoutParams) {
      const spec = LIST_ROUTES[url]
      if (!spec || !asked(url)) continue
      const wrong = wrongByList.get(url)!
      // What is asked: the page as it opens; a station page once per station asked for; a page with
      // filters naming records (a village, a case number, an applicant) once per record named.
      const variants: { query: string; expected: number; expect: Partial<Record<Kind, string[]>> | null; atLeast?: Partial<Record<Kind, string[]>> }[] = []
      const base = expectedStatus(spec.roles, who, true)
      const expectFor = (station: VillageRec | null) => spec.expect?.(w, who, station) ?? null
      if (!spec.station || !who || base !== 200) variants.push({ query: '', expected: url === '/login' && who ? 303 : base, expect: base === 200 ? expectFor(null) : null })
      else if (who.role === 'agent') {
        const own = w.villages[who.village!]
        // An agent's station is its own whatever it asks for: asked for a neighbour's or another county's, it still gets its own.
        variants.push({ query: '', expected: 200, expect: expectFor(own) })
        if (spec.format !== 'pdf') for (const other of [w.villages[who.village! ^ 1], w.villages[(who.village! + 4) % 8]]) variants.push({ query: `villageId=${other.id}`, expected: 200, expect: expectFor(own) })
      } else {
        // Supervisors and administrators: the first station of their area, then each village by id
        // (a PDF is rendered for one station of the area: each rendering costs a second or so).
        const mine = stations(w, who)
        if (spec.format !== 'pdf') variants.push({ query: '', expected: 200, expect: expectFor(mine[0]) })
        for (const v of w.villages) {
          if (!mine.includes(v)) variants.push({ query: `villageId=${v.id}`, expected: 404, expect: null })
          else if (spec.format !== 'pdf' || v === mine[mine.length - 1]) variants.push({ query: `villageId=${v.id}`, expected: 200, expect: expectFor(v) })
        }
      }
      if (who && base === 200 && spec.filters) for (const f of spec.filters(w, who)) variants.push({ query: f.query, expected: 200, expect: f.expect ?? null, atLeast: f.atLeast })
      for (const variant of variants) {
        const query = [spec.query, variant.query].filter(Boolean).join('&')
        const path = query ? `${url}?${query}` : url
        const began = Date.now()
        const res = await browser.get(path)
        spent.set(url, (spent.get(url) ?? 0) + Date.now() - began)
        listRequests++
        const expected = variant.expected
        if (res.statusCode !== expected) {
          wrong.push(`${label(who)} GET ${path}: ${res.statusCode}, expected ${expected}${res.statusCode >= 500 ? ` (${res.body.slice(0, 200)})` : ''}`)
          continue
        }
        if (expected === 303 && !who && !String(res.headers.location).startsWith('/login')) wrong.push(`${label(who)} GET ${path}: redirected to ${res.headers.location}, expected /login`)
        const { text, flat } = await textOf(res, spec.format)
        if (spec.format === 'pdf' && res.statusCode === 200) pdfs++
        const shown = extract(w, text, flat)
        if (who && spec.roles !== 'public') {
          const bad = foreign(w, who, shown)
          if (bad.length) wrong.push(`${label(who)} GET ${path} (${res.statusCode}) shows ${bad.join(', ')}`)
        }
        if (res.statusCode !== 200) continue
        // A fuzzy search may add similar names of the identity's own area (checked above for foreign ones): what it must find, it finds.
        for (const [kind, want] of Object.entries(variant.atLeast ?? {}) as [Kind, string[]][]) {
          const missing = want.filter((x) => !shown[kind].has(x))
          if (missing.length) wrong.push(`${label(who)} GET ${path}: ${kind} ${missing.join(' ')} not shown`)
        }
        if (variant.expect) {
          listCompared++
          for (const [kind, want] of Object.entries(variant.expect) as [Kind, string[]][]) {
            if (!same(shown[kind], want)) {
              const got = [...shown[kind]]
              wrong.push(`${label(who)} GET ${path}: ${kind} shown [${got.sort().join(' ')}], may see [${uniq(want).sort().join(' ')}] (missing: ${want.filter((x) => !shown[kind].has(x)).join(' ') || '-'}; foreign: ${got.filter((x) => !want.includes(x)).join(' ') || '-'})`)
            }
          }
        }
        if (spec.check && who) wrong.push(...(await spec.check(w, who, text)).map((p) => `${label(who)} GET ${path}: ${p}`))
      }
    }
  })
  for (const url of withoutParams.filter(asked)) t.same(wrongByList.get(url), [], `${url}: ${LIST_ROUTES[url]?.none ? `shows no record (${LIST_ROUTES[url].none}); nothing foreign` : 'shows exactly what each identity may see'}`)
  t.comment(`routes without an id: ${everyone.length} identities × ${withoutParams.filter(asked).length} routes (a station page once per station asked for, a filtered page once per record named) = ${listRequests} requests, ${listCompared} record sets compared, in ${Date.now() - listStarted} ms`)
  t.comment(`${pdfs} PDFs rendered and read with pdftotext`)
  t.comment(`slowest routes (summed request time): ${[...spent].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([url, ms]) => `${url} ${ms} ms`).join(', ')}`)
  t.comment(`total ${Date.now() - started} ms`)
})
