// Draws the results of bench/run.js as docs/performance.svg: one panel per
// scenario, a bar per client, its length the client's rate as a share of the
// raw socket's; the cancellation and linearity numbers below. Plain SVG
// written as a string, no dependencies. Prints the same results as the
// Markdown tables of docs/performance.md on stdout.
//   node bench/render.js [bench/results/latest.json] [docs/performance.svg]
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { CLIENTS } = require('./scenarios');
const { printTables } = require('./report');

const input = process.argv[2] ?? path.join(__dirname, 'results', 'latest.json');
const output = process.argv[3] ?? path.join(__dirname, '..', 'docs', 'performance.svg');
const data = JSON.parse(fs.readFileSync(input, 'utf8'));

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const colour = (id) => (id === 'raw' ? '#555555' : CLIENTS[id].httpio ? '#d9480f' : CLIENTS[id].undici ? '#1c7ed6' : '#9aa5b1');

const COLS = 2;
const PANEL_W = 620;
const LABEL_W = 230; // client names
const VALUE_W = 150; // the number after each bar
const BAR_H = 16;
const ROW_H = 22;
const GAP = 24;
const MARGIN = 20;

function panel(x, y, name, sc) {
  const ids = Object.keys(sc.clients);
  const unit = sc.unit === 'MiB' ? 'MiB/s' : 'req/s';
  const ratios = ids.map((id) => sc.clients[id].vsRaw ?? 0);
  // The axis runs to the larger of 1× raw and the longest bar, in quarters.
  const top = Math.max(1, Math.ceil(Math.max(...ratios) * 4) / 4);
  const barSpace = PANEL_W - LABEL_W - VALUE_W;
  const scale = (r) => (r / top) * barSpace;
  const parts = [];
  parts.push(`<text x="${x}" y="${y + 14}" class="title">${esc(name)}: ${esc(sc.title)}</text>`);
  const y0 = y + 26;
  const height = ids.length * ROW_H;
  // Grid: 0, 0.5× and 1× raw (and beyond, when a bar goes past it).
  for (let g = 0; g <= top + 1e-9; g += 0.5) {
    const gx = x + LABEL_W + scale(g);
    parts.push(`<line x1="${gx}" y1="${y0 - 2}" x2="${gx}" y2="${y0 + height}" class="${g === 1 ? 'rawline' : 'grid'}"/>`);
    parts.push(`<text x="${gx}" y="${y0 + height + 13}" class="axis" text-anchor="middle">${g === 1 ? '1× raw' : `${g}×`}</text>`);
  }
  ids.forEach((id, i) => {
    const c = sc.clients[id];
    const by = y0 + i * ROW_H;
    const w = Math.max(1, scale(c.vsRaw ?? 0));
    const strong = CLIENTS[id].httpio ? ' strong' : '';
    parts.push(
      `<text x="${x + LABEL_W - 8}" y="${by + 12}" class="label${strong}" text-anchor="end">${esc(CLIENTS[id].label)}${id === sc.bestUndici ? ' ★' : ''}</text>`,
    );
    parts.push(`<rect x="${x + LABEL_W}" y="${by}" width="${w.toFixed(1)}" height="${BAR_H}" fill="${colour(id)}"/>`);
    const rate = sc.unit === 'MiB' ? c.rate.toFixed(0) : Math.round(c.rate).toLocaleString('en');
    const vsRaw = c.vsRaw === null ? '' : ` · ${c.vsRaw.toFixed(2)}×`;
    const text = `${rate} ${unit}${vsRaw}`;
    // A white ground, so that the grid does not run through the number.
    parts.push(
      `<rect x="${x + LABEL_W + w + 3}" y="${by}" width="${(text.length * 7.2 + 6).toFixed(0)}" height="${BAR_H}" fill="#ffffff"/>`,
    );
    parts.push(`<text x="${x + LABEL_W + w + 6}" y="${by + 12}" class="value${strong}">${text}</text>`);
  });
  return { svg: parts.join('\n'), height: 26 + height + 20 };
}

/** Splits a line at spaces into lines of at most `width` characters. */
function wrap(line, width) {
  const out = [];
  let rest = line;
  while (rest.length > width) {
    const cut = rest.lastIndexOf(' ', width);
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut + 1);
  }
  out.push(rest);
  return out;
}

