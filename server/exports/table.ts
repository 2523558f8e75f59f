import { Readable } from 'node:stream'
import type { FastifyReply } from 'fastify'
import { BOM, csvLine } from '../ledger/csv.ts'
import { formatFen } from '../fees/money.ts'
import { sendXlsx } from './xlsx.ts'

/**
 * One home for what an export holds: its columns and its rows. The CSV and the workbook are two
 * writers of the same table, so they cannot drift apart in rows, columns or order.
 *
 * A column's kind says what its value is; each writer shows it its own way:
 * - text: any string (ID and phone numbers stay text, never numbers);
 * - number: a count or a rate;
 * - date: 'YYYY-MM-DD' in the county's zone; dateTime: 'YYYY-MM-DD HH:mm' in the county's zone;
 * - money: integer fen (as pg returns bigint: a string), shown in yuan with two decimals.
 */
export type CellKind = 'text' | 'number' | 'date' | 'dateTime' | 'money'
export type CellValue = string | number | bigint | null | undefined

export interface Column<Row> {
  header: string
  kind: CellKind
  value: (row: Row) => CellValue
}

export interface ExportTable<Row> {
  /** The download's file name, without its extension. */
  filename: string
  /** The workbook's sheet name (Excel allows 31 characters, none of []:*?/\). */
  sheet: string
  columns: Column<Row>[]
  rows: Iterable<Row> | AsyncIterable<Row>
}

export const EXPORT_FORMATS = ['csv', 'xlsx'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

/** The CSV's text of a value: as the CSV export has always written it. */
export function csvValue(kind: CellKind, value: CellValue): unknown {
  if (value === null || value === undefined) return ''
  return kind === 'money' ? formatFen(value) : value
}

export function sendCsv<Row>(reply: FastifyReply, table: ExportTable<Row>) {
  async function* lines() {
    yield BOM + csvLine(table.columns.map((c) => c.header))
    for await (const row of table.rows) yield csvLine(table.columns.map((c) => csvValue(c.kind, c.value(row))))
  }
  reply.header('content-disposition', `attachment; filename="${table.filename}.csv"`)
  return reply.type('text/csv; charset=utf-8').send(Readable.from(lines()))
}

export function sendTable<Row>(reply: FastifyReply, format: ExportFormat, table: ExportTable<Row>) {
  return format === 'xlsx' ? sendXlsx(reply, table) : sendCsv(reply, table)
}
