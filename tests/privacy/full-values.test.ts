import t from 'tap'
import { sql } from 'kysely'
import type { Browser } from '../fixtures/browser.ts'
import { setupJurisdiction, type Identity, type JurisdictionWorld } from '../fixtures/jurisdiction.ts'

/**
 * Need to see, found by a rule rather than by hand (issue 29, M2): every page a staff member can
 * reach by following the links and submitting the search forms of the pages before it, as each
 * role, in two counties. A page (or CSV, or JSON) that shows an applicant's full ID number or full
 * phone must have written an access record in the same request (a recorded reveal or export);
 * any other page shows them masked. A value the person typed into the address (a search by phone)
 * may be echoed back; nothing else.
 */
t.setTimeout(10 * 60_000)

// One identity of each kind: the place roles differ in what they reach, not the places.
const KINDS = ['agent', 'clerk', 'supervisor', 'admin'] as const
const MAX_PAGES_PER_IDENTITY = 600
// Not pages, or leaving the session: never followed.
const NOT_FOLLOWED = /^\/(logout|lang\/|text-size\/|assets\/|open311\/)|\.(pdf|xlsx)(\?|$)|\/pdf(\?|$)/

const count = async (w: JurisdictionWorld) => Number((await sql<{ n: string }>`select count(*)::text as n from personal_data_access`.execute(w.db)).rows[0].n)

/** Same-site links and GET forms of a page, as the addresses a person could open next. */
function nextAddresses(html: string, searchValues: string[]): string[] {
  const out: string[] = []
  for (const m of html.matchAll(/<a\b[^>]*\shref="([^"]+)"/g)) {
    const href = m[1].replace(/&amp;/g, '&')
    if (href.startsWith('/') && !href.startsWith('//')) out.push(href.split('#')[0])
  }
  // A GET form: each text or search field filled with each value a person might type, one at a time.
  for (const form of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    const attrs = form[1]
    if (/method="post"/i.test(attrs)) continue
    const action = (/action="([^"]*)"/.exec(attrs)?.[1] ?? '').replace(/&amp;/g, '&')
    if (!action.startsWith('/')) continue
    const hidden = [...form[2].matchAll(/<input\b[^>]*type="hidden"[^>]*>/g)].map((i) => [/name="([^"]+)"/.exec(i[0])?.[1], /value="([^"]*)"/.exec(i[0])?.[1] ?? ''] as const).filter(([n]) => n)
    const typed = [...form[2].matchAll(/<input\b[^>]*>/g)].map((i) => i[0]).filter((i) => /type="(search|text)"/.test(i) || !/type=/.test(i)).map((i) => /name="([^"]+)"/.exec(i)?.[1]).filter((n): n is string => !!n)
    // A choice list: its first real option, as a person picks one before searching.
    const chosen = [...form[2].matchAll(/<select\b[^>]*name="([^"]+)"[^>]*>([\s\S]*?)<\/select>/g)].map((s) => [s[1], /<option\b[^>]*value="([^"]+)"/.exec(s[2])?.[1] ?? ''] as const)
    const address = (extra: [string, string][]) => {
      const params = new URLSearchParams()
      for (const [n, v] of [...hidden, ...chosen, ...extra]) params.set(n!, v.replace(/&amp;/g, '&'))
      return `${action.split('?')[0]}?${params}`
    }
    if (typed.length === 0 && chosen.length > 0) out.push(address([]))
    for (const name of typed) for (const value of searchValues) out.push(address([[name, value]]))
  }
  return out
}

t.test('no page shows a full ID number or phone without recording it', async (t) => {
  const w = await setupJurisdiction(t)
  const identities: Identity[] = KINDS.map((role) => w.identities.find((i) => i.role === role && i.county === 0 && (role !== 'supervisor' || i.town !== null))!)
  const fullValues = w.applicants.flatMap((a) => [
    { value: a.idNumber, what: `ID number of ${a.name}` },
    { value: a.phone, what: `phone of ${a.name}` },
  ])
  // What a person types into a search box: a name, a phone, an ID number (and its first digits).
  const searches = [...new Set(w.applicants.flatMap((a) => [a.name, a.name.slice(0, 1), a.phone.slice(-4)]))]

  const leaks: string[] = []
  let visited = 0
  for (const who of identities) {
    const browser: Browser = w.browser()
    await browser.login(who.username, who.password)
    const seen = new Set<string>()
    const queue = ['/']
    while (queue.length > 0 && seen.size < MAX_PAGES_PER_IDENTITY) {
      const url = queue.shift()!
      if (seen.has(url) || NOT_FOLLOWED.test(url)) continue
      seen.add(url)
      const before = await count(w)
      const res = await browser.get(url)
      const recorded = (await count(w)) > before
      visited++
      const type = String(res.headers['content-type'] ?? '')
      if (!/text\/html|text\/csv|json/.test(type)) continue
      const body = res.body
      const typed = decodeURIComponent(url)
      for (const { value, what } of fullValues) {
        if (typed.includes(value)) continue
        if ((body.includes(value) || body.toUpperCase().includes(value.toUpperCase())) && !recorded) leaks.push(`${who.key} GET ${url} (${res.statusCode}) shows the ${what} with no access record`)
      }
      if (res.statusCode === 200 && type.includes('text/html')) {
        for (const next of nextAddresses(body, searches)) if (!seen.has(next)) queue.push(next)
      }
    }
    t.ok(seen.size > 30, `${who.key}: ${seen.size} pages reached by links and searches`)
  }
  t.comment(`${visited} pages visited`)
  for (const leak of leaks.slice(0, 40)) t.comment(leak)
  t.same(leaks, [], 'every full ID number or phone shown was recorded')
})
