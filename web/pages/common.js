// common.js: what every page of `optlab serve` shares. Strings from storage are
// only ever put into the page with textContent (el() below), never as HTML, and
// charts show tooltips as rich text, so a study or parameter named like markup
// shows as text.
'use strict';

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v;
    else if (k === 'onclick') e.addEventListener('click', v);
    else e.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function fmt(v) {
  if (v === null || v === undefined) return '—';
  if (typeof v !== 'number') return String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return (a !== 0 && (a < 1e-3 || a >= 1e5)) ? v.toExponential(4) : v.toPrecision(6);
}

function fmtDuration(s) {
  if (s === null || s === undefined) return '—';
  s = Math.max(0, Math.round(s));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  return h ? `${h} h ${m} min` : m ? `${m} min ${sec} s` : `${sec} s`;
}

// A running trial's sign of life: its last heartbeat's age (its start's when it
// keeps none), flagged when older than the workers' grace period (stale: a
// worker will fail it, or its worker is gone).
function heartbeatText(t, now) {
  const last = t.heartbeat !== null && t.heartbeat !== undefined ? t.heartbeat : t.start;
  if (last === null || last === undefined) return 'no heartbeat';
  const age = fmtDuration(now - last) + ' ago';
  const what = t.heartbeat !== null && t.heartbeat !== undefined ? 'heartbeat ' : 'no heartbeat; started ';
  return (t.stale ? 'STALE: ' : '') + what + age;
}

// The banner says what failed (storage gone, server stopped) and goes away
// when a later poll succeeds.
function banner(msg) {
  const b = document.getElementById('banner');
  if (!b) return;
  b.textContent = msg || '';
  b.className = msg ? 'shown' : '';
}

async function getJSON(url) {
  let r;
  try {
    r = await fetch(url, { cache: 'no-store' });
  } catch (e) {
    throw new Error('the optlab serve process cannot be reached (stopped?)');
  }
  let body = null;
  try { body = await r.json(); } catch (e) { body = null; }
  if (!r.ok) throw new Error((body && body.error) || `HTTP ${r.status}`);
  return body;
}

// poll(fn, ms): call fn now and then every ms after each call ends
function poll(fn, ms) {
  const tick = async () => {
    try { await fn(); banner(''); } catch (e) { banner('Cannot read the storage: ' + e.message + ' — retrying'); }
    setTimeout(tick, ms);
  };
  tick();
}

const CHART_BASE = { animation: false, tooltip: { renderMode: 'richText' } };
