import t from 'tap'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { agingChartSvg, AGE_BUCKETS } from '../../server/supervision/overdue.ts'
import { translator } from '../../server/i18n/i18n.ts'
import { launchChromium } from '../fixtures/chromium.ts'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '../..')
// The page's own style sheets, as the layout links them.
const styles = [path.join(root, 'node_modules/@picocss/pico/css/pico.min.css'), path.join(root, 'views/assets/app.css')].map((file) => readFileSync(file, 'utf8'))

function chartFor(locale: 'zh-CN' | 'en', counts: number[]) {
  const t = translator(locale)
  return agingChartSvg(
    AGE_BUCKETS.map((b, i) => ({ key: b.key, count: counts[i] })),
    (key) => t('overdue.lateDays', { range: key }),
    t('overdue.chartTitle'),
  )
}

t.test('the aging chart names every bucket and every count, also for a screen reader', async (t) => {
  const svg = chartFor('zh-CN', [3, 12, 0, 1, 1234])
  t.match(svg, /^<svg [^>]*role="img"/, 'an image to assistive technology')
  t.match(svg, '<title>超期办件按超期工作日分布（件）: 超期 1-2 个工作日 3; 超期 3-5 个工作日 12; 超期 6-10 个工作日 0; 超期 11-20 个工作日 1; 超期 21+ 个工作日 1234</title>', 'its text alternative repeats the numbers')
  for (const count of [3, 12, 0, 1, 1234]) t.match(svg, new RegExp(`font-weight="bold"[^>]*>${count}</text>`), `the bar of ${count} is labelled with it`)
  t.notMatch(chartFor('en', [1, 1, 1, 1, 1]), /&(?!amp;|lt;|gt;|quot;)/, 'escaped')
})

t.test('rendered at 360 px and 1280 px, the chart text is legible and nothing overlaps', async (t) => {
  const browser = await launchChromium()
  t.teardown(() => browser.close())
  const page = await browser.newPage()
  for (const locale of ['zh-CN', 'en'] as const) {
    // A long English label and the largest count a county board might show.
    await page.setContent(`<!doctype html><html><head><meta name="viewport" content="width=device-width, initial-scale=1"></head><body><main class="container"><figure class="chart">${chartFor(locale, [1, 8, 40, 250, 1234])}</figure></main></body></html>`)
    for (const content of styles) await page.addStyleTag({ content })
    for (const width of [360, 1280]) {
      await page.setViewport({ width, height: 800 })
      const m = await page.evaluate(() => {
        const svg = document.querySelector('svg')!
        const texts = [...svg.querySelectorAll('text, rect')].map((e) => {
          const r = e.getBoundingClientRect()
          return { tag: e.tagName, text: e.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom, font: e.tagName === 'text' ? parseFloat(getComputedStyle(e).fontSize) * (svg.getBoundingClientRect().width / svg.viewBox.baseVal.width) : 0 }
        })
        return { texts, svgRight: svg.getBoundingClientRect().right, page: document.documentElement.scrollWidth }
      })
      const label = `${locale} at ${width} px`
      t.ok(m.page <= width, `${label}: no sideways scrolling`)
      const texts = m.texts.filter((x) => x.tag === 'text')
      t.ok(Math.min(...texts.map((x) => x.font)) >= 12, `${label}: the smallest text is ${Math.min(...texts.map((x) => x.font)).toFixed(1)} px`)
      t.ok(Math.max(...texts.map((x) => x.right)) <= m.svgRight + 0.5, `${label}: every label and count stays inside the chart`)
      const overlaps = m.texts.flatMap((a, i) => m.texts.slice(i + 1).filter((b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5).map((b) => `${a.text || a.tag} / ${b.text || b.tag}`))
      t.same(overlaps, [], `${label}: no label, bar or count overlaps another`)
    }
  }
})
