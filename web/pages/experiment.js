// experiment.js: one experiment (its optimizers' studies), the comparison and
// verdict that `optlab report` writes, read from /api/experiment (the report's
// own analysis, in numbers; the words are put together here). Every string
// from storage goes in as text (el()).
'use strict';

const params = new URLSearchParams(location.search);
const expName = params.get('name') || '';
let baseName = params.get('baseline') || '';
const pct = v => v === null || v === undefined ? '—' : (100 * v).toFixed(2) + ' %';
const pp = v => v === null || v === undefined ? '—' : (100 * v).toFixed(2) + ' pp';
const pval = p => p === null || p === undefined ? '—' : p < 0.001 ? p.toExponential(1) : p.toFixed(3);
let lastText = '';

function comparison(data) {
  const rows = data.studies.map(s => {
    const b = s.best, o = s.outcomes;
    const params = b ? Object.entries(b.params).map(([k, v]) => `${k} = ${v}`).join(', ') : '—';
    return el('tr', { 'data-label': s.label },
      el('td', { class: 'text' }, el('a', { href: '/study?name=' + encodeURIComponent(s.study) }, s.label)),
      el('td', { class: 'test' }, b ? pct(b.test) : '—'),
      el('td', { class: 'valid' }, b ? pct(b.valid) + ` (#${b.number})` : '—'),
      el('td', { class: 'text' }, params), el('td', {}, s.n_trials), el('td', {}, o.ok), el('td', {}, o.pruned),
      el('td', {}, o.failed), el('td', {}, o.never_learned), el('td', {}, o.diverged), el('td', {}, o.unfinished));
  });
  document.querySelector('#comparison tbody').replaceChildren(...rows);
  document.getElementById('comparison-note').textContent =
    `Test accuracy on ${data.n_test} images of the best-epoch weights of each optimizer's best trial (highest ` +
    `valid-trial accuracy, ${data.n_valid_trial} images). Repetition ${data.repetition} of ${data.n_repetitions} stored.`;
}

function verdict(data) {
  const v = data.verdict, ul = document.getElementById('verdict'), reps = document.getElementById('reps');
  const items = [];
  const metric = v.metric === 'test' ? 'test' : 'valid-trial';
  if (v.kind === 'single') {
    if (v.ranking.length === 0) items.push('No optimizer has a completed trial yet.');
    else {
      items.push(`Highest ${metric} accuracy: ` + v.ranking.map((r, i) => `${i + 1}. ${r.label} ${pct(r.accuracy)}`).join(', '));
      const first = v.ranking[0];
      for (const r of v.ranking.slice(1))
        items.push(`${r.label}: ${pp(r.gap)} below ${first.label} — ` +
          (r.within_noise ? 'within noise' : 'larger than the noise') + ` (2 × SE of the difference = ${pp(r.noise)})`);
      if (v.ranking.length > 1 && v.n_beyond_noise === 0)
        items.push('No difference exceeds the noise: this run alone cannot tell these optimizers apart.');
      items.push(`Noise: binomial standard error of an accuracy on ${v.n_images} images. Each optimizer's HPO ran once, ` +
        'so repeating the experiment can reorder optimizers that are close.');
    }
    reps.replaceChildren();
  } else {
    const first = v.ranking[0];
    items.push(`Over ${v.n} repetitions, by mean ${metric} accuracy (mean ± 95 % CI): ` +
      v.ranking.map(r => `${r.label} ${pct(r.mean)} ± ${pp(r.half)}`).join(', ') +
      `. ${first.label} ranked first in ${first.first} of ${v.n} repetitions.`);
    let nSig = 0;
    for (const r of v.ranking.slice(1)) {
      if (r.significant === undefined) continue;
      nSig += r.significant;
      items.push(`${r.label}: ${pp(r.below_first)} below ${first.label} on average — ` +
        (r.significant ? 'significant' : 'not significant') + ` (paired t-test, Holm-adjusted, α = ${v.alpha})`);
    }
    if (v.ranking.length > 1)
      items.push(nSig === v.ranking.length - 1 ? `So on this data ${first.label} is the best optimizer.`
        : nSig === 0 ? 'No difference is significant: this experiment cannot tell these optimizers apart.'
        : `The optimizers not significantly below ${first.label} cannot be told apart from it.`);
    items.push(...leftOut(v.left_out));
    reps.replaceChildren(pairsTable('pairs', v.pairs));
  }
  ul.replaceChildren(...items.map(t => el('li', {}, t)));
}

// the repetitions a verdict leaves out because a study of theirs is still running (JSON left_out)
function leftOut(list) {
  if (!list || !list.length) return [];
  const study = x => x.stage === 'not_started' ? `${x.label} not started`
    : `${x.label} ${x.stage === 'search' ? '' : 're-evaluation '}${x.done}${x.of !== undefined ? ' of ' + x.of : ''} trials`;
  return ['Not in these statistics, not finished yet: ' +
    list.map(r => `repetition ${r.repetition} (${r.not_started ? 'not started' : r.studies.map(study).join(', ')})`)
      .join('; ') + '.'];
}

