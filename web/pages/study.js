// study.js: one study, read incrementally. The first read takes every trial;
// later ones send the highest trial id held and the ids of unfinished trials
// (`after`, `ids`) and merge what comes back. If the server's count differs
// from ours (a trial committed out of id order), the next read takes all.
'use strict';

const studyName = new URLSearchParams(location.search).get('name') || '';
const trials = new Map();          // id -> trial
const distributions = {};          // param name -> Optuna distribution JSON
let serverNow = 0;
let study = null, maxId = -1, fullRead = true, dirty = true, selected = null;
let sortKey = 'number', sortDesc = false;
const charts = {};
const MAX_ROWS = 500, MAX_CURVES = 300;

function chart(id) {
  if (!charts[id]) charts[id] = echarts.init(document.getElementById(id));
  return charts[id];
}

// a param's internal value as shown: a categorical's choice, else the number
function shown(name, v) {
  const d = distributions[name];
  if (d && d.name === 'CategoricalDistribution' && d.attributes && Array.isArray(d.attributes.choices))
    return d.attributes.choices[v];
  return v;
}
function isLog(name) { const d = distributions[name]; return !!(d && d.attributes && d.attributes.log); }
function isCategorical(name) { const d = distributions[name]; return !!(d && d.name === 'CategoricalDistribution'); }

