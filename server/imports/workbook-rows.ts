import { Worker } from 'node:worker_threads'
import type { ColumnKey, WorkbookItem } from './workbook-read.ts'
import type { WorkerReply } from './workbook-worker.ts'
import { WorkbookRefused } from './zip-check.ts'

/**
 * An uploaded workbook's rows, read OUT of the web process's heap: in a worker thread with its own
 * memory limit, which checks the zip's sizes before unpacking anything (zip-check.ts). A workbook
 * that still unpacks to more than the limit (its directory lied) ends that worker, not the server:
 * the caller gets a WorkbookRefused and the job fails with a message. Rows come a batch at a time,
 * each asked for when the last is used: the web process holds one batch.
 */

/** Heap of one import's worker. Shared strings are held there; a 100,000-row ledger needs some 60 MB. */
export const WORKER_HEAP_MB = 160
const BATCH = 200

export interface WorkbookLimits {
  heapMb?: number
}

function startWorker(filePath: string, columns: ColumnKey[], heapMb: number): Worker {
  const options = {
    workerData: { filePath, columns, batch: BATCH },
    resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: 16, codeRangeSizeMb: 16 },
    // None of the web process's flags: its heap cap is not the worker's, and tsx is registered below.
    execArgv: [],
    stdout: false,
    stderr: false,
  }
  // Built (dist/): the compiled worker. From source (tsx, in development and tests): tsx's loader first.
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./workbook-worker.js', import.meta.url), options)
  const source = new URL('./workbook-worker.ts', import.meta.url).href
  const tsx = import.meta.resolve('tsx/esm/api')
  return new Worker(`import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(source)}) })`, { ...options, eval: true })
}

/** Every data row of the first worksheet, as {row number, cells by column key}; blank rows skipped. */
export async function* workbookRows(filePath: string, kind: { columns: readonly ColumnKey[] }, limits: WorkbookLimits = {}): AsyncGenerator<WorkbookItem> {
  const columns = kind.columns.map((c) => ({ key: c.key, required: c.required }))
  const worker = startWorker(filePath, columns, limits.heapMb ?? WORKER_HEAP_MB)
  let pending: { resolve: (reply: WorkerReply) => void; reject: (error: Error) => void } | null = null
  let ended: Error | null = null
  const end = (error: Error) => {
    ended ??= error
    pending?.reject(ended)
    pending = null
  }
  worker.on('message', (reply: WorkerReply) => {
    pending?.resolve(reply)
    pending = null
  })
  worker.on('error', (error: Error & { code?: string }) => {
    end(error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? new WorkbookRefused('imports.refused.outOfMemory') : error)
  })
  worker.on('exit', (code) => end(new Error(`the workbook reader stopped (${code})`)))
  const ask = () =>
    new Promise<WorkerReply>((resolve, reject) => {
      if (ended) return reject(ended)
      pending = { resolve, reject }
      worker.postMessage('next')
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
    worker.removeAllListeners('exit')
    await worker.terminate()
  }
}