// every pair of optimizers paired by repetition: the difference, its CI and the tests (Holm-adjusted too)
function pairsTable(id, pairs) {
  const head = ['optimizer A', 'optimizer B', 'mean A − B', '95 % CI ±', 't', 'p (t)', 'p (t, Holm)', 'p (sign-flip)', 'p (sign-flip, Holm)'];
  return el('table', { id }, el('thead', {}, el('tr', {}, ...head.map(h => el('th', { class: 'text' }, h)))),
    el('tbody', {}, ...pairs.map(p => el('tr', {}, el('td', { class: 'text' }, p.a), el('td', { class: 'text' }, p.b),
      el('td', {}, pp(p.diff)), el('td', {}, pp(p.half)), el('td', {}, fmt(p.t)), el('td', {}, pval(p.p_t)),
      el('td', {}, pval(p.p_t_holm)), el('td', {}, pval(p.p_flip)), el('td', {}, pval(p.p_flip_holm))))));
}

// issue 17.5: the repetitions compared by their re-evaluated results, when 2 or more have them
function reevaluated(data) {
  const r = data.reevaluated, card = document.getElementById('reeval-card');
  card.hidden = !r;
  if (!r) return;
  const first = r.ranking[0], items = [];
  items.push(`Over ${r.n} repetitions, by mean re-evaluated test accuracy (mean ± 95 % CI): ` +
    r.ranking.map(x => `${x.label} ${pct(x.mean)} ± ${pp(x.half)}`).join(', ') +
    `. ${first.label} ranked first in ${first.first} of ${r.n} repetitions.`);
  for (const x of r.ranking.slice(1))
    if (x.significant !== undefined)
      items.push(`${x.label}: ${pp(x.below_first)} below ${first.label} on average — ` +
        (x.significant ? 'significant' : 'not significant') + ` (paired t-test, Holm-adjusted, α = ${r.alpha})`);
  items.push(...leftOut(r.left_out));
  document.getElementById('reeval').replaceChildren(...items.map(t => el('li', {}, t)));
  document.getElementById('reeval-pairs').replaceChildren(pairsTable('reeval-pairs-table', r.pairs));
}