function main() {
  const names = Object.keys(data.scenarios);
  const pieces = [];
  const m = data.machine;
  const width = MARGIN * 2 + COLS * PANEL_W + (COLS - 1) * GAP;
  let y = MARGIN;
  pieces.push(
    `<text x="${MARGIN}" y="${y + 18}" class="h1">httpio vs undici ${esc(m.undici)}, node:http, fetch and a raw socket — one connection to 127.0.0.1</text>`,
  );
  pieces.push(
    `<text x="${MARGIN}" y="${y + 38}" class="note">Bars: each client's median rate over ${data.settings.rounds} round(s) as a share of the raw socket's (the ceiling). ` +
      `Pipelining window ${data.settings.window}, ${data.settings.concurrency} requests outstanding. ★ best undici. ${esc(data.date.slice(0, 10))}, node ${esc(m.node)}, ${m.nproc} × ${esc(m.cpu)}.</text>`,
  );
  const load = [...(data.loadStart ?? []).slice(0, 1), ...(data.loadEnd ?? []).slice(0, 1)].map((l) => l.toFixed(1)).join(' and ');
  pieces.push(
    `<text x="${MARGIN}" y="${y + 56}" class="note">Load average ${esc(load)} at start and end (other work on the machine): ` +
      'rates moved a lot between rounds; the CPU per request in docs/performance.md is steadier.</text>',
  );
  y += 74;
  // Legend.
  const legend = [
    ['#d9480f', 'httpio'],
    ['#1c7ed6', 'undici 7'],
    ['#9aa5b1', 'node:http, fetch'],
    ['#555555', 'raw socket'],
  ];
  legend.forEach(([fill, text], i) => {
    const lx = MARGIN + i * 160;
    pieces.push(
      `<rect x="${lx}" y="${y}" width="12" height="12" fill="${fill}"/><text x="${lx + 18}" y="${y + 11}" class="label">${esc(text)}</text>`,
    );
  });
  y += 26;
  for (let i = 0; i < names.length; i += COLS) {
    let rowHeight = 0;
    for (let j = 0; j < COLS && i + j < names.length; j++) {
      const p = panel(MARGIN + j * (PANEL_W + GAP), y, names[i + j], data.scenarios[names[i + j]]);
      pieces.push(p.svg);
      rowHeight = Math.max(rowHeight, p.height);
    }
    y += rowHeight + 16;
  }
  // Cancellation and linearity: numbers, not bars against raw.
  const lines = [];
  if (data.cancel) {
    const cases = Object.entries(data.cancel.cases)
      .map(([k, c]) => `${k} ${c.unsubscribeMs.toFixed(0)} ms`)
      .join(', ');
    lines.push(
      `Cancel (httpio): ${data.cancel.count.toLocaleString('en')} requests subscribed, then unsubscribed in order — event loop blocked: ${cases} (target < 100 ms).`,
    );
    const subs = Object.entries(data.cancel.cases)
      .map(([k, c]) => `${k} ${c.subscribeMs.toFixed(0)} ms`)
      .join(', ');
    lines.push(`Subscribing them took: ${subs}.`);
  }
  if (data.linearity) {
    const row = (kind) =>
      data.linearity.rows
        .filter((r) => r.kind === kind)
        .map((r) => `${r.size / 1024} KiB ${r.nsPerByte.toFixed(0)}`)
        .join(', ');
    const per = (kind) => {
      const rows = data.linearity.rows.filter((r) => r.kind === kind);
      return (rows.reduce((a, r) => a + r.bytesPerRead, 0) / rows.length).toFixed(1);
    };
    lines.push(
      `Linearity (httpio), client CPU ns per byte — body written a byte at a time (≈${per('body')} bytes/read): ${row('body')}; one header field so written (≈${per('head')} bytes/read): ${row('head')}; normal reads: ${row('normal')}.`,
    );
  }
  for (const line of lines.flatMap((l) => wrap(l, 170))) {
    pieces.push(`<text x="${MARGIN}" y="${y + 12}" class="note">${esc(line)}</text>`);
    y += 18;
  }
  y += MARGIN - 6;
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" font-family="Helvetica, Arial, sans-serif">`,
    '<style>',
    '.h1 { font-size: 17px; font-weight: bold; fill: #1d232a; }',
    '.title { font-size: 14px; font-weight: bold; fill: #1d232a; }',
    '.label { font-size: 12px; fill: #1d232a; }',
    '.value { font-size: 12px; fill: #3d4650; }',
    '.strong { font-weight: bold; fill: #b33c0c; }',
    '.axis { font-size: 10px; fill: #6b7580; }',
    '.note { font-size: 12px; fill: #3d4650; }',
    '.grid { stroke: #d5dbe1; stroke-width: 1; }',
    '.rawline { stroke: #555555; stroke-width: 1; stroke-dasharray: 4 3; }',
    '</style>',
    `<rect x="0" y="0" width="${width}" height="${y}" fill="#ffffff"/>`,
    ...pieces,
    '</svg>',
    '',
  ].join('\n');
  fs.writeFileSync(output, svg);
  printTables(data, (line) => process.stdout.write(`${line}\n`));
  process.stderr.write(`${path.relative(process.cwd(), output)}: ${names.length} scenarios from ${path.relative(process.cwd(), input)}\n`);
}

main();
