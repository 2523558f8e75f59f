import { printTemplate as template } from './templates.ts'
import { PRINT_ORIGIN } from './renderer.ts'
import { qrCodeSvg } from './qr.ts'

export interface DocumentFrame {
  locale: string
  title: string
  caseNo: string
  townName: string
  villageName: string
  lookupUrl: string
  generatedAt: string
  landscape?: boolean
}

/**
 * A printed document as HTML: the same template for the browser's print view and for the PDF.
 * For the PDF the shipped fonts load from the renderer's private origin; in the browser from /assets.
 */
export async function renderDocumentHtml(name: string, frame: DocumentFrame, model: object, target: 'pdf' | 'browser', printBar = ''): Promise<string> {
  const data = { ...model, ...frame, fontBase: target === 'pdf' ? `${PRINT_ORIGIN}/fonts` : '/assets/fonts', assetBase: target === 'pdf' ? `${PRINT_ORIGIN}/assets` : '/assets' }
  const body = template(`documents/${name}`)(data)
  const qrSvg = await qrCodeSvg(frame.lookupUrl)
  return template('document-layout')({ ...data, body, qrSvg, printBar })
}
