/**
 * CSV for spreadsheet programs: UTF-8 with a BOM (so Excel reads Chinese correctly), RFC 4180
 * quoting, and cells that a spreadsheet would run as a formula (= + - @, tab, CR) neutralised
 * with a leading apostrophe (OWASP CSV injection).
 */
export const BOM = '\uFEFF'

export function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? '' : value instanceof Date ? value.toISOString() : String(value)
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`
  return /[",\r\n']/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

export function csvLine(values: unknown[]): string {
  return values.map(csvCell).join(',') + '\r\n'
}
