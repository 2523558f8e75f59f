/**
 * `npm run test:coverage [-- test files…]`: `npm test` under c8, then a coverage report of server/.
 *
 * c8 sets NODE_V8_COVERAGE, which every Node process of the run inherits (tests/run.ts, tap, each
 * test file, the CLIs and app processes the tests spawn); V8 writes each process's block coverage
 * on exit, with the source maps tsx made, so c8 maps it back to the lines of the .ts files.
 * Settings are in .c8rc.json: every server/**\/*.ts file counts, a file no test loads at 0 %.
 * Chromium and PostgreSQL are not Node processes and write nothing.
 *
 * Printed after tap's summary: c8's text summary (all of server/), lines and branches per folder,
 * then per file for the folders with a floor (worst first, with the uncovered lines). On a full
 * run (no test files given) each floored folder must reach FLOOR % of its lines; the last line says
 * `# coverage floor: passed|failed …`, which .ci/run counts as one test when it fails.
 * coverage/index.html has the line-by-line view; the raw V8 data (coverage/tmp, about 200 MB
 * after a full run) is removed unless KEEP_V8_COVERAGE=1.
 */
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const FLOOR = 85
const FLOORED = ['server/cases', 'server/calendar']

interface FileCoverage {
  statementMap: Record<string, { start: { line: number } }>
  s: Record<string, number>
  b: Record<string, number[]>
}

interface Counts {
  lines: number
  linesHit: number
  branches: number
  branchesHit: number
  uncovered: number[]
}

/** Lines as istanbul counts them from c8's per-line statements: a line is covered if any statement on it ran. */
function countFile(fc: FileCoverage): Counts {
  const lines = new Map<number, number>()
  for (const [id, loc] of Object.entries(fc.statementMap)) {
    lines.set(loc.start.line, Math.max(lines.get(loc.start.line) ?? 0, fc.s[id] ?? 0))
  }
  const branchCounts = Object.values(fc.b).flat()
  const uncovered = [...lines].filter(([, n]) => n === 0).map(([line]) => line).sort((a, b) => a - b)
  return {
    lines: lines.size,
    linesHit: lines.size - uncovered.length,
    branches: branchCounts.length,
    branchesHit: branchCounts.filter((n) => n > 0).length,
    uncovered,
  }
}

function add(a: Counts, b: Counts): Counts {
  return { lines: a.lines + b.lines, linesHit: a.linesHit + b.linesHit, branches: a.branches + b.branches, branchesHit: a.branchesHit + b.branchesHit, uncovered: [] }
}

const EMPTY: Counts = { lines: 0, linesHit: 0, branches: 0, branchesHit: 0, uncovered: [] }

/** Percent, floored to two decimals as istanbul prints it (100 for an empty set). */
function pct(hit: number, total: number): number {
  return total === 0 ? 100 : Math.floor((hit / total) * 10000) / 100
}

/** 3,7,8,9,12 → "3,7-9,12", cut to `width` characters. */
function ranges(lines: number[], width = 60): string {
  const parts: string[] = []
  for (let i = 0; i < lines.length; ) {
    let j = i
    while (j + 1 < lines.length && lines[j + 1] === lines[j] + 1) j++
    parts.push(i === j ? `${lines[i]}` : `${lines[i]}-${lines[j]}`)
    i = j + 1
  }
  const text = parts.join(',')
  return text.length > width ? `${text.slice(0, width - 1)}…` : text
}

function table(title: string, rows: [string, Counts][], withLines: boolean): string {
  const nameWidth = Math.max(title.length, ...rows.map(([name]) => name.length))
  const head = `${title.padEnd(nameWidth)} | % Lines |   lines   | % Branch | ${withLines ? 'Uncovered lines' : ''}`.trimEnd()
  const out = [head]
  for (const [name, c] of rows) {
    const cells = [
      name.padEnd(nameWidth),
      pct(c.linesHit, c.lines).toFixed(2).padStart(7),
      `${c.linesHit}/${c.lines}`.padStart(9),
      pct(c.branchesHit, c.branches).toFixed(2).padStart(8),
      withLines ? ranges(c.uncovered) : '',
    ]
    out.push(cells.join(' | ').trimEnd())
  }
  out.splice(1, 0, '-'.repeat(Math.max(...out.map((line) => line.length))))
  return out.join('\n')
}

/** Prints the tables; returns the floor's verdict line, or null if the report is missing. */
function report(fullRun: boolean): string | null {
  const file = path.join(root, 'coverage/coverage-final.json')
  if (!existsSync(file)) return null
  const data = JSON.parse(readFileSync(file, 'utf8')) as Record<string, FileCoverage>
  const files = new Map<string, Counts>()
  for (const [abs, fc] of Object.entries(data)) files.set(path.relative(root, abs).split(path.sep).join('/'), countFile(fc))
  const folders = new Map<string, Counts>()
  for (const [name, c] of files) {
    const folder = path.posix.dirname(name) === 'server' ? 'server/*.ts' : path.posix.dirname(name)
    folders.set(folder, add(folders.get(folder) ?? EMPTY, c))
  }
  const total = [...folders.values()].reduce(add, EMPTY)
  const folderRows = [...folders].sort(([a], [b]) => a.localeCompare(b))
  console.log(`\n${table('Folder', [...folderRows, ['all of server/', total]], false)}`)
  for (const folder of FLOORED) {
    const rows = [...files].filter(([name]) => path.posix.dirname(name) === folder)
    rows.sort(([a, x], [b, y]) => pct(x.linesHit, x.lines) - pct(y.linesHit, y.lines) || a.localeCompare(b))
    console.log(`\n${table(`${folder}/`, rows.map(([name, c]) => [path.posix.basename(name), c]), true)}`)
  }
  const measured = FLOORED.map((folder) => {
    const c = folders.get(folder) ?? EMPTY
    return { folder, pct: pct(c.linesHit, c.lines), below: c.lines === 0 || c.linesHit / c.lines < FLOOR / 100 }
  })
  const said = measured.map((m) => `${m.folder} ${m.pct.toFixed(2)} %`).join(', ')
  if (!fullRun) return `# coverage floor: not checked (only some test files ran); lines: ${said}`
  const below = measured.filter((m) => m.below)
  if (below.length === 0) return `# coverage floor: passed (${FLOOR} % of lines): ${said}`
  return `# coverage floor: failed, below ${FLOOR} % of lines: ${below.map((m) => `${m.folder} ${m.pct.toFixed(2)} %`).join(', ')}`
}

async function main(): Promise<number> {
  const args = process.argv.slice(2)
  const fullRun = !args.some((a) => !a.startsWith('-'))
  const c8 = spawn(process.execPath, [path.join(root, 'node_modules/c8/bin/c8.js'), process.execPath, '--import', 'tsx', path.join(root, 'tests/run.ts'), ...args], {
    cwd: root,
    stdio: 'inherit',
  })
  const testStatus = await new Promise<number>((resolve) => c8.on('exit', (code) => resolve(code ?? 1)))
  const verdict = report(fullRun)
  if (!process.env.KEEP_V8_COVERAGE) rmSync(path.join(root, 'coverage/tmp'), { recursive: true, force: true })
  if (verdict === null) {
    console.log('# coverage floor: failed, c8 wrote no coverage/coverage-final.json')
    return testStatus || 1
  }
  console.log(`\n${verdict}`)
  return testStatus || (verdict.startsWith('# coverage floor: failed') ? 1 : 0)
}

process.exit(await main())
