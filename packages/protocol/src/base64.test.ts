import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { base64DecodeUtf8, base64EncodeUtf8 } from './base64'

describe('base64EncodeUtf8', () => {
  it('matches Buffer for any text, including astral characters and lone surrogates', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        expect(base64EncodeUtf8(s)).toBe(Buffer.from(s, 'utf8').toString('base64'))
      }),
    )
  })

  it('handles text longer than one 32 KiB chunk', () => {
    const s = 'é'.repeat(40_000)
    expect(base64EncodeUtf8(s)).toBe(Buffer.from(s, 'utf8').toString('base64'))
  })
})

describe('base64DecodeUtf8', () => {
  it('inverts the encoder in all four spellings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (s) => {
        const std = Buffer.from(s, 'utf8').toString('base64')
        const url = Buffer.from(s, 'utf8').toString('base64url')
        for (const h of [
          std,
          std.replace(/=+$/, ''),
          url,
          url + '='.repeat((4 - (url.length % 4)) % 4),
        ]) {
          expect(base64DecodeUtf8(h)).toBe(s)
        }
      }),
    )
  })

  it.each([
    ['characters outside both alphabets', 'ab c'],
    ['padding in the middle', 'ab=c'],
    ['three padding characters', 'a==='],
    ['a length of 4n+1', 'abcde'],
    ['padding that does not complete a group', 'e30=='],
    ['both alphabets at once', 'a+b_'],
    ['bytes that are not UTF-8', Buffer.from([0xc3, 0x28]).toString('base64')],
  ])('refuses %s', (_name, input) => {
    expect(base64DecodeUtf8(input)).toBeUndefined()
  })

  it('decodes each input afresh: a refused one leaves nothing behind for the next', () => {
    expect(base64DecodeUtf8(Buffer.from([0xe2, 0x82]).toString('base64'))).toBeUndefined()
    expect(base64DecodeUtf8(Buffer.from('€é', 'utf8').toString('base64'))).toBe('€é')
    expect(base64DecodeUtf8(Buffer.from([0xe2]).toString('base64'))).toBeUndefined()
    expect(base64DecodeUtf8(Buffer.from([0x82, 0xac]).toString('base64'))).toBeUndefined()
  })

  it('keeps a byte order mark instead of silently dropping it (as Buffer does)', () => {
    expect(base64DecodeUtf8(Buffer.from([0xef, 0xbb, 0xbf, 0x41]).toString('base64'))).toBe(
      '\uFEFFA',
    )
  })
})
