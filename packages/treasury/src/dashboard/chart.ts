/** A bar chart as inline SVG (no script): one bar per UTC day, its height the units spent that day. */
import { esc, money } from './html'

export interface DayBar {
  /** Epoch ms of the day's start (UTC). */
  day: number
  units: number
}

export function spendChart(bars: DayBar[], currency: string): string {
  const width = 600
  const height = 160
  const left = 8
  const bottom = 20
  const top = 14
  const max = Math.max(1, ...bars.map((b) => b.units))
  const step = (width - left * 2) / Math.max(1, bars.length)
  const rects = bars
    .map((bar, i) => {
      const h = Math.round(((height - bottom - top) * bar.units) / max)
      const x = left + i * step
      const label = `${new Date(bar.day).toISOString().slice(0, 10)}: ${money(bar.units, currency)}`
      const day = new Date(bar.day).getUTCDate()
      return `<rect class="spent" x="${x.toFixed(1)}" y="${height - bottom - h}" width="${Math.max(1, step - 2).toFixed(1)}" height="${h}"><title>${esc(label)}</title></rect>${
        i % 5 === 0 || i === bars.length - 1
          ? `<text x="${(x + step / 2).toFixed(1)}" y="${height - 6}" text-anchor="middle">${day}</text>`
          : ''
      }`
    })
    .join('')
  return `<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="Spend per day, most ${esc(money(max, currency))}">
<text x="${left}" y="10">${esc(money(max, currency))}</text>
<line x1="${left}" x2="${width - left}" y1="${height - bottom}" y2="${height - bottom}" stroke="currentColor" stroke-opacity=".3"/>
${rects}
</svg>`
}
