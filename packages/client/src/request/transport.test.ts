// Payment headers go over HTTPS, or plain HTTP to this machine only.
import { describe, expect, it } from 'vitest'
import { mayCarryPayment } from './transport'

describe('mayCarryPayment', () => {
  it.each([
    ['https://api.example.com', true],
    ['https://127.0.0.1:8443', true],
    ['http://localhost:3000', true],
    ['http://LOCALHOST', true],
    ['http://127.0.0.1:4020', true],
    ['http://127.255.0.9', true],
    ['http://[::1]:8080', true],
    ['http://api.example.com', false],
    ['http://10.0.0.5', false],
    ['http://localhost.example.com', false],
    ['http://127.0.0.1.example.com', false],
    ['http://[::2]', false],
    ['ftp://localhost', false],
    ['null', false],
  ])('%s → %s', (origin, expected) => {
    expect(mayCarryPayment(origin)).toBe(expected)
  })

  it('judges the host as URL normalises it', () => {
    expect(mayCarryPayment(new URL('http://127.1/').origin)).toBe(true)
    expect(mayCarryPayment(new URL('http://[0:0:0:0:0:0:0:1]/').origin)).toBe(true)
  })
})