async function refresh() {
  let url = '/api/study?name=' + encodeURIComponent(studyName);
  if (!fullRead) {
    const open = [...trials.values()].filter(t => t.state === 'RUNNING' || t.state === 'WAITING').map(t => t.id);
    url += '&after=' + maxId + (open.length ? '&ids=' + open.join(',') : '');
  }
  const data = await getJSON(url);
  if (fullRead) trials.clear();
  study = data.study;
  Object.assign(distributions, data.distributions);
  for (const t of data.trials) {
    const old = trials.get(t.id);
    if (!old || JSON.stringify(old) !== JSON.stringify(t)) dirty = true;
    trials.set(t.id, t);
    if (t.id > maxId) maxId = t.id;
  }
  fullRead = trials.size !== data.n_total;
  serverNow = data.now;
  document.getElementById('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  if (dirty) { dirty = false; render(); }
  updateHeartbeats();
}

function sorted() { return [...trials.values()].sort((a, b) => a.number - b.number); }
function better(a, b) { return study.direction === 'maximize' ? a > b : a < b; }

function render() {
  document.title = 'optlab serve: ' + study.name;
  document.getElementById('title').textContent = study.name;
  const all = sorted();
  const counts = {};
  for (const t of all) counts[t.state] = (counts[t.state] || 0) + 1;
  // re-evaluation trials (optlab:reeval: a configuration retrained with a fresh seed) are not
  // part of the search: never the best, left out of importances, slices and parallel coordinates
  const isReeval = t => t.system_attrs && t.system_attrs['optlab:reeval'] !== undefined;
  const complete = all.filter(t => t.state === 'COMPLETE' && t.value !== null);
  const done = complete.filter(t => !isReeval(t));
  const reevals = complete.filter(isReeval);
  let best = null;
  for (const t of done) if (best === null || better(t.value, best.value)) best = t;
  document.getElementById('summary').textContent = `${study.direction} · ${all.length} trials (` +
    Object.entries(counts).map(([k, v]) => `${v} ${k.toLowerCase()}`).join(', ') + ')' +
    (best ? ` · best ${fmt(best.value)} (#${best.number})` : '');
  renderHistory(done, reevals);
  renderIntermediate(all);
  const names = Object.keys(distributions).sort();
  renderParallel(done, names);
  renderImportance(done, names);
  renderSlices(done, names);
  renderTable(all, names);
  if (selected !== null && trials.has(selected)) renderDetail(trials.get(selected));
}

function renderHistory(done, reevals) {
  let bestSoFar = null;
  const points = [], bestLine = [], rePoints = reevals.map(t => [t.number, t.value]);
  for (const t of done) {
    points.push([t.number, t.value]);
    if (bestSoFar === null || better(t.value, bestSoFar)) bestSoFar = t.value;
    bestLine.push([t.number, bestSoFar]);
  }
  chart('history').setOption({ ...CHART_BASE, legend: { top: 0 }, grid: { left: 60, right: 20, top: 30, bottom: 40 },
    xAxis: { type: 'value', name: 'trial', nameLocation: 'middle', nameGap: 25, minInterval: 1 },
    yAxis: { type: 'value', name: 'value', scale: true },
    series: [{ name: 'value', type: 'scatter', symbolSize: 5, data: points, large: points.length > 2000 },
             { name: 'best so far', type: 'line', step: 'end', showSymbol: false, data: bestLine }]
      .concat(rePoints.length ? [{ name: 're-evaluation (fresh seed)', type: 'scatter', symbol: 'diamond',
                                   symbolSize: 6, data: rePoints }] : []) }, true);
}

function renderIntermediate(all) {
  const withCurves = all.filter(t => t.intermediate.length > 0).slice(-MAX_CURVES);
  chart('intermediate').setOption({ ...CHART_BASE, grid: { left: 60, right: 20, top: 20, bottom: 40 },
    xAxis: { type: 'value', name: 'step', nameLocation: 'middle', nameGap: 25 },
    yAxis: { type: 'value', scale: true },
    series: withCurves.map(t => ({ name: '#' + t.number + ' ' + t.state.toLowerCase(), type: 'line', showSymbol: false,
      data: t.intermediate, lineStyle: { width: t.state === 'RUNNING' ? 3 : 1 } })) }, true);
}

function renderParallel(done, names) {
  const dims = names.map((n, i) => isCategorical(n)
    ? { dim: i, name: n, type: 'category', data: (distributions[n].attributes.choices || []).map(String) }
    : { dim: i, name: n, type: isLog(n) ? 'log' : 'value', scale: true });
  dims.push({ dim: names.length, name: 'value', type: 'value', scale: true });
  const data = done.map(t => names.map(n => t.params[n] === undefined ? null
    : isCategorical(n) ? String(shown(n, t.params[n])) : t.params[n]).concat([t.value]));
  const values = done.map(t => t.value);
  chart('parallel').setOption({ ...CHART_BASE, parallelAxis: dims, parallel: { left: 40, right: 60, top: 30, bottom: 20 },
    visualMap: values.length ? { show: false, dimension: names.length, min: Math.min(...values), max: Math.max(...values),
      inRange: { color: study.direction === 'maximize' ? ['#ccd', '#1f3a5f'] : ['#1f3a5f', '#ccd'] } } : undefined,
    series: [{ type: 'parallel', lineStyle: { width: 1, opacity: 0.5 }, data }] }, true);
}

function ranks(xs) {
  const idx = xs.map((x, i) => i).sort((a, b) => xs[a] - xs[b]);
  const r = new Array(xs.length);
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && xs[idx[j + 1]] === xs[idx[i]]) j++;
    for (let k = i; k <= j; k++) r[idx[k]] = (i + j) / 2;
    i = j + 1;
  }
  return r;
}
function spearman(xs, ys) {
  const rx = ranks(xs), ry = ranks(ys), n = xs.length;
  const mx = rx.reduce((a, b) => a + b, 0) / n, my = ry.reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) { sxy += (rx[i] - mx) * (ry[i] - my); sxx += (rx[i] - mx) ** 2; syy += (ry[i] - my) ** 2; }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}

// A parameter's first-order share of the value's variance, fANOVA's main effect estimated without a
// forest: the trials are grouped by the parameter (its choice, or B equal-count bins of its value,
// B = clamp(sqrt(n), 2, 10)) and the between-group sum of squares is taken as a share of the total,
// less what B groups would explain by chance (epsilon-squared: (SSb - (B-1) MSw) / SSt, at least 0).
// Unlike a rank correlation it sees effects that rise then fall (a learning rate best in the middle).
function varianceShare(xs, ys) {
  const n = xs.length;
  if (n < 4) return 0;
  const order = xs.map((x, i) => i).sort((a, b) => xs[a] - xs[b]);
  const groups = [];
  const distinct = new Set(xs).size;
  if (distinct <= 10) { // few values (a categorical, an int): one group per value
    for (let i = 0; i < n;) { let j = i; while (j < n && xs[order[j]] === xs[order[i]]) j++; groups.push(order.slice(i, j)); i = j; }
  } else {
    const B = Math.max(2, Math.min(10, Math.floor(Math.sqrt(n))));
    for (let b = 0; b < B; b++) groups.push(order.slice(Math.floor(b * n / B), Math.floor((b + 1) * n / B)));
  }
  const mean = ys.reduce((a, b) => a + b, 0) / n;
  let sst = 0, ssb = 0;
  for (const y of ys) sst += (y - mean) ** 2;
  for (const g of groups) {
    if (!g.length) continue;
    const m = g.reduce((a, i) => a + ys[i], 0) / g.length;
    ssb += g.length * (m - mean) ** 2;
  }
  const B = groups.filter(g => g.length).length;
  if (sst <= 0 || B < 2 || n <= B) return 0;
  const msw = (sst - ssb) / (n - B);
  return Math.max(0, Math.min(1, (ssb - (B - 1) * msw) / sst));
}

