// The EMC's revenue of the period so far and where it went: each party's part,
// flashing as credits come in, and a chart of the running total.
import { h, s, replace, money, period, clock, errorText } from '../dom.js';

export function revenueView(root, ctx) {
  const total = h('div', { class: 'total' });
  const chart = h('div', { class: 'chart' });
  const parts = h('ul', { class: 'parts' });
  const note = h('p', { class: 'muted small' });
  replace(root, h('h2', {}, 'Revenue'), total, chart, parts, note);
  const points = []; // [time ms, revenue minor] as this page saw it
  let last = null;
  let timers = [];

  function show(statement) {
    const revenue = Number(statement.revenueMinor ?? 0);
    if (!points.length || points.at(-1)[1] !== revenue) points.push([clock.now(), revenue]);
    const before = new Map((last?.shares ?? []).map((p) => [p.meId, Number(p.amountMinor)]));
    last = statement;
    render(before);
    ctx.onStatement?.(statement);
  }

  /** {@code before}: each party's amount before, to flash those that grew. */
  function render(before = new Map()) {
    const statement = last;
    if (!statement) return;
    const currency = statement.currency || ctx.emc?.currency || 'EUR';
    const revenue = Number(statement.revenueMinor ?? 0);
    replace(
      total,
      h('span', { class: 'big revenue-total', 'data-minor': revenue }, money(revenue, currency)),
      h('span', { class: 'muted' }, ` in ${statement.period}, ${statement.revenueCount ?? 0} payments${statement.closed ? ' (closed)' : ''}`),
    );
    replace(chart, lineChart(statement.period, points, currency));
    const max = Math.max(1, ...(statement.shares ?? []).map((p) => Math.abs(Number(p.amountMinor))));
    replace(
      parts,
      (statement.shares ?? []).map((p) => {
        const amount = Number(p.amountMinor);
        const bar = h('span', { class: 'bar' });
        bar.style.width = Math.round((Math.abs(amount) / max) * 100) + '%';
        const grew = before.has(p.meId) && amount > before.get(p.meId);
        return h(
          'li',
          { class: grew ? 'flash' : '', 'data-me-id': p.meId },
          h('span', { class: 'who' }, ctx.name(p.meId), p.owner ? ' (owner)' : ''),
          h('span', { class: 'track' }, bar),
          h('span', { class: 'amount' }, money(amount, currency)),
        );
      }),
    );
    note.textContent = (statement.shares ?? []).length ? '' : 'No revenue yet this period.';
  }

  async function refresh() {
    try {
      show(await ctx.http.emcStatement(ctx.emcId, period(clock.now())));
    } catch (e) {
      note.textContent = errorText(e);
    }
  }

  const poll = setInterval(refresh, 15000);
  refresh();
  return {
    /** Revenue was shared: the statement (a read model) follows within about a second. */
    revenueShared() {
      timers.forEach(clearTimeout);
      timers = [300, 1500, 4000].map((ms) => setTimeout(refresh, ms));
    },
    refresh,
    /** Names of MEs arrived: draw again, without flashing. */
    redraw: () => render(),
    close() {
      clearInterval(poll);
      timers.forEach(clearTimeout);
    },
  };
}

/** The running total over the month: x is the month, y the revenue so far. */
function lineChart(month, points, currency) {
  const W = 480, H = 140, L = 8, B = 18;
  const start = Date.parse(month + '-01T00:00:00Z');
  const next = new Date(start);
  next.setUTCMonth(next.getUTCMonth() + 1);
  const end = next.getTime();
  const max = Math.max(1, ...points.map((p) => p[1]));
  const x = (t) => L + ((Math.min(Math.max(t, start), end) - start) / (end - start)) * (W - 2 * L);
  const y = (v) => H - B - (v / max) * (H - B - 10);
  const series = points.length && points[0][1] > 0 ? points : [[start, 0], ...points];
  let d = `M ${x(start)} ${y(0)}`;
  for (const [t, v] of series) d += ` H ${x(t)} V ${y(v)}`;
  d += ` H ${x(Math.min(clock.now(), end))}`;
  const days = new Date(end - 1).getUTCDate();
  return s(
    'svg',
    { viewBox: `0 0 ${W} ${H}`, class: 'line-chart', role: 'img', 'aria-label': `revenue of ${month}` },
    s('line', { x1: L, x2: W - L, y1: H - B, y2: H - B, class: 'axis' }),
    [1, 8, 15, 22, days].map((day) =>
      s('text', { x: x(start + (day - 1) * 86400000), y: H - 4, class: 'label' }, String(day)),
    ),
    s('text', { x: W - L, y: 12, class: 'label end' }, money(max, currency)),
    s('path', { d, class: 'series' }),
    points.length ? s('circle', { cx: x(points.at(-1)[0]), cy: y(points.at(-1)[1]), r: 3, class: 'dot' }) : null,
  );
}
