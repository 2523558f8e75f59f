import t from 'tap'
import { sql } from 'kysely'
import { setupJurisdiction, MONTH, type Identity, type JurisdictionWorld } from '../fixtures/jurisdiction.ts'

/**
 * Issue 29, L6: a GET that writes an access record (an export with personal data, a villager's
 * access report) must not be plantable by another site with a link. Found by a rule: every GET
 * route of the app, as each kind of staff member, is asked as this site's pages ask it (the
 * browser says same-origin); whatever writes an access record then must, asked by another site,
 * write nothing and show the confirm page, and, asked with the session's token the pages put on
 * their links, write its record as before.
 */
t.setTimeout(10 * 60_000)

const count = async (w: JurisdictionWorld) => Number((await sql<{ n: string }>`select count(*)::text as n from personal_data_access`.execute(w.db)).rows[0].n)

/** A path of a route with its parameters filled by ordinary values of the world (each record kind's first). */
function pathsOf(w: JurisdictionWorld, who: Identity, url: string): string[] {
  if (!/:/.test(url)) return [url]
  const applicant = w.applicants.find((a) => a.county === who.county && (who.village === null || a.village === who.village))!
  const village = w.villages.find((v) => v.county === who.county && (who.village === null || v.index === who.village))!
  const filled = url
    .replace(':locale', 'en')
    .replace(':size', 'large')
    .replace(':format', 'json')
    .replace(':code', village.code)
    .replace(':doc', 'acceptance-notice')
  if (!filled.includes(':id')) return [filled]
  // An id route: an applicant's for the person file's routes, the identity's first case for the rest.
  const caseId = w.cases.find((c) => c.county === who.county && (who.village === null || c.village === who.village))!.id
  return [filled.replace(':id', String(url.startsWith('/applicants/') ? applicant.id : caseId))]
}

t.test('every GET that records an access answers another site with a confirm page and writes nothing', async (t) => {
  const w = await setupJurisdiction(t)
  const identities = (['agent', 'supervisor', 'admin'] as const).map((role) => w.identities.find((i) => i.role === role && i.county === 0 && (role !== 'supervisor' || i.town === null))!)
  const routes = [...new Set(w.app.routeTable.filter((r) => r.method === 'GET').map((r) => r.url))].filter((url) => !/^\/(logout|lang|text-size|assets|open311)\b/.test(url))
  const query = `month=${MONTH}&from=${MONTH}-01&to=${MONTH}-31`

  const recording = new Set<string>()
  const problems: string[] = []
  for (const who of identities) {
    const browser = w.browser()
    await browser.login(who.username, who.password)
    const recordedHere = new Set<string>()
    for (const url of routes) {
      for (const path of pathsOf(w, who, url)) {
        // Bare, and with the month and dates the exports ask for (tried only if the bare one records nothing).
        for (const address of [path, `${path}?${query}`]) {
          if (recordedHere.has(path)) break
          // As another site's link would open it: nothing written, the confirm page.
          const before = await count(w)
          const planted = await browser.get(address, { 'sec-fetch-site': 'cross-site' })
          if ((await count(w)) !== before) problems.push(`${who.key} ${address}: another site's link wrote an access record (${planted.statusCode})`)
          // As this site's page opens it.
          const own = await browser.get(address)
          if ((await count(w)) === before) continue
          recording.add(url)
          recordedHere.add(path)
          if (planted.statusCode !== 200 || !planted.body.includes('确认打开')) problems.push(`${who.key} ${address}: another site's link got ${planted.statusCode} without the confirm page`)
          if (own.statusCode !== 200) problems.push(`${who.key} ${address}: recorded and answered ${own.statusCode}`)
          // The confirm page's own link carries the token, and opens it from any browser.
          const href = /<a href="([^"]+confirm(?:=|&#x3D;)[^"]+)" role="button" id="confirm-recorded">/.exec(planted.body)?.[1]?.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&')
          const middle = await count(w)
          const confirmed = href ? await browser.get(href, { 'sec-fetch-site': 'cross-site' }) : null
          if (!confirmed || confirmed.statusCode !== 200 || (await count(w)) !== middle + 1) problems.push(`${who.key} ${address}: the confirm link did not open it (${confirmed?.statusCode}) with one record`)
          // A token of another session (or made up) is no token.
          const forged = await browser.get(`${path}?${query}&confirm=${'A'.repeat(32)}`, { 'sec-fetch-site': 'cross-site' })
          if (!forged.body.includes('确认打开') || (await count(w)) !== middle + 1) problems.push(`${who.key} ${address}: a made-up token was taken`)
          // And no address of the record keeps the token.
          const pages = await w.db.selectFrom('personalDataAccess').select('page').where('page', 'like', '%confirm=%').execute()
          if (pages.length) problems.push(`${who.key} ${address}: a record keeps the token in its page`)
        }
      }
    }
  }
  t.same(problems, [], 'no recorded GET can be planted from another site')
  t.same([...recording].sort(), [
    '/applicants/:id/access-report',
    '/applicants/:id/access-report/pdf',
    '/applicants/:id/pdf',
    '/fees.csv',
    '/fees.xlsx',
    '/fees/pdf',
    '/ledger.csv',
    '/ledger.pdf',
    '/ledger.xlsx',
    '/ratings/export.csv',
    '/ratings/export.json',
    '/visits.csv',
    '/visits.xlsx',
    '/visits/pdf',
  ].sort(), 'the routes that record are the exports and reports with personal data')
  const marked = w.app.routeTable.filter((r) => r.method === 'GET' && r.recordsAccess).map((r) => r.url)
  t.same([...recording].filter((u) => !marked.includes(u)), [], 'every route that records is marked recordsAccess')
})

