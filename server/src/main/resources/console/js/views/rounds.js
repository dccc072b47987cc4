// The EMC's rounds: an OPEN-mode round shows its best ask moving and a countdown
// to its (soft) close; a SEALED one shows only how many bids it has.
import { h, replace, bps, money, bestAsk, duration, clock, errorText } from '../dom.js';

export function roundsView(root, ctx) {
  const list = h('ul', { class: 'cards rounds' });
  const empty = h('p', { class: 'muted' }, 'No open rounds.');
  replace(root, h('h2', {}, 'Rounds'), list, empty);
  const rounds = new Map(); // roundId → {el, round, watch, history}

  function render(entry) {
    const r = entry.round;
    const open = r.status === 'OPEN';
    const mode = r.call?.mode ?? '';
    const left = Date.parse(r.closesAt) - clock.now();
    const trend = entry.history.length > 1 ? sparkline(entry.history) : null;
    replace(
      entry.el,
      h('div', { class: 'row' }, h('strong', {}, r.call?.role || r.call?.capability || r.roundId), h('span', { class: 'tag ' + (open ? 'good' : '') }, r.status)),
      h('div', { class: 'muted' }, `${mode} · ${r.call?.capability ?? ''} · up to ${bps(r.call?.maxShareBps)} · ${r.roundId}`),
      mode === 'OPEN'
        ? h(
            'div',
            { class: 'row big' },
            h('span', {}, 'best ask ', h('b', { class: 'best-ask' }, bestAsk(r) === undefined ? '—' : bps(bestAsk(r)))),
            trend,
          )
        : null,
      h('div', { class: 'row' }, h('span', {}, h('b', { class: 'bid-count' }, String(r.bidCount ?? 0)), ' bids'),
        open ? h('span', { class: 'countdown' + (left < 120000 ? ' warn' : '') }, left > 0 ? 'closes in ' + duration(left) : 'closing…') : h('span', { class: 'muted' }, 'closed')),
      mode === 'OPEN' && open ? h('div', { class: 'muted small' }, 'a bid in the last minutes extends the deadline') : null,
      prospectus(r.prospectus),
      entry.error ? h('div', { class: 'error' }, errorText(entry.error)) : null,
    );
  }

  function track(summary) {
    let entry = rounds.get(summary.roundId);
    if (entry) return;
    entry = { el: h('li', { class: 'round', 'data-round-id': summary.roundId }), round: summary, history: [] };
    rounds.set(summary.roundId, entry);
    list.append(entry.el);
    entry.watch = ctx.live.watch(
      'round/' + summary.roundId,
      () => ctx.http.round(summary.roundId),
      (round, info) => {
        if (info.at) clock.observe(info.at);
        if (!round) {
          entry.error = info.error;
        } else {
          entry.error = null;
          // pushes carry no prospectus: keep the one the last read gave
          entry.round = { ...round, call: round.call ?? entry.round.call, prospectus: round.prospectus ?? entry.round.prospectus };
          if (bestAsk(round) !== undefined && entry.history.at(-1) !== round.bestAskBps) entry.history.push(round.bestAskBps);
          entry.el.dataset.version = round.version;
        }
        render(entry);
      },
    );
    render(entry);
  }

  async function refresh() {
    try {
      const { rounds: open } = await ctx.http.rounds({ emcId: ctx.emcId });
      open.forEach(track);
    } catch (e) {
      empty.textContent = errorText(e);
    }
    empty.hidden = rounds.size > 0;
  }

  const ticker = setInterval(() => rounds.forEach(render), 1000);
  // The directory knows new rounds within about a second; rounds already shown are live.
  const poll = setInterval(refresh, 5000);
  refresh();
  return {
    refresh,
    close() {
      clearInterval(ticker);
      clearInterval(poll);
      rounds.forEach((e) => e.watch.close());
    },
  };
}

/**
 * The call's prospectus as the round view carries it (GET /v1/rounds/{id}): the
 * EMC's closed periods and what the call's largest share would have earned; for
 * the owner, each bid beside what the EMC would keep.
 */
function prospectus(p) {
  if (!p) return null;
  const periods = p.periods ?? [];
  if (periods.length === 0) return h('div', { class: 'muted small prospectus' }, 'no closed period yet');
  const cur = p.currency || 'EUR';
  const range = (r) => `${money(r?.lowMinor ?? 0, cur)} – ${money(r?.medianMinor ?? 0, cur)} – ${money(r?.highMinor ?? 0, cur)}`;
  return h(
    'div',
    { class: 'prospectus small', 'data-periods': periods.length },
    h('div', {}, `last ${periods.length} periods: revenue ${range(p.revenue)} (low – median – high), trend ${money(p.trendMinorPerPeriod ?? 0, cur)}/period`),
    h('div', {}, `targets met ${((p.attainmentBps ?? 0) / 100).toFixed(0)} % · at ${bps(p.askBps)}: ${range(p.projected)} per period`),
    ...(p.bids ?? []).map((b) =>
      h('div', { class: 'muted' }, `${b.meId} asks ${bps(b.askShareBps)}: EMC keeps ${range(b.emcKeeps)} · rating ${b.rating ?? 0} · periods met ${b.periodsMet ?? 0}, missed ${b.periodsMissed ?? 0}`),
    ),
  );
}

/** The best ask over time, as a tiny inline SVG. */
function sparkline(values) {
  const w = 90, hgt = 24;
  const max = Math.max(...values), min = Math.min(...values);
  const y = (v) => (max === min ? hgt / 2 : 2 + ((v - min) / (max - min)) * (hgt - 4));
  const points = values.map((v, i) => `${(i / (values.length - 1)) * w},${hgt - y(v)}`).join(' ');
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${hgt}`);
  svg.setAttribute('class', 'spark');
  const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
  line.setAttribute('points', points);
  svg.append(line);
  return svg;
}
