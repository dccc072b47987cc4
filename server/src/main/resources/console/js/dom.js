// Small helpers shared by the views: building elements and formatting values.

/** h('div', {class: 'x', onclick: f}, child, 'text', [more]) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

/** The same in the SVG namespace, for charts. */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  append(el, children);
  return el;
}

export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** 1700 bps → "17.00 %" */
export function bps(v) {
  return (Number(v ?? 0) / 100).toFixed(2) + ' %';
}

/** minor units → "12.50 EUR" */
export function money(minor, currency = 'EUR') {
  const n = Number(minor ?? 0);
  const sign = n < 0 ? '−' : '';
  const abs = Math.abs(n);
  return `${sign}${Math.floor(abs / 100).toLocaleString('en')}.${String(abs % 100).padStart(2, '0')} ${currency}`;
}

export function time(iso) {
  if (!iso) return '—';
  return new Date(iso).toISOString().replace('T', ' ').slice(0, 19) + 'Z';
}

/** "1h 02m 05s" */
export function duration(ms) {
  if (ms <= 0) return '0s';
  const t = Math.floor(ms / 1000);
  const d = Math.floor(t / 86400), hh = Math.floor((t % 86400) / 3600), mm = Math.floor((t % 3600) / 60), ss = t % 60;
  if (d) return `${d}d ${hh}h ${String(mm).padStart(2, '0')}m`;
  if (hh) return `${hh}h ${String(mm).padStart(2, '0')}m ${String(ss).padStart(2, '0')}s`;
  if (mm) return `${mm}m ${String(ss).padStart(2, '0')}s`;
  return `${ss}s`;
}

/** The current period, YYYY-MM in UTC, by the server's business clock as far as the page knows it. */
export function period(now = Date.now()) {
  return new Date(now).toISOString().slice(0, 7);
}

export function errorText(e) {
  return e?.code ? `${e.code}: ${e.message}` : String(e?.message ?? e);
}

/**
 * The server's business clock as the page sees it: pushes carry `at`, the
 * moment the server published them, so the page follows a faster demo clock too.
 */
export const clock = {
  offset: 0,
  now() {
    return Date.now() + this.offset;
  },
  observe(at) {
    if (at) this.offset = Date.parse(at) - Date.now();
  },
};

/** The best ask of a round where it is shown and there is one; undefined otherwise. */
export function bestAsk(round) {
  return Number(round?.bidCount ?? 0) > 0 ? round.bestAskBps : undefined;
}
