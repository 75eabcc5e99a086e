/** The dashboard's one stylesheet: readable on a phone (one column, tables scroll sideways), no web fonts. */
export const STYLE = `
:root { color-scheme: light dark; --fg: #1a1a1a; --muted: #666; --bg: #fff; --line: #ddd; --accent: #635bff; --bad: #c0392b; --ok: #1e8e3e; }
@media (prefers-color-scheme: dark) { :root { --fg: #eee; --muted: #aaa; --bg: #161616; --line: #333; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, Segoe UI, Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; justify-content: space-between; padding: .75rem 1rem; border-bottom: 1px solid var(--line); }
nav { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; }
nav form { margin: 0; }
main { max-width: 980px; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.35rem; margin: .25rem 0 1rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
a { color: var(--accent); }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; width: 100%; min-width: 520px; }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; white-space: nowrap; }
th { font-weight: 600; color: var(--muted); font-size: .85rem; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.bar { display: block; width: 100%; min-width: 60px; height: 4px; margin-top: 3px; }
.bar .track { fill: var(--line); } .bar .fill { fill: var(--accent); } .bar.full .fill { fill: var(--bad); }
input.check { width: auto; }
.status { font-size: .8rem; padding: .1rem .4rem; border-radius: 1rem; border: 1px solid currentColor; }
.status.active { color: var(--ok); } .status.revoked, .status.expired { color: var(--bad); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: .75rem; margin-bottom: 1rem; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: .6rem .75rem; }
.card b { display: block; font-size: 1.2rem; font-variant-numeric: tabular-nums; }
.card small { color: var(--muted); }
form.stack { display: grid; gap: .6rem; max-width: 520px; }
form.stack label { display: grid; gap: .2rem; font-size: .9rem; }
.row { display: grid; grid-template-columns: repeat(auto-fit, minmax(110px, 1fr)); gap: .5rem; }
input, textarea, select { font: inherit; padding: .45rem .5rem; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--fg); width: 100%; }
textarea { min-height: 4.5rem; }
button { font: inherit; padding: .5rem .9rem; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
button.danger { background: var(--bad); border-color: var(--bad); }
button.link { background: none; border: none; color: var(--accent); padding: 0; text-decoration: underline; }
.note { color: var(--muted); font-size: .85rem; }
.error { border: 1px solid var(--bad); color: var(--bad); padding: .5rem .75rem; border-radius: 6px; }
.handle { font-family: ui-monospace, monospace; word-break: break-all; padding: .75rem; border: 1px dashed var(--accent); border-radius: 6px; }
.actions { display: flex; flex-wrap: wrap; gap: .5rem; margin: 1rem 0; }
.actions form { margin: 0; }
svg { max-width: 100%; height: auto; }
svg text { fill: var(--muted); font-size: 10px; }
svg rect.spent { fill: var(--accent); }
`
