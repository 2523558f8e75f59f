/**
 * Shared by the benchmarks: a running server on a real port over the embedded PostgreSQL (or
 * DATABASE_URL), and a tiny cookie-keeping HTTP client that submits forms as a browser would.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { loadConfig } from '../server/config/config.ts'
import { openDatabase, type OpenDatabase } from '../server/db/open.ts'
import { buildApp } from '../server/app.ts'
import type { FastifyInstance } from 'fastify'

export interface Server {
  app: FastifyInstance
  database: OpenDatabase
  baseUrl: string
  stop: () => Promise<void>
}

export async function startServer(options: { dataDir?: string; keepData?: boolean; pgPort?: number } = {}): Promise<Server> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(process.cwd(), 'data', 'bench-'))
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'warn', NODE_ENV: 'production', SECURE_COOKIES: 'false' }, { dataDir, embeddedPgPort: options.pgPort ?? 54400 + Math.floor(Math.random() * 500) })
  const database = await openDatabase(config)
  const app = await buildApp({ config, db: database.db, logger: { level: 'warn' } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const port = (app.server.address() as { port: number }).port
  return {
    app,
    database,
    baseUrl: `http://127.0.0.1:${port}`,
    stop: async () => {
      await app.close()
      await database.close()
      if (!options.keepData) rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

export class Client {
  cookies = new Map<string, string>()
  csrf = ''
  constructor(private baseUrl: string) {}

  private remember(res: Response, body: string) {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';')
      const [name, value] = pair.split('=')
      this.cookies.set(name, value)
    }
    const token = /name="_csrf" value="([^"]+)"/.exec(body)
    if (token) this.csrf = token[1]
  }

  headers(): Record<string, string> {
    // As a browser on this site sends it: recorded exports answer only this site (privacy/recorded-links.ts).
    return { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '), 'sec-fetch-site': 'same-origin' }
  }

  async get(url: string): Promise<{ status: number; body: string; bytes: number }> {
    const res = await fetch(this.baseUrl + url, { headers: this.headers(), redirect: 'manual' })
    const buffer = Buffer.from(await res.arrayBuffer())
    const body = res.headers.get('content-type')?.includes('text') ? buffer.toString('utf8') : ''
    this.remember(res, body)
    return { status: res.status, body, bytes: buffer.length }
  }

  async post(url: string, form: Record<string, string | string[]>): Promise<{ status: number; body: string; location: string | null }> {
    const params = new URLSearchParams({ _csrf: this.csrf })
    for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) params.append(k, x)
    const res = await fetch(this.baseUrl + url, {
      method: 'POST',
      headers: { ...this.headers(), 'content-type': 'application/x-www-form-urlencoded' },
      body: params.toString(),
      redirect: 'manual',
    })
    const body = await res.text()
    this.remember(res, body)
    return { status: res.status, body, location: res.headers.get('location') }
  }

  async login(username: string, password: string) {
    await this.get('/login')
    const res = await this.post('/login', { username, password })
    if (res.status !== 303) throw new Error(`login ${username}: ${res.status}`)
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

/** Resident memory of a process and its children (Chromium runs as several), in MB. */
export function treeRssMb(pid: number | null): number {
  if (!pid) return 0
  try {
    const out = execFileSync('ps', ['-o', 'rss=', '--ppid', String(pid), '-p', String(pid)], { encoding: 'utf8' })
    return out.split('\n').filter(Boolean).reduce((s, l) => s + Number(l.trim()), 0) / 1024
  } catch {
    return 0
  }
}

export const mb = (bytes: number) => Math.round(bytes / 1024 / 1024)
export { tmpdir }
