import t from 'tap'
import type { Page } from 'puppeteer'
import { launchChromium, signIn } from '../fixtures/chromium.ts'
import { setupCaseWorld, APPLICANT } from '../fixtures/cases.ts'

/** The whole journey in a real Chromium: forms, CSRF tokens, redirects — no JavaScript needed by the pages. */
t.test('in a browser, agent, clerk and supervisor take a case from intake to closed', async (t) => {
  const w = await setupCaseWorld(t, '2026-02-13 10:00')
  await w.app.listen({ port: 0, host: '127.0.0.1' })
  const base = `http://127.0.0.1:${(w.app.server.address() as { port: number }).port}`
  const browser = await launchChromium()
  t.teardown(() => browser.close())

  async function session(username: string, password: string): Promise<Page> {
    const context = await browser.createBrowserContext()
    const page = await context.newPage()
    page.setDefaultTimeout(15000)
    await signIn(page, base, username, password)
    return page
  }
  async function step(page: Page, action: string, fill?: (page: Page) => Promise<void>) {
    await page.click(`#step-${action} > summary`)
    await fill?.(page)
    await Promise.all([page.waitForNavigation(), page.click(`#step-${action} > form > button[type=submit]`)])
  }
  const text = (page: Page) => page.evaluate(() => document.body.innerText)

  const agent = await session(w.agent.username, w.agent.password)
  await agent.goto(`${base}/cases/new?matterId=${await w.matterId('MZ-03')}`)
  await agent.type('input[name=name]', APPLICANT.name)
  await agent.type('input[name=idNumber]', APPLICANT.idNumber)
  await agent.type('input[name=phone]', APPLICANT.phone)
  for (const box of await agent.$$('input[name=materialsReceived]')) await box.click()
  await Promise.all([agent.waitForNavigation(), agent.click('form[action="/cases"] button[type=submit]')])
  const caseUrl = agent.url().replace(/\?.*$/, '')
  let body = await text(agent)
  t.match(body, '已受理')
  t.match(body, /报送截止\s+2026-02-25/, 'forward due over the Spring Festival')

  // The ID number is masked on the page; "显示" shows it in full, and back leads to the case.
  t.notMatch(body, APPLICANT.idNumber, 'the ID number masked')
  await Promise.all([agent.waitForNavigation(), agent.click('form.reveal:has(input[value="id_number"]) button')])
  t.match(await text(agent), APPLICANT.idNumber, 'shown in full after 显示')
  t.match(await text(agent), '此次查看已记录')
  await Promise.all([agent.waitForNavigation(), agent.click('main a[role="button"][href^="/cases/"]')])
  t.equal(agent.url(), caseUrl, 'back to the case')

  await step(agent, 'forward')
  t.match(await text(agent), '已报送')

  // A forbidden step posted by hand from the page is refused.
  await agent.evaluate(() => {
    const form = document.createElement('form')
    form.method = 'post'
    form.action = `${location.pathname}/receive`
    for (const [name, value] of [['_csrf', (document.querySelector('input[name=_csrf]') as HTMLInputElement).value], ['version', (document.querySelector('input[name=version]') as HTMLInputElement)?.value ?? '1']]) {
      const input = document.createElement('input')
      input.name = name
      input.value = value
      form.append(input)
    }
    document.body.append(form)
    form.submit()
  })
  await agent.waitForNavigation()
  t.match(await text(agent), '不能进行这项操作', 'the agent cannot receive for the window')

  const clerk = await session(w.clerk.username, w.clerk.password)
  await clerk.goto(caseUrl)
  await step(clerk, 'receive')
  t.match(await text(clerk), '办理中')
  await step(clerk, 'complete', async (p) => {
    await p.select('#step-complete select[name=outcome]', 'approved')
    await p.type('#step-complete textarea[name=handback]', '低保证')
  })
  body = await text(clerk)
  t.match(body, '已办结')
  t.match(body, /回复截止\s+2026-02-24/, 'reply due: the make-up Saturday 14th, then the 24th')

  const supervisor = await session(w.supervisor.username, w.supervisor.password)
  await supervisor.goto(`${base}/`)
  t.match(await text(supervisor), '辖区在办件')

  // The reply step's phone is masked; its button (outside forms, joined by form="reply-call") reveals it to call.
  await agent.goto(caseUrl)
  await agent.click('#step-reply > summary')
  t.notMatch(await text(agent), '13912345678', 'the reply step shows the phone masked')
  await Promise.all([agent.waitForNavigation(), agent.click('#step-reply button[form=reply-call]')])
  t.equal(await agent.$eval('[data-revealed] a', (a) => a.getAttribute('href')), 'tel:13912345678', 'the revealed phone is a tel: link')
  await agent.goto(caseUrl)
  await step(agent, 'reply', async (p) => {
    await p.select('#step-reply select[name=how]', 'station')
    await p.select('#step-reply select[name=overall]', 'satisfied')
  })
  body = await text(agent)
  t.match(body, '已归档')
  for (const s of ['登记受理', '报送窗口', '签收', '办结', '回复申请人']) t.match(body, s, `timeline: ${s}`)
})
