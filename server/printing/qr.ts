import QRCode from 'qrcode'

/**
 * The QR code printed on documents and board posters, as SVG. The QR standard (ISO/IEC 18004)
 * asks for a quiet zone of 4 white modules on every side: printed with none, the code ran into the
 * text and lines beside it and phones failed to find it. The white background of the SVG is that
 * zone, so it holds on any paper colour. Level M survives a crease or a smudge.
 */
export const QR_QUIET_ZONE = 4

export function qrCodeSvg(url: string): Promise<string> {
  return QRCode.toString(url, { type: 'svg', margin: QR_QUIET_ZONE, errorCorrectionLevel: 'M' })
}
