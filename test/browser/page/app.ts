// The page the browser test loads: buys a joke with the paying fetch and writes what happened into the DOM.
import { createPayingFetch, getPaymentInfo } from '@stripe402/client'
import { decodePaymentResponse } from '@stripe402/protocol'

const params = new URL(location.href).searchParams
const api = params.get('api') ?? ''
const pay = createPayingFetch({
  card: { number: '4242424242424242', exp_month: 12, exp_year: 2034, cvc: '123' },
  stripeApiBase: params.get('stripe') ?? '',
  policy: { maxAmountPerRequest: 1_000, maxTopUp: 100_000 },
})

const calls = document.getElementById('calls') as HTMLOListElement
let count = 0

async function buy(): Promise<void> {
  count += 1
  const item = document.createElement('li')
  item.id = `call-${count}`
  try {
    const res = await pay(`${api}/api/joke`)
    const body = (await res.json()) as { joke?: string }
    const info = getPaymentInfo(res)
    const header = res.headers.get('payment-response')
    const receipt = header ? decodePaymentResponse(header) : undefined
    item.textContent = [
      `status ${res.status}`,
      `joke: ${body.joke ?? '(none)'}`,
      `outcome ${info?.outcome ?? 'unknown'}`,
      `requests ${info?.requests ?? '?'}`,
      info?.topUp ? `charged ${info.topUp.units} units (${info.topUp.chargeId})` : 'no charge',
      `receipt credits ${receipt?.creditsRemaining ?? '?'}`,
    ].join(' | ')
  } catch (error) {
    item.textContent = `error: ${(error as Error).message}`
  }
  calls.append(item)
}

document.getElementById('buy')?.addEventListener('click', () => void buy())
document.body.dataset.ready = 'yes'
