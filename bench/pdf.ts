/**
 * `npm run bench:pdf`: documents per second and latency of the case PDFs at 1, 2 and 4 concurrent
 * requests against a running server, with the server's memory (Chromium apart).
 */
import { startServer, Client, percentile, treeRssMb, mb } from './harness.ts'
import { seedDemoIfEmpty } from '../server/demo/seed.ts'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8)
const server = await startServer()
try {
  await seedDemoIfEmpty(server.database.db)
  const agent = new Client(server.baseUrl)
  await agent.login('jp01.a', 'demo1234')
  const matter = await server.database.db.selectFrom('matters').select('id').where('code', '=', 'MZ-03').executeTakeFirstOrThrow()
  const form = await agent.get(`/cases/new?matterId=${matter.id}`)
  const key = /name="idempotencyKey" value="([^"]+)"/.exec(form.body)![1]
  const intake = await agent.post('/cases', {
    idempotencyKey: key, matterId: String(matter.id), channel: 'station', serviceForm: 'proxy', decision: 'decide',
    name: '张小三', idNumber: '11010519491231002X', phone: '13912345678', villageGroup: '三组', address: '', vulnerable: 'none',
    materialsReceived: ['书面申请', '居民身份证', '户口簿', '家庭收入状况证明', '家庭财产申报及授权核对书'],
  })
  const caseId = /\/cases\/(\d+)/.exec(intake.location ?? '')![1]
  const url = `/cases/${caseId}/documents/acceptance-notice/pdf`

  const cold = Date.now()
  const first = await agent.get(url)
  if (first.status !== 200) throw new Error(`PDF answered ${first.status}`)
  console.log(`First PDF (launches Chromium): ${Date.now() - cold} ms, ${first.bytes} bytes`)
  const warmStart = performance.now()
  await agent.get(url)
  console.log(`One PDF with a warm browser: ${(performance.now() - warmStart).toFixed(0)} ms`)

  console.log(`\n| concurrent | documents/s | p50 ms | p95 ms | errors | server RSS MB | Chromium RSS MB |`)
  console.log(`|---|---|---|---|---|---|---|`)
  for (const concurrency of [1, 2, 4]) {
    const latencies: number[] = []
    let errors = 0
    let peakRss = 0
    const until = Date.now() + SECONDS * 1000
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100)
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (Date.now() < until) {
          const start = performance.now()
          const res = await agent.get(url)
          if (res.status === 200) latencies.push(performance.now() - start)
          else errors++
        }
      }),
    )
    clearInterval(sampler)
    latencies.sort((a, b) => a - b)
    const chromium = treeRssMb(await server.app.printing.browserPid())
    console.log(`| ${concurrency} | ${(latencies.length / SECONDS).toFixed(1)} | ${percentile(latencies, 50).toFixed(0)} | ${percentile(latencies, 95).toFixed(0)} | ${errors} | ${mb(peakRss)} | ${chromium.toFixed(0)} |`)
  }
  console.log(`\nPDF_CONCURRENCY=${server.app.config.pdfConcurrency}; ${SECONDS} s per row; server and load generator share this machine (${(await import('node:os')).cpus().length} cores).`)
} finally {
  await server.stop()
}
