// overview.js: every study of the storage, one row each, refreshed every second.
'use strict';

let lastText = '';
async function refresh() {
  const data = await getJSON('/api/studies');
  const text = JSON.stringify(data.studies);
  document.getElementById('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  document.getElementById('stale').textContent = fmtDuration(data.stale_after);
  if (text === lastText) return;
  lastText = text;
  const tbody = document.querySelector('#studies tbody');
  const rows = data.studies.map(s => {
    const link = el('a', { href: '/study?name=' + encodeURIComponent(s.name) }, s.name);
    const running = s.running.map((r, i) => el('span', { class: 'running' + (r.stale ? ' stale' : ''),
      'data-trial': r.number }, (i ? '; ' : '') + `#${r.number} ${fmtDuration(r.age)}, ${r.epochs} ep, `,
      el('span', { class: 'hb' }, heartbeatText(r, data.now))));
    const exp = s.experiment === null ? '' : String(s.experiment);
    return el('tr', { 'data-study': s.name },
      el('td', { class: 'text' }, link), el('td', { class: 'text' }, exp ? el('a', { href: '/experiment?name=' + encodeURIComponent(exp) }, exp) : ''),
      el('td', { class: 'text' }, s.direction), el('td', {}, s.n_trials), el('td', {}, s.states.COMPLETE),
      el('td', {}, s.states.PRUNED), el('td', {}, s.states.FAIL), el('td', {}, s.states.RUNNING),
      el('td', { class: 'best' }, fmt(s.best)), el('td', {}, s.best_number >= 0 ? '#' + s.best_number : '—'),
      el('td', { class: 'text running' }, ...(running.length ? running : ['—'])), el('td', {}, s.eta === null ? '—' : s.eta === 0 ? 'done' : fmtDuration(s.eta)));
  });
  tbody.replaceChildren(...rows);
  if (!rows.length) tbody.appendChild(el('tr', {}, el('td', { colspan: 12, class: 'text' }, 'no studies yet')));
}
poll(refresh, 1000);
