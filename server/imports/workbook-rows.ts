import { fork, type ChildProcess } from 'node:child_process'
import type { ColumnKey, WorkbookItem } from './workbook-read.ts'
import type { WorkerReply } from './workbook-worker.ts'
import { WorkbookRefused } from './zip-check.ts'

/**
 * An uploaded workbook's rows, read OUT of the web process: in a child process with its own heap
 * limit (--max-old-space-size), which checks the zip's sizes before unpacking anything
 * (zip-check.ts). A workbook that still unpacks to more than the limit (its directory lied) ends
 * that process, not the server, and costs the server's memory nothing: the caller gets a
 * WorkbookRefused and the job fails with a message. Rows come a batch at a time, each asked for
 * when the last is used: the web process holds one batch.
 */

/** Heap of one import's reader. Shared strings are held there; a 100,000-row ledger needs some 60 MB. */
export const WORKER_HEAP_MB = 160
const BATCH = 200

export interface WorkbookLimits {
  heapMb?: number
}

function startReader(filePath: string, columns: ColumnKey[], heapMb: number): ChildProcess {
  const fromSource = import.meta.url.endsWith('.ts')
  // Built (dist/): the compiled reader. From source (tsx, in development and tests): with tsx's loader.
  const entry = new URL(fromSource ? './workbook-worker.ts' : './workbook-worker.js', import.meta.url)
  return fork(entry, [JSON.stringify({ filePath, columns, batch: BATCH })], {
    // None of the web process's flags: its heap cap is not the reader's.
    execArgv: [`--max-old-space-size=${heapMb}`, ...(fromSource ? ['--import', import.meta.resolve('tsx')] : [])],
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  })
}

/** Every data row of the first worksheet, as {row number, cells by column key}; blank rows skipped. */
export async function* workbookRows(filePath: string, kind: { columns: readonly ColumnKey[] }, limits: WorkbookLimits = {}): AsyncGenerator<WorkbookItem> {
  const columns = kind.columns.map((c) => ({ key: c.key, required: c.required }))
  const reader = startReader(filePath, columns, limits.heapMb ?? WORKER_HEAP_MB)
  let stderr = ''
  reader.stderr!.on('data', (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString()
  })
  let pending: { resolve: (reply: WorkerReply) => void; reject: (error: Error) => void } | null = null
  let ended: Error | null = null
  const end = (error: Error) => {
    ended ??= error
    pending?.reject(ended)
    pending = null
  }
  reader.on('message', (reply: WorkerReply) => {
    pending?.resolve(reply)
    pending = null
  })
  reader.on('error', (error) => end(error))
  reader.on('exit', (code, signal) => {
    const outOfMemory = /heap out of memory|Allocation failed/i.test(stderr) || signal === 'SIGABRT' || code === 134
    end(outOfMemory ? new WorkbookRefused('imports.refused.outOfMemory') : new Error(`the workbook reader stopped (${signal ?? code})`))
  })
  const ask = () =>
    new Promise<WorkerReply>((resolve, reject) => {
      if (ended) return reject(ended)
      pending = { resolve, reject }
      reader.send('next')
    })
  try {
    for (;;) {
      const reply = await ask()
      if ('refused' in reply) throw new WorkbookRefused(reply.refused.key, reply.refused.params)
      if ('error' in reply) throw new Error(reply.error)
      yield* reply.rows
      if (reply.done) return
    }
  } finally {
    reader.removeAllListeners('exit')
    if (reader.exitCode === null && reader.signalCode === null) reader.kill('SIGKILL')
  }
}
