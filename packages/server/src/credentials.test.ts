/** Credential tokens: format, hashing, parsing per mode. */
import { describe, expect, it } from 'vitest'
import { hashCredential, issueToken, parseClientId } from './credentials'

const account = 'ab'.repeat(32)

describe('credentials', () => {
  it('issues random tokens that embed the account and are stored only as their hash', () => {
    const a = issueToken(account)
    const b = issueToken(account)
    expect(a.token).toMatch(new RegExp(`^s402_${account}_[A-Za-z0-9_-]{43}$`))
    expect(a.token).not.toBe(b.token)
    expect(a.credentialHash).toBe(hashCredential(a.token))
    expect(a.credentialHash).toMatch(/^[0-9a-f]{64}$/)
    expect(a.credentialHash).not.toContain(a.token.slice(70))
  })

  it('hashes with SHA-256 of the UTF-8 bytes, in hex: ledgers hold hashes of tokens issued long ago', () => {
    expect(hashCredential('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    )
    expect(hashCredential('é')).toBe(
      '4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c',
    )
  })

  it('parses tokens in both modes and bare account ids only in account mode', () => {
    const { token, credentialHash } = issueToken(account)
    expect(parseClientId(token, 'token')).toEqual({
      kind: 'token',
      accountId: account,
      credentialHash,
    })
    expect(parseClientId(token, 'account')).toEqual({
      kind: 'token',
      accountId: account,
      credentialHash,
    })
    expect(parseClientId(account, 'token')).toBeNull()
    expect(parseClientId(account, 'account')).toEqual({ kind: 'account', accountId: account })
  })

  it('parses a token sent again, and thousands of others between, to the same account and hash', () => {
    const first = issueToken(account)
    const expected = { kind: 'token', accountId: account, credentialHash: first.credentialHash }
    expect(parseClientId(first.token, 'token')).toEqual(expected)
    expect(parseClientId(first.token, 'token')).toEqual(expected)
    // More tokens than the parser remembers: each still parses to its own hash, and so does the first.
    for (let i = 0; i < 5000; i++) {
      const other = issueToken(i.toString(16).padStart(64, '0'))
      expect(parseClientId(other.token, 'account')).toMatchObject({
        credentialHash: other.credentialHash,
      })
    }
    expect(parseClientId(first.token, 'account')).toEqual(expected)
  })

  it.each([
    '',
    'x',
    `s402_${account}_short`,
    `s402_${account.toUpperCase()}_${'a'.repeat(43)}`,
    `${issueToken(account).token} `,
    'A'.repeat(64),
  ])('rejects %j', (clientId) => {
    expect(parseClientId(clientId, 'account')).toBeNull()
  })
})
