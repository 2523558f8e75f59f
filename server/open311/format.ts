import type { FastifyReply } from 'fastify'
import { XMLBuilder } from 'fast-xml-parser'

/**
 * GeoReport v2 answers in XML (required by the specification) and JSON, chosen by the resource's
 * extension. The XML wraps each list in its plural element with one child per item
 * (<services><service>…), as the specification's examples do.
 */
export const FORMATS = ['json', 'xml'] as const
export type Format = (typeof FORMATS)[number]

export const CONTENT_TYPES: Record<Format, string> = { json: 'application/json; charset=utf-8', xml: 'text/xml; charset=utf-8' }

const builder = new XMLBuilder({ ignoreAttributes: false, format: true, suppressEmptyNode: false, processEntities: true })

/** A list inside an item is written as its plural element around one singular element per entry. */
const SINGULAR: Record<string, string> = { endpoints: 'endpoint', formats: 'format', attributes: 'attribute', values: 'value' }

/**
 * What XML 1.0 does not allow in a document (https://www.w3.org/TR/xml/#charsets): C0 controls but
 * tab, line feed and carriage return, lone surrogates, U+FFFE and U+FFFF; and the controls it
 * discourages (DEL, C1). Forms refuse them, but a value stored before that (or by a path that does
 * not pass a form) must not make the whole feed unreadable for every partner: it is dropped here.
 */
// eslint-disable-next-line no-control-regex
const NOT_XML_TEXT = /[^\t\n\r\u0020-\u007E\u00A0-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu

/** Text as an XML document may carry it. */
export const xmlText = (text: string): string => text.replace(NOT_XML_TEXT, '')

/** null becomes an empty element, booleans and numbers their text: XML has no other way to say them. */
function forXml(value: unknown): unknown {
  if (value === null || value === undefined) return ''
  if (Array.isArray(value)) return value.map(forXml)
  if (typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, Array.isArray(v) && SINGULAR[k] ? { [SINGULAR[k]]: forXml(v) } : forXml(v)]),
    )
  }
  return xmlText(String(value))
}

/**
 * The body in the asked format. `root` and `item` name the XML elements around a list; a lone
 * object (discovery, a service definition) is written under `root` directly.
 */
export function sendOpen311(reply: FastifyReply, format: Format, status: number, body: unknown, root: string, item?: string): FastifyReply {
  reply.code(status).type(CONTENT_TYPES[format])
  if (format === 'json') return reply.send(JSON.stringify(body))
  const content = item ? { [item]: forXml(body) } : forXml(body)
  const xml = builder.build({ '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' }, [root]: content })
  return reply.send(xml)
}

export interface Open311Error {
  code: number
  description: string
}

/** Errors as the specification writes them: a list of {code, description}, the status of the first. */
export function sendErrors(reply: FastifyReply, format: Format, errors: Open311Error[]): FastifyReply {
  return sendOpen311(reply, format, errors[0].code, errors, 'errors', 'error')
}

/** A failed check: answered as Open311 errors by the API's error handler. */
export class Open311Failure extends Error {
  constructor(readonly errors: Open311Error[]) {
    super(errors.map((e) => e.description).join('; '))
    this.name = 'Open311Failure'
  }
}