function renderImportance(done, names) {
  const imp = names.map(n => {
    const ts = done.filter(t => t.params[n] !== undefined);
    const xs = ts.map(t => t.params[n]), ys = ts.map(t => t.value);
    return [n, varianceShare(xs, ys), ts.length > 2 ? Math.abs(spearman(xs, ys)) : 0];
  }).sort((a, b) => a[1] - b[1] || a[2] - b[2]);
  chart('importance').setOption({ ...CHART_BASE, legend: { top: 0 }, grid: { left: 120, right: 40, top: 25, bottom: 30 },
    xAxis: { type: 'value', min: 0, max: 1 }, yAxis: { type: 'category', data: imp.map(x => x[0]) },
    title: done.length < 4 ? { text: 'needs 4 complete trials', left: 'center', top: 'middle', textStyle: { fontSize: 13, color: '#777' } } : undefined,
    series: [{ name: 'share of variance (first order)', type: 'bar', data: imp.map(x => Number(x[1].toFixed(3))), label: { show: true, position: 'right' } },
             { name: '|Spearman ρ|', type: 'bar', data: imp.map(x => Number(x[2].toFixed(3))) }] }, true);
}

function renderSlices(done, names) {
  const box = document.getElementById('slices');
  // every cell first, then the charts: a chart sized before its neighbours existed would overflow its cell
  let added = false;
  names.forEach((n, i) => {
    if (!document.getElementById('slice-' + i)) { box.appendChild(el('div', { id: 'slice-' + i, class: 'chart' })); added = true; }
  });
  if (added) Object.entries(charts).forEach(([id, c]) => { if (id.startsWith('slice-')) c.resize(); });
  for (const n of names) {
    const id = 'slice-' + names.indexOf(n);
    const cat = isCategorical(n);
    const data = done.filter(t => t.params[n] !== undefined)
      .map(t => [cat ? String(shown(n, t.params[n])) : t.params[n], t.value, t.number]);
    chart(id).setOption({ ...CHART_BASE, title: { text: n, textStyle: { fontSize: 13 } },
      grid: { left: 60, right: 20, top: 30, bottom: 30 },
      xAxis: cat ? { type: 'category', data: (distributions[n].attributes.choices || []).map(String) }
                 : { type: isLog(n) ? 'log' : 'value', scale: true },
      yAxis: { type: 'value', scale: true },
      visualMap: { show: false, dimension: 2, min: 0, max: Math.max(1, done.length), inRange: { color: ['#9bb3d9', '#1f3a5f'] } },
      series: [{ type: 'scatter', symbolSize: 5, data }] }, true);
  }
}

// heartbeat ages grow between polls while the trials stay the same: refresh those cells only
function updateHeartbeats() {
  for (const td of document.querySelectorAll('td.hb[data-id]')) {
    const t = trials.get(Number(td.getAttribute('data-id')));
    if (!t || t.state !== 'RUNNING') continue;
    td.textContent = heartbeatText(t, serverNow);
    td.className = 'text hb' + (t.stale ? ' stale' : '');
  }
}

function cell(t, key) {
  if (key === 'number') return t.number;
  if (key === 'state') return t.state;
  if (key === 'value') return t.value;
  if (key === 'duration') return t.start && t.complete ? t.complete - t.start : null;
  if (key === 'heartbeat') return t.state === 'RUNNING' ? heartbeatText(t, serverNow) : null;
  if (key.startsWith('p:')) { const n = key.slice(2); return t.params[n] === undefined ? null : shown(n, t.params[n]); }
  if (key.startsWith('a:')) { const v = t.user_attrs[key.slice(2)]; return v === undefined ? null : v; }
  return null;
}

