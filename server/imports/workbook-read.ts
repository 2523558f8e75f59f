import ExcelJS from '../exports/exceljs.ts'
import { LOCALES, translate } from '../i18n/i18n.ts'

/**
 * Reading an uploaded workbook's rows with exceljs's streaming reader: run only inside the import's
 * worker (workbook-worker.ts), never in the web process, since what a workbook unpacks to is the
 * uploader's choice.
 */

export interface ColumnKey {
  key: string
  required: boolean
}

export type WorkbookItem = { row: number; cells: Record<string, unknown> } | { missing: string[] }

export const cellString = (cell: unknown): string => (cell === null || cell === undefined ? '' : typeof cell === 'object' && 'richText' in (cell as object) ? (cell as { richText: { text: string }[] }).richText.map((r) => r.text).join('') : String(cell))

/** The column key of each header text: its label in either language, or the key itself; '*' marks a required column. */
function headerKeys(headerRow: unknown[], columns: readonly ColumnKey[]): Map<number, string> {
  const byLabel = new Map<string, string>()
  const norm = (s: string) => s.replace(/[*＊\s]/g, '').toLowerCase()
  // A label's words in brackets may be left out: '村（服务站）' is also '村'.
  const short = (s: string) => norm(s.replace(/[（(].*?[)）]/g, ''))
  for (const c of columns) {
    byLabel.set(norm(c.key), c.key)
    for (const locale of LOCALES) {
      const label = translate(locale, `imports.columns.${c.key}`)
      byLabel.set(norm(label), c.key)
      byLabel.set(short(label), c.key)
    }
  }
  const keys = new Map<number, string>()
  headerRow.forEach((cell, index) => {
    const key = byLabel.get(norm(cellString(cell)))
    if (key) keys.set(index, key)
  })
  return keys
}

/** Every data row of the first worksheet, as {row number, cells by column key}; blank rows skipped. */
export async function* readWorkbookRows(filePath: string, columns: readonly ColumnKey[]): AsyncGenerator<WorkbookItem> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(filePath, { sharedStrings: 'cache', styles: 'cache', hyperlinks: 'ignore', worksheets: 'emit', entries: 'emit' })
  for await (const worksheet of reader) {
    let keys: Map<number, string> | null = null
    for await (const row of worksheet) {
      const values = (row.values as unknown[]) ?? []
      if (!keys) {
        keys = headerKeys(values, columns)
        const present = new Set(keys.values())
        const missing = columns.filter((c) => c.required && !present.has(c.key)).map((c) => c.key)
        if (missing.length) {
          yield { missing }
          return
        }
        continue
      }
      const cells: Record<string, unknown> = {}
      let blank = true
      for (const [index, key] of keys) {
        const v = values[index]
        cells[key] = v
        if (v !== null && v !== undefined && cellString(v).trim() !== '') blank = false
      }
      if (!blank) yield { row: row.number, cells }
    }
    return // the first worksheet only: the second explains the columns
  }
}
