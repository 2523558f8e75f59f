import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import puppeteer, { type Browser, type HTTPRequest } from 'puppeteer'
import { Busy } from '../errors/errors.ts'
import { projectRoot } from '../config/paths.ts'
import { forgetChild, stopWhenThisProcessDies } from '../lifecycle/watchdog.ts'

const FONT_DIR = path.join(projectRoot, 'node_modules/@fontsource/noto-sans-sc')
const ASSET_DIR = path.join(projectRoot, 'views/assets')
/** Documents load from this made-up origin; every request to it is answered from memory or the shipped fonts. */
export const PRINT_ORIGIN = 'https://print.bianmin.invalid'

export interface PdfOptions {
  landscape?: boolean
  format?: 'A4' | 'A3'
  /** Printed at the foot of every page, ASCII only (the footer cannot load web fonts). */
  footerText?: string
}

export interface RendererOptions {
  executablePath: string | null
  concurrency: number
  queueTimeoutMs: number
  renderTimeoutMs: number
}

/**
 * Where Chromium is: PUPPETEER_EXECUTABLE_PATH, then Debian's package, then a browser puppeteer
 * downloaded itself (npm here does not run its download script, so that one is usually absent).
 */
export async function findChromium(configured: string | null): Promise<string | null> {
  for (const candidate of [configured, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']) {
    if (candidate && existsSync(candidate)) return candidate
  }
  try {
    const downloaded = await puppeteer.executablePath()
    if (downloaded && existsSync(downloaded)) return downloaded
  } catch {
    // No browser in puppeteer's cache.
  }
  return null
}

/**
 * One Chromium, launched on first use and reused; at most `concurrency` pages at a time; a request
 * that waits longer than `queueTimeoutMs` gets Busy (503) instead of hanging; a crashed browser is
 * relaunched on the next request.
 */
export class PdfRenderer {
  private browser: Promise<Browser> | null = null
  private active = 0
  private waiting: { owner: string; resolve: () => void; timer: NodeJS.Timeout }[] = []
  /** Pages being rendered per requester: one user's burst cannot hold every slot. */
  private activeBy = new Map<string, number>()
  private closed = false
  rendered = 0

  constructor(readonly options: RendererOptions) {}

  get available(): boolean {
    return this.options.executablePath !== null
  }

  /** How many slots one requester may hold: all but one when there are several. */
  private get perOwner(): number {
    return Math.max(1, this.options.concurrency - 1)
  }

  private launch(): Promise<Browser> {
    // Chromium's sandbox is kept wherever the OS allows it; as root Chromium refuses to start with it.
    const sandbox = chromiumSandboxAllowed()
    const launching = puppeteer
      .launch({
        executablePath: this.options.executablePath!,
        headless: true,
        // Closed network here: no background fetches, no first-run work.
        args: [...(sandbox ? [] : ['--no-sandbox']), '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'],
      })
      .then((browser) => {
        // puppeteer starts Chromium in a process group of its own, which a crash of this process
        // leaves running: the watchdog kills that group if this process dies first (lifecycle/watchdog.ts).
        const pid = browser.process()?.pid
        if (pid !== undefined) stopWhenThisProcessDies(pid, 'group', 'the PDF Chromium')
        browser.on('disconnected', () => {
          if (pid !== undefined) forgetChild(pid)
          if (this.browser === launching) this.browser = null
        })
        return browser
      })
    launching.catch(() => {
      if (this.browser === launching) this.browser = null
    })
    return launching
  }

  private mayStart(owner: string): boolean {
    return this.active < this.options.concurrency && (this.activeBy.get(owner) ?? 0) < this.perOwner
  }

  private take(owner: string): void {
    this.active++
    this.activeBy.set(owner, (this.activeBy.get(owner) ?? 0) + 1)
  }

  private async acquire(owner: string): Promise<void> {
    if (this.mayStart(owner)) {
      this.take(owner)
      return
    }
    await new Promise<void>((resolve, reject) => {
      const entry = {
        owner,
        resolve,
        timer: setTimeout(() => {
          this.waiting = this.waiting.filter((w) => w !== entry)
          reject(new Busy())
        }, this.options.queueTimeoutMs),
      }
      this.waiting.push(entry)
    })
  }

  private release(owner: string): void {
    this.active--
    const held = (this.activeBy.get(owner) ?? 1) - 1
    if (held > 0) this.activeBy.set(owner, held)
    else this.activeBy.delete(owner)
    // The longest-waiting request whose requester is below its share goes next.
    const next = this.waiting.find((w) => this.mayStart(w.owner))
    if (next) {
      this.waiting = this.waiting.filter((w) => w !== next)
      clearTimeout(next.timer)
      this.take(next.owner)
      next.resolve()
    }
  }

  /** Renders one document; `owner` (a user id or an address) shares the slots fairly between requesters. */
  async pdf(html: string, options: PdfOptions = {}, owner = 'anyone'): Promise<Buffer> {
    if (!this.available || this.closed) throw new Busy()
    await this.acquire(owner)
    try {
      this.browser ??= this.launch()
      const browser = await this.browser
      const page = await browser.newPage()
      try {
        page.setDefaultTimeout(this.options.renderTimeoutMs)
        // Our documents need no script; a name or note that smuggled markup in could not run any.
        await page.setJavaScriptEnabled(false)
        await page.setRequestInterception(true)
        page.on('request', (request) => void answer(request, html))
        await page.goto(`${PRINT_ORIGIN}/document`, { waitUntil: 'load' })
        await page.evaluate(() => document.fonts.ready.then(() => true))
        const pdf = await page.pdf({
          format: options.format ?? 'A4',
          landscape: options.landscape ?? false,
          printBackground: true,
          margin: { top: '14mm', bottom: '16mm', left: '14mm', right: '14mm' },
          displayHeaderFooter: true,
          headerTemplate: '<span></span>',
          footerTemplate: `<div style="font-size:8px;width:100%;padding:0 14mm;display:flex;justify-content:space-between;font-family:sans-serif"><span>${escapeHtml(options.footerText ?? '')}</span><span><span class="pageNumber"></span> / <span class="totalPages"></span></span></div>`,
        })
        this.rendered++
        return Buffer.from(pdf)
      } finally {
        await page.close().catch(() => {})
      }
    } catch (error) {
      // A browser that died mid-render is dropped; the next request launches a new one.
      if (this.browser && !(await this.browser.then((b) => b.connected).catch(() => false))) this.browser = null
      throw error
    } finally {
      this.release(owner)
    }
  }

  /** The browser's process id, for measuring its memory apart from the server's. */
  async browserPid(): Promise<number | null> {
    if (!this.browser) return null
    return (await this.browser).process()?.pid ?? null
  }

  async close(): Promise<void> {
    this.closed = true
    for (const w of this.waiting) clearTimeout(w.timer)
    this.waiting = []
    const browser = this.browser
    this.browser = null
    if (browser) await (await browser.catch(() => null))?.close().catch(() => {})
  }
}

// Fonts and styles are read once; a document only fetches the font subsets its text needs.
const fileCache = new Map<string, Promise<Buffer>>()
function cachedFile(file: string): Promise<Buffer> {
  let content = fileCache.get(file)
  if (!content) {
    content = readFile(file)
    content.catch(() => fileCache.delete(file))
    fileCache.set(file, content)
  }
  return content
}

async function answer(request: HTTPRequest, html: string): Promise<void> {
  const url = request.url()
  try {
    if (url === `${PRINT_ORIGIN}/document`) return await request.respond({ status: 200, contentType: 'text/html; charset=utf-8', body: html })
    for (const [prefix, dir] of [[`${PRINT_ORIGIN}/fonts/`, FONT_DIR], [`${PRINT_ORIGIN}/assets/`, ASSET_DIR]] as const) {
      if (!url.startsWith(prefix)) continue
      const file = path.normalize(decodeURIComponent(url.slice(prefix.length)))
      if (file.startsWith('..') || path.isAbsolute(file)) return await request.abort()
      const body = await cachedFile(path.join(dir, file))
      const contentType = file.endsWith('.css') ? 'text/css' : 'font/woff2'
      return await request.respond({ status: 200, contentType, body, headers: { 'access-control-allow-origin': '*' } })
    }
    if (url.startsWith('data:')) return await request.continue()
    await request.abort()
  } catch {
    await request.abort().catch(() => {})
  }
}

/** Chromium refuses its sandbox as root; elsewhere (the usual service user) it is kept. */
export function chromiumSandboxAllowed(): boolean {
  return typeof process.getuid !== 'function' || process.getuid() !== 0
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
}