function renderTable(all, names) {
  const attrKeys = [...new Set(all.flatMap(t => Object.keys(t.user_attrs)))]
    .filter(k => all.every(t => { const v = t.user_attrs[k]; // short scalars only; the rest is in the detail
      return v === undefined || v === null || (typeof v !== 'object' && String(v).length <= 40); })).sort();
  const cols = [['number', '#'], ['state', 'state'], ['value', 'value'], ['duration', 'duration (s)']]
    .concat(all.some(t => t.state === 'RUNNING') ? [['heartbeat', 'last heartbeat']] : [])
    .concat(names.map(n => ['p:' + n, n]), attrKeys.map(k => ['a:' + k, k]));
  const thead = document.querySelector('#trials thead');
  thead.replaceChildren(el('tr', {}, ...cols.map(([k, label]) => el('th', { class: 'text', 'data-key': k,
    onclick: () => { sortDesc = sortKey === k ? !sortDesc : false; sortKey = k; render(); } },
    label + (sortKey === k ? (sortDesc ? ' ▼' : ' ▲') : '')))));
  const filter = document.getElementById('filter').value.trim().toLowerCase();
  const text = v => v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : typeof v === 'number' ? fmt(v) : String(v);
  let rows = all.map(t => ({ t, cells: cols.map(([k]) => cell(t, k)) }));
  if (filter) rows = rows.filter(r => r.cells.some(c => text(c).toLowerCase().includes(filter)));
  const si = cols.findIndex(([k]) => k === sortKey);
  rows.sort((a, b) => {
    const x = a.cells[si], y = b.cells[si];
    if (x === null && y === null) return 0;
    if (x === null) return 1;
    if (y === null) return -1;
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    return sortDesc ? -c : c;
  });
  document.getElementById('shown').textContent = `${rows.length} of ${all.length} trials` +
    (rows.length > MAX_ROWS ? `, first ${MAX_ROWS} shown` : '');
  const tbody = document.querySelector('#trials tbody');
  tbody.replaceChildren(...rows.slice(0, MAX_ROWS).map(r => el('tr', { 'data-number': r.t.number,
    class: r.t.id === selected ? 'sel' : '', onclick: () => { selected = r.t.id; render(); } },
    ...r.cells.map((c, i) => cols[i][0] === 'heartbeat'
      ? el('td', r.t.state === 'RUNNING' ? { class: 'text hb' + (r.t.stale ? ' stale' : ''), 'data-id': r.t.id } : { class: 'text' }, text(c))
      : el('td', { class: i === 1 ? 'state-' + r.t.state : (typeof c === 'number' ? '' : 'text') }, text(c))))));
}

function renderDetail(t) {
  const rows = [['trial', '#' + t.number + ' (id ' + t.id + ')'], ['state', t.state], ['value', fmt(t.value)],
    ['started', t.start ? new Date(t.start * 1000).toLocaleString() : '—'],
    ['finished', t.complete ? new Date(t.complete * 1000).toLocaleString() : '—']];
  if (t.state === 'RUNNING') rows.push(['last heartbeat', heartbeatText(t, serverNow)]);
  for (const n of Object.keys(t.params).sort()) rows.push(['param ' + n, String(shown(n, t.params[n]))]);
  for (const [k, v] of Object.entries(t.user_attrs)) rows.push(['attr ' + k, JSON.stringify(v)]);
  for (const [k, v] of Object.entries(t.system_attrs)) rows.push(['system attr ' + k, JSON.stringify(v)]);
  rows.push(['intermediate values', t.intermediate.map(([s, v]) => `${s}: ${fmt(v)}`).join(', ') || '—']);
  document.getElementById('detailbody').replaceChildren(el('table', { id: 'detailtable' },
    el('tbody', {}, ...rows.map(([k, v]) => el('tr', {}, el('th', { class: 'text' }, k), el('td', { class: 'text' }, el('pre', {}, v)))))));
}

document.getElementById('filter').addEventListener('input', () => render());
window.addEventListener('resize', () => Object.values(charts).forEach(c => c.resize()));
if (!studyName) banner('No study named: open /study?name=STUDY from the list of studies.');
else poll(refresh, 1000);