t.test('the pages put the session token on their recorded links', async (t) => {
  const w = await setupJurisdiction(t)
  const agent = w.identities.find((i) => i.role === 'agent' && i.county === 0)!
  const browser = w.browser()
  await browser.login(agent.username, agent.password)
  const ledger = await browser.get('/ledger')
  t.equal(ledger.statusCode, 200)
  const links = [...ledger.body.matchAll(/href="(\/ledger\.(csv|xlsx|pdf)\?[^"]*)"/g)].map((m) => m[1].replace(/&#x3D;/g, '=').replace(/&amp;/g, '&'))
  t.equal(links.length, 3, 'the three exports')
  for (const link of links) {
    t.match(link, /[?&]confirm=[\w-]{32}(&|$)/, `${link}: carries the token`)
    const before = await count(w)
    const res = await browser.get(link, { 'sec-fetch-site': 'cross-site' })
    t.equal(res.statusCode, 200)
    t.notMatch(res.body, '确认打开', `${link}: opens without asking`)
    t.equal(await count(w), before + 1, `${link}: one record`)
  }
  // Opened from outside any page (a link in a mail, a chat or a document: Sec-Fetch-Site none), without the token: asked first.
  const bare = links[0].replace(/[?&]confirm=[\w-]+/, '')
  const before = await count(w)
  const outside = await browser.get(bare, { 'sec-fetch-site': 'none' })
  t.equal(outside.statusCode, 200)
  t.match(outside.body, '确认打开', 'a link from a mail or a chat asks first')
  t.equal(await count(w), before, 'and records nothing')

  // A token of the right length in characters but not in bytes is no token either (not a 500).
  const wide = await browser.get(`${bare}&confirm=${encodeURIComponent('中'.repeat(32))}`, { 'sec-fetch-site': 'cross-site' })
  t.equal(wide.statusCode, 200, 'a token of other characters: the confirm page, not an error')
  t.match(wide.body, '确认打开')

  // Another session of the same person has another token: a link copied from one does not serve another.
  const other = w.browser()
  await other.login(agent.username, agent.password)
  const res = await other.get(links[0], { 'sec-fetch-site': 'cross-site' })
  t.equal(res.statusCode, 200)
  t.match(res.body, '确认打开', 'a token of another session asks first')
})
