import t from 'tap'
import { PdfRenderer, findChromium } from '../../server/printing/renderer.ts'
import { setupApp } from '../fixtures/app.ts'
import { makeOrg, makeUser } from '../fixtures/factories.ts'

const chromium = await findChromium(null)

t.test('one browser, bounded concurrency; a request waiting too long is refused, not hung', async (t) => {
  const renderer = new PdfRenderer({ executablePath: chromium, concurrency: 1, queueTimeoutMs: 50, renderTimeoutMs: 20000 })
  t.teardown(() => renderer.close())
  const html = '<html><body><h1>测试 test</h1></body></html>'
  const results = await Promise.allSettled([renderer.pdf(html), renderer.pdf(html), renderer.pdf(html)])
  t.equal(results[0].status, 'fulfilled', 'the first is rendered')
  const refused = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[]
  t.ok(refused.length >= 1, 'a request over the queue limit is refused')
  t.ok(refused.every((r) => r.reason.code === 'APP_ERR_BUSY' && r.reason.statusCode === 503), 'with 503 Busy')
  const pdf = await renderer.pdf(html)
  t.equal(pdf.subarray(0, 5).toString(), '%PDF-', 'the queue works again afterwards')
})

t.test('one requester cannot hold every slot; the page runs no script', async (t) => {
  const renderer = new PdfRenderer({ executablePath: chromium, concurrency: 2, queueTimeoutMs: 20000, renderTimeoutMs: 20000 })
  t.teardown(() => renderer.close())
  const order: string[] = []
  const render = (owner: string, label: string) => renderer.pdf(`<p>${label}</p>`, {}, owner).then(() => order.push(label))
  // Three from one user queue behind each other; another user's request starts beside them at once.
  await Promise.all([render('user:1', 'a1'), render('user:1', 'a2'), render('user:1', 'a3'), render('user:2', 'b1')])
  t.ok(order.indexOf('b1') < order.indexOf('a3'), `the second user is not kept behind the first user's queue (${order.join(' ')})`)

  const html = '<html><body><p id="x">static</p><script>document.getElementById("x").textContent = "SCRIPT RAN"</script></body></html>'
  const pdf = await renderer.pdf(html)
  const { execFileSync } = await import('node:child_process')
  const text = execFileSync('pdftotext', ['-', '-'], { input: pdf }).toString()
  t.match(text, 'static', 'the document text is there')
  t.notMatch(text, 'SCRIPT RAN', 'the script did not run')
})

t.test('a crashed browser is relaunched on the next request', async (t) => {
  const renderer = new PdfRenderer({ executablePath: chromium, concurrency: 2, queueTimeoutMs: 5000, renderTimeoutMs: 20000 })
  t.teardown(() => renderer.close())
  await renderer.pdf('<p>one</p>')
  const pid = await renderer.browserPid()
  t.ok(pid)
  process.kill(pid!, 'SIGKILL')
  await new Promise((r) => setTimeout(r, 300))
  const pdf = await renderer.pdf('<p>two</p>').catch(() => renderer.pdf('<p>two, again</p>'))
  t.equal(pdf.subarray(0, 5).toString(), '%PDF-')
  t.not(await renderer.browserPid(), pid, 'a new browser process')
})

t.test('without Chromium, print buttons fall back to the HTML view and admins are told how to install it', async (t) => {
  const ctx = await setupApp(t, { chromiumPath: '/nonexistent/chromium' })
  // findChromium falls back to /usr/bin/chromium; force "none" for this app.
  ;(ctx.app.printing.options as { executablePath: string | null }).executablePath = null
  const org = await makeOrg(ctx.db)
  const admin = await makeUser(ctx.db, org, 'admin')
  const browser = ctx.browser()
  await browser.login(admin.username, admin.password)
  const home = await browser.get('/')
  t.match(home.body, 'apt-get install -y chromium fonts-noto-cjk')
  const res = await browser.get('/cases/1/documents/acceptance-notice/pdf')
  t.equal(res.statusCode, 303)
  t.equal(res.headers.location, '/cases/1/documents/acceptance-notice')
})