// "Against a baseline": the report's comparison with another experiment (JSON baseline), per optimizer the best
// trial's test accuracy on both sides with the paired difference and its tests, then the trials each search
// needed to come within 0.1 points of its own best
function baseline(data) {
  const b = data.baseline, note = document.getElementById('baseline-note'), box = document.getElementById('baseline');
  note.classList.toggle('error', !!data.baseline_error);
  if (data.baseline_error) {   // e.g. a mistyped ?baseline=: the rest of the page is still this experiment's
    note.textContent = 'No comparison: ' + data.baseline_error.replace(/^serve: /, '') + '.';
    box.replaceChildren();
    return;
  }
  if (!b) {
    note.textContent = baseName ? '' : 'Choose an experiment to compare with, e.g. the same experiment with another sampler.';
    box.replaceChildren();
    return;
  }
  const samplersDiffer = b.sampler && data.sampler && b.sampler !== data.sampler;
  note.textContent = `${data.experiment}${data.sampler ? ' (sampler ' + data.sampler + ')' : ''} against ${b.experiment}` +
    `${b.sampler ? ' (sampler ' + b.sampler + ')' : ''}, repetition r with r. Difference = this − baseline; ` +
    'paired t-test and sign-flip test, not corrected across optimizers. Trials to best: the search\'s trials up to ' +
    'the first within 0.1 points of its own best (mean over the repetitions).' +
    (samplersDiffer ? ' They differ by the sampler (and anything else their files set differently).' : '') +
    (b.optimizers.length ? '' : ' No optimizer of this experiment has a completed repetition paired with the baseline yet.');
  // mean ± CI half-width in one unit, e.g. "96.71 ± 0.24 %", "+0.13 ± 0.33 pp", "12.3 ± 4.0"
  const ci = (m, h, scale, digits, unit, sign) => m === null || m === undefined ? '—' :
    (sign && m > 0 ? '+' : '') + (scale * m).toFixed(digits) +
    (h === null || h === undefined ? '' : ' ± ' + (scale * h).toFixed(digits)) + unit;
  const head = ['optimizer', 'repetitions', `test accuracy, ${b.experiment}`, `test accuracy, ${data.experiment}`,
    'difference', 'p (t)', 'p (sign-flip)', `trials to best, ${b.experiment}`,
    `trials to best, ${data.experiment}`, 'difference', 'p (t)', 'p (sign-flip)'];
  const rows = b.optimizers.map(o => el('tr', { 'data-label': o.label },
    el('td', { class: 'text' }, o.label), el('td', {}, o.n),
    el('td', {}, ci(o.test.base_mean, o.test.base_half, 100, 2, ' %')), el('td', {}, ci(o.test.mean, o.test.half, 100, 2, ' %')),
    el('td', {}, ci(o.test.diff, o.test.diff_half, 100, 2, ' pp', true)),
    el('td', {}, pval(o.test.p_t)), el('td', {}, pval(o.test.p_flip)),
    el('td', {}, ci(o.to_best.base_mean, o.to_best.base_half, 1, 1, '')), el('td', {}, ci(o.to_best.mean, o.to_best.half, 1, 1, '')),
    el('td', {}, ci(o.to_best.diff, o.to_best.diff_half, 1, 1, '', true)),
    el('td', {}, pval(o.to_best.p_t)), el('td', {}, pval(o.to_best.p_flip))));
  // what the paired repetitions trained on each side, as the report's "Cost" table: epochs and the trials' own
  // training seconds (summed, not wall time), baseline → this, and the share saved
  const saved = (ours, base) => base > 0 ? (100 * (1 - ours / base)).toFixed(0) + ' %' : '—';
  const thousands = x => Math.round(x).toLocaleString('en-US');
  const costRow = (label, c) => el('tr', { 'data-label': label },
    el('td', { class: 'text' }, label), el('td', {}, c.trials === null ? '' : `${c.pruned} / ${c.trials}`),
    el('td', {}, `${thousands(c.base_epochs)} → ${thousands(c.epochs)}`), el('td', {}, saved(c.epochs, c.base_epochs)),
    el('td', {}, `${c.base_seconds.toFixed(0)} s → ${c.seconds.toFixed(0)} s`), el('td', {}, saved(c.seconds, c.base_seconds)));
  const all = { pruned: null, trials: null, epochs: 0, base_epochs: 0, seconds: 0, base_seconds: 0 };
  for (const o of b.optimizers)
    for (const k of ['epochs', 'base_epochs', 'seconds', 'base_seconds']) all[k] += o.cost[k];
  const costHead = ['optimizer', 'pruned / trials', `epochs trained, ${b.experiment} → ${data.experiment}`, 'saved',
    `training time, ${b.experiment} → ${data.experiment}`, 'saved'];
  const tables = [el('table', { id: 'baseline-table' },
    el('thead', {}, el('tr', {}, ...head.map(h => el('th', { class: 'text' }, h)))), el('tbody', {}, ...rows))];
  if (b.optimizers.length)
    tables.push(el('p', { class: 'muted' }, 'What the paired repetitions cost: epochs, and training time as the sum of ' +
      'the trials\' own seconds (not wall time, which the workers share).'),
    el('table', { id: 'baseline-cost-table' },
      el('thead', {}, el('tr', {}, ...costHead.map(h => el('th', { class: 'text' }, h)))),
      el('tbody', {}, ...b.optimizers.map(o => costRow(o.label, o.cost)), costRow('all', all))));
  box.replaceChildren(...tables);
}

// the baseline choices: every other experiment of the storage (from the overview's studies)
async function baselineChoices() {
  const data = await getJSON('/api/studies');
  const names = [...new Set(data.studies.map(s => s.experiment).filter(e => e !== null && e !== undefined && e !== expName))].sort();
  if (baseName && !names.includes(baseName)) names.push(baseName);
  const sel = document.getElementById('baseline-select');
  sel.replaceChildren(el('option', { value: '' }, 'none'), ...names.map(n => el('option', { value: n }, n)));
  sel.value = baseName;
}

document.getElementById('baseline-select').addEventListener('change', e => {
  baseName = e.target.value;
  const q = new URLSearchParams({ name: expName });
  if (baseName) q.set('baseline', baseName);
  history.replaceState(null, '', '/experiment?' + q.toString());
  lastText = '';
  refresh().then(() => banner(''), err => banner('Cannot read the storage: ' + err.message + ' — retrying'));
});

async function refresh() {
  const data = await getJSON('/api/experiment?name=' + encodeURIComponent(expName) +
    (baseName ? '&baseline=' + encodeURIComponent(baseName) : ''));
  document.getElementById('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  const text = JSON.stringify(data);
  if (text === lastText) return;
  lastText = text;
  document.title = 'optlab serve: ' + data.experiment;
  document.getElementById('title').textContent = data.experiment;
  document.getElementById('summary').textContent = `${data.studies.length} optimizers` +
    (data.dataset ? ` · ${data.dataset}` : '') + (data.sampler ? ` · sampler ${data.sampler}` : '');
  comparison(data);
  verdict(data);
  reevaluated(data);
  baseline(data);
}

document.getElementById('download').setAttribute('href', '/api/report?name=' + encodeURIComponent(expName));
if (!expName) banner('No experiment named: open /experiment?name=EXPERIMENT from the list of studies.');
else {
  baselineChoices().catch(e => banner('Cannot list the experiments: ' + e.message));
  poll(refresh, 5000);
}
