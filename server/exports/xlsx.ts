import { PassThrough, type Writable } from 'node:stream'
import ExcelJS from './exceljs.ts'
import type { FastifyReply } from 'fastify'
import { formatFen } from '../fees/money.ts'
import type { CellKind, CellValue, Column, ExportTable } from './table.ts'

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

/** Excel's number formats per kind: '@' keeps ID and phone numbers text even when someone edits the cell. */
const NUM_FMT: Record<CellKind, string | undefined> = { text: '@', number: undefined, date: 'yyyy-mm-dd', dateTime: 'yyyy-mm-dd hh:mm', money: '0.00' }
/** Widths (in characters) a kind needs whatever its header: a date shows ten digits. */
const MIN_WIDTH: Record<CellKind, number> = { text: 6, number: 6, date: 12, dateTime: 17, money: 10 }
const MAX_WIDTH = 50
/** Rows read before the sheet is started, to size the columns (a streamed sheet's widths come first in its file). */
const SAMPLE_ROWS = 200

/**
 * A local day or time of the county as an Excel date. Excel has no time zones: it shows the serial
 * number's day, and exceljs turns a Date into a serial from its UTC fields, so the county's wall
 * time is put in the UTC fields (a Date at UTC midnight for a day).
 */
function excelDate(text: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}))?$/.exec(text)
  return m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0))) : null
}

/** The workbook's value of a cell: strings stay strings, so no digit of an ID number is lost to floating point. */
export function xlsxValue(kind: CellKind, value: CellValue): string | number | Date | null {
  if (value === null || value === undefined || value === '') return null
  switch (kind) {
    case 'text':
      return String(value)
    case 'number':
      return typeof value === 'number' ? value : Number.isFinite(Number(value)) ? Number(value) : String(value)
    case 'money':
      return Number(formatFen(value))
    case 'date':
    case 'dateTime':
      return excelDate(String(value)) ?? String(value)
  }
}

/** Columns as wide as their text: CJK characters take two columns, as Excel draws them. */
export function displayWidth(text: string): number {
  let width = 0
  for (const ch of text) width += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]|[\u{20000}-\u{3fffd}]/u.test(ch) ? 2 : 1
  return width
}

function columnWidths<Row>(columns: Column<Row>[], sample: Row[]): number[] {
  return columns.map((c) => {
    let widest = displayWidth(c.header) + 2
    for (const row of sample) {
      const v = c.value(row)
      if (v !== null && v !== undefined) widest = Math.max(widest, displayWidth(c.kind === 'money' ? formatFen(v) : String(v)) + 2)
    }
    return Math.min(MAX_WIDTH, Math.max(MIN_WIDTH[c.kind], widest))
  })
}

/** Waits while the client reads slower than rows are made, so a slow download does not pile up in memory. */
function drained(out: Writable): Promise<void> {
  if (!out.writableNeedDrain || out.destroyed) return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done)
      out.off('close', done)
      resolve()
    }
    out.on('drain', done)
    out.on('close', done)
  })
}

/**
 * Streams the table as a one-sheet workbook into `out`: header bold and frozen, each row committed
 * as it is made (exceljs's streaming writer, inline strings), so 100,000 rows keep memory flat.
 */
export async function writeWorkbook<Row>(out: Writable, table: ExportTable<Row>, first: Row[], rest: AsyncIterator<Row> | Iterator<Row>): Promise<void> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false })
  const sheet = workbook.addWorksheet(table.sheet, { views: [{ state: 'frozen', ySplit: 1 }] })
  const widths = columnWidths(table.columns, first)
  sheet.columns = table.columns.map((c, i) => ({ key: String(i), width: widths[i], style: NUM_FMT[c.kind] ? { numFmt: NUM_FMT[c.kind] } : {} }))
  const header = sheet.addRow(table.columns.map((c) => c.header))
  header.font = { bold: true }
  header.commit()
  const write = (row: Row) => sheet.addRow(table.columns.map((c) => xlsxValue(c.kind, c.value(row)))).commit()
  for (const row of first) write(row)
  for (let next = await rest.next(); !next.done; next = await rest.next()) {
    if (out.destroyed) {
      await rest.return?.()
      return
    }
    write(next.value)
    await drained(out)
  }
  sheet.commit()
  await workbook.commit()
}

/**
 * Sends the table as an .xlsx download. The first rows are read before anything is sent, so a
 * failing query still reaches the error page; later failures end the download unfinished.
 */
export async function sendXlsx<Row>(reply: FastifyReply, table: ExportTable<Row>) {
  const rows = Symbol.asyncIterator in table.rows ? table.rows[Symbol.asyncIterator]() : table.rows[Symbol.iterator]()
  const first: Row[] = []
  while (first.length < SAMPLE_ROWS) {
    const next = await rows.next()
    if (next.done) break
    first.push(next.value)
  }
  const out = new PassThrough()
  writeWorkbook(out, table, first, rows).catch((error: unknown) => {
    reply.log.error({ err: error }, 'xlsx export failed')
    // The rows' own end runs, so a recorded export (privacy/export-record.ts) records what went out before the failure.
    Promise.resolve(rows.return?.()).catch(() => undefined)
    out.destroy(error as Error)
  })
  reply.header('content-disposition', `attachment; filename="${table.filename}.xlsx"`)
  return reply.type(XLSX_TYPE).send(out)
}
