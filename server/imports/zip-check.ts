import { open } from 'node:fs/promises'

/**
 * An .xlsx is a zip. Before any of it is unpacked, its central directory (the table of contents at
 * the end of the file) is read and the workbook refused when what it would unpack to is out of
 * proportion: an 860 KB workbook whose shared strings unpack to 360 MB took the whole server down.
 * Only the directory is read (at most MAX_DIRECTORY_BYTES), never the entries. A directory that
 * lies about its sizes gets past this check; the import's worker and its memory limit
 * (workbook-rows.ts) are there for that.
 */

/** Every shared string is held in memory while the sheet is read: a county's 100,000-row ledger has some 10 MB. */
export const MAX_SHARED_STRINGS_BYTES = 48 * 1024 * 1024
/** Any one entry, sheets included (they are read as a stream, row by row). */
export const MAX_ENTRY_BYTES = 512 * 1024 * 1024
/** Everything together. */
export const MAX_TOTAL_BYTES = 768 * 1024 * 1024
/** Spreadsheet XML deflates 5 to 30 times; repeated text a thousand times and more. */
export const MAX_RATIO = 200
/** Entries smaller than this are not held to the ratio: a tiny file can compress a lot and cost nothing. */
const RATIO_FROM_BYTES = 1024 * 1024
const MAX_ENTRIES = 10_000
const MAX_DIRECTORY_BYTES = 4 * 1024 * 1024

const EOCD_SIGNATURE = 0x06054b50
const ENTRY_SIGNATURE = 0x02014b50
const EOCD_MIN = 22
const MAX_COMMENT = 0xffff

export interface ZipEntry {
  name: string
  compressedSize: number
  uncompressedSize: number
}

/** Why a workbook is refused before it is unpacked: a message key (imports.refused.*) and its numbers. */
export class WorkbookRefused extends Error {
  constructor(
    public key: string,
    public params: Record<string, unknown> = {},
  ) {
    super(key)
  }
}

/** The entries listed in a zip's central directory; WorkbookRefused when it is not a readable zip. */
export async function zipEntries(filePath: string): Promise<ZipEntry[]> {
  const file = await open(filePath, 'r')
  try {
    const { size } = await file.stat()
    if (size < EOCD_MIN) throw new WorkbookRefused('imports.refused.notZip')
    // The end record is the last 22 bytes, unless a comment follows it: search back over one.
    const tailLength = Math.min(size, EOCD_MIN + MAX_COMMENT)
    const tail = Buffer.alloc(tailLength)
    await file.read(tail, 0, tailLength, size - tailLength)
    let at = -1
    for (let i = tailLength - EOCD_MIN; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD_SIGNATURE) {
        at = i
        break
      }
    }
    if (at < 0) throw new WorkbookRefused('imports.refused.notZip')
    const count = tail.readUInt16LE(at + 10)
    const directorySize = tail.readUInt32LE(at + 12)
    const directoryOffset = tail.readUInt32LE(at + 16)
    // ZIP64 marks (0xFFFF entries, 0xFFFFFFFF sizes) mean more than a workbook of 20 MB ever needs.
    if (count === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) throw new WorkbookRefused('imports.refused.tooBig')
    if (count > MAX_ENTRIES || directorySize > MAX_DIRECTORY_BYTES || directoryOffset + directorySize > size) throw new WorkbookRefused('imports.refused.notZip')
    const directory = Buffer.alloc(directorySize)
    await file.read(directory, 0, directorySize, directoryOffset)
    const entries: ZipEntry[] = []
    let p = 0
    for (let n = 0; n < count; n++) {
      if (p + 46 > directory.length || directory.readUInt32LE(p) !== ENTRY_SIGNATURE) throw new WorkbookRefused('imports.refused.notZip')
      const compressedSize = directory.readUInt32LE(p + 20)
      const uncompressedSize = directory.readUInt32LE(p + 24)
      const nameLength = directory.readUInt16LE(p + 28)
      const extraLength = directory.readUInt16LE(p + 30)
      const commentLength = directory.readUInt16LE(p + 32)
      if (p + 46 + nameLength > directory.length) throw new WorkbookRefused('imports.refused.notZip')
      const name = directory.toString('utf8', p + 46, p + 46 + nameLength)
      if (compressedSize === 0xffffffff || uncompressedSize === 0xffffffff) throw new WorkbookRefused('imports.refused.tooBig')
      entries.push({ name, compressedSize, uncompressedSize })
      p += 46 + nameLength + extraLength + commentLength
    }
    return entries
  } finally {
    await file.close()
  }
}

const mb = (n: number) => Math.ceil(n / 1024 / 1024)

/** Refuses (WorkbookRefused) a workbook that would unpack to too much, before any of it is unpacked. */
export async function checkWorkbookZip(filePath: string): Promise<void> {
  const entries = await zipEntries(filePath)
  let total = 0
  for (const e of entries) {
    total += e.uncompressedSize
    const ratio = e.uncompressedSize / Math.max(1, e.compressedSize)
    if (/(^|\/)sharedStrings\.xml$/i.test(e.name) && e.uncompressedSize > MAX_SHARED_STRINGS_BYTES) {
      throw new WorkbookRefused('imports.refused.sharedStrings', { mb: mb(e.uncompressedSize), max: mb(MAX_SHARED_STRINGS_BYTES) })
    }
    if (e.uncompressedSize > MAX_ENTRY_BYTES || (e.uncompressedSize > RATIO_FROM_BYTES && ratio > MAX_RATIO)) {
      throw new WorkbookRefused('imports.refused.tooBig', { mb: mb(e.uncompressedSize) })
    }
  }
  if (total > MAX_TOTAL_BYTES) throw new WorkbookRefused('imports.refused.tooBig', { mb: mb(total) })
}
