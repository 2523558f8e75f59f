import { createRequire } from 'node:module'
import path from 'node:path'
import { StringDecoder } from 'node:string_decoder'
import type ExcelJSModule from 'exceljs'

/**
 * exceljs, with its streaming reader's UTF-8 fixed. exceljs 4.4 decodes each chunk of a zipped
 * sheet on its own (lib/utils/parse-sax.js), so a Chinese character whose three bytes straddle
 * two chunks becomes '���': about one cell in 2,000 of a real workbook came out corrupted (a
 * village, a matter, an ID number). The parser below keeps a StringDecoder across chunks. It
 * takes the place of exceljs's module before exceljs is first loaded, here; the rest of the
 * library is exceljs's own. Import ExcelJS from this file, never from 'exceljs'.
 */
const require = createRequire(import.meta.url)
const root = path.dirname(require.resolve('exceljs/package.json'))
const fromExceljs = createRequire(path.join(root, 'package.json'))
const { SaxesParser } = fromExceljs('saxes') as { SaxesParser: new () => { on(event: string, handler: (value: unknown) => void): void; write(text: string): void } }
const { PassThrough } = fromExceljs('readable-stream') as typeof import('node:stream')

type SaxEvent = { eventType: 'opentag' | 'text' | 'closetag'; value: unknown }

async function* parseSax(input: AsyncIterable<Buffer | string> & { pipe?: unknown }): AsyncGenerator<SaxEvent[]> {
  let iterable = input
  // Old-style streams without async iteration, as exceljs's own version upgrades them.
  if (typeof input.pipe === 'function' && !(Symbol.asyncIterator in input)) iterable = (input as unknown as NodeJS.ReadableStream).pipe(new PassThrough()) as unknown as typeof input
  const parser = new SaxesParser()
  let error: unknown
  parser.on('error', (e) => (error = e))
  let events: SaxEvent[] = []
  parser.on('opentag', (value) => events.push({ eventType: 'opentag', value }))
  parser.on('text', (value) => events.push({ eventType: 'text', value }))
  parser.on('closetag', (value) => events.push({ eventType: 'closetag', value }))
  const decoder = new StringDecoder('utf8')
  for await (const chunk of iterable) {
    parser.write(typeof chunk === 'string' ? chunk : decoder.write(chunk))
    if (error) throw error
    yield events
    events = []
  }
  const rest = decoder.end()
  if (rest) {
    parser.write(rest)
    if (error) throw error
    yield events
  }
}

// Every import of exceljs goes through this file: a copy loaded before it would keep the broken
// parser (and Node's ES module loader forbids loading a second copy beside it), so say so.
const parseSaxFile = path.join(root, 'lib', 'utils', 'parse-sax.js')
if (require.cache[parseSaxFile] && require.cache[parseSaxFile]!.exports !== parseSax) {
  throw new Error("exceljs was loaded before server/exports/exceljs.ts: import ExcelJS from that file, not from 'exceljs'")
}
require.cache[parseSaxFile] = { id: parseSaxFile, filename: parseSaxFile, loaded: true, exports: parseSax } as unknown as NodeJS.Module

const ExcelJS = require('exceljs') as typeof ExcelJSModule
export default ExcelJS
