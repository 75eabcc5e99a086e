/** HTML building blocks for the dashboard: escaping, the page frame, money, times. */
import { formatUnits } from '@stripe402/protocol'

/** Every dynamic value goes through this. */
export function esc(value: unknown): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
}

export function money(units: number | undefined, currency: string): string {
  if (units === undefined) return '—'
  try {
    return formatUnits(units, currency)
  } catch {
    return `${units} ${currency}`
  }
}

export function when(ms: number | null): string {
  return ms === null ? '—' : new Date(ms).toISOString().replace('T', ' ').slice(0, 16)
}

/** The page frame. No script anywhere; the stylesheet is a file of its own, so the CSP allows no inline style or script. */
export function page(
  title: string,
  body: string,
  options: { signedIn: boolean; form?: string },
): string {
  const nav = options.signedIn
    ? `<nav><a href="/dashboard">Agents</a><a href="/dashboard/charges">Card charges</a>
<form method="post" action="/dashboard/logout"><input type="hidden" name="form" value="${esc(options.form ?? '')}"><button class="link">Sign out</button></form></nav>`
    : ''
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · stripe402 treasury</title>
<link rel="stylesheet" href="/dashboard/style.css">
</head>
<body>
<header><strong>stripe402 treasury</strong>${nav}</header>
<main>
${body}
</main>
</body>
</html>`
}
