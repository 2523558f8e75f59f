import { readWorkbookRows, type ColumnKey, type WorkbookItem } from './workbook-read.ts'
import { checkWorkbookZip, WorkbookRefused } from './zip-check.ts'

/**
 * The import's reader, a child process of its own (started by workbook-rows.ts with its own heap
 * limit): checks the zip's sizes, then reads the workbook and hands its rows over a batch at a
 * time, each when asked, so neither side holds more than a batch. It ends with its parent.
 */
export type WorkerReply = { rows: WorkbookItem[]; done: boolean } | { refused: { key: string; params: Record<string, unknown> } } | { error: string }

const { filePath, columns, batch } = JSON.parse(process.argv[2]) as { filePath: string; columns: ColumnKey[]; batch: number }
let rows: AsyncGenerator<WorkbookItem> | null = null

async function next(): Promise<WorkerReply> {
  try {
    if (!rows) {
      await checkWorkbookZip(filePath)
      rows = readWorkbookRows(filePath, columns)
    }
    const out: WorkbookItem[] = []
    while (out.length < batch) {
      const item = await rows.next()
      if (item.done) return { rows: out, done: true }
      out.push(item.value)
      if ('missing' in item.value) return { rows: out, done: true }
    }
    return { rows: out, done: false }
  } catch (error) {
    if (error instanceof WorkbookRefused) return { refused: { key: error.key, params: error.params } }
    return { error: String((error as Error)?.message ?? error).slice(0, 300) }
  }
}

process.on('message', () => {
  void next().then((reply) => process.send!(reply))
})
process.on('disconnect', () => process.exit(0))
