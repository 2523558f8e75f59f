import puppeteer from 'puppeteer'
import { DEMO_PASSWORD } from './server/demo/seed.ts'
const base = process.env.BASE ?? 'http://127.0.0.1:3100'
const [user, ...urls] = process.argv.slice(2)
const browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] })
const page = await browser.newPage()
await page.setViewport({ width: 1280, height: 900 })
if (user !== '-') {
  await page.goto(base + '/login')
  await page.type('input[name=username]', user)
  await page.type('input[name=password]', DEMO_PASSWORD)
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')])
}
for (const spec of urls) {
  const [url, name, action] = spec.split('|')
  for (const lang of ['zh-CN', 'en']) {
    await page.goto(`${base}/lang/${lang}?next=/`)
    for (const width of [360, 1280]) {
      await page.setViewport({ width, height: 800 })
      await page.goto(base + url)
      if (action) { await Promise.all([page.waitForNavigation(), page.click(action)]) }
      const sw = await page.evaluate(() => document.documentElement.scrollWidth)
      await page.screenshot({ path: `/tmp/shots/${name}-${lang}-${width}.png`, fullPage: true })
      console.log(name, lang, width, 'scrollWidth', sw)
    }
  }
}
await browser.close()
