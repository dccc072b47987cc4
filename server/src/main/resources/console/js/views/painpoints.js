// What the EMC's users report: pain points by votes, with their status as the
// experience side triages them, live on painpoints/{emcId}.
import { h, replace, errorText } from '../dom.js';

export function painPointsView(root, ctx) {
  const list = h('ul', { class: 'cards pain-points' });
  const note = h('p', { class: 'muted' }, 'No pain points yet.');
  replace(root, h('h2', {}, 'Pain points'), list, note);
  let points = new Map(); // painPointId → pain point

  function render() {
    const sorted = [...points.values()].sort((a, b) => (b.votes ?? 0) - (a.votes ?? 0) || String(a.postedAt).localeCompare(String(b.postedAt)));
    replace(
      list,
      ...sorted.map((p) =>
        h(
          'li',
          { class: 'pain-point', 'data-pain-point-id': p.painPointId, 'data-status': p.status },
          h('div', { class: 'row' }, h('strong', {}, p.text), h('span', { class: 'tag' + (p.status === 'OPEN' ? ' warn' : '') }, p.status)),
          h(
            'div',
            { class: 'muted small' },
            `${p.votes ?? 0} votes · ${p.category}${p.applianceId ? ' · ' + p.applianceId : ''} · by ${p.bySystem ? 'the system' : p.postedBy}`,
          ),
          p.mergedInto ? h('div', { class: 'muted small' }, 'merged into ' + p.mergedInto) : null,
          p.reason ? h('div', { class: 'muted small' }, 'declined: ' + p.reason) : null,
        ),
      ),
    );
    note.hidden = points.size > 0;
  }

  const watch = ctx.live.watch(
    'painpoints/' + ctx.emcId,
    () => ctx.http.painPoints(ctx.emcId),
    (value, info) => {
      if (!value) {
        note.hidden = false;
        note.textContent = errorText(info.error);
        return;
      }
      if (info.event === 'read') {
        points = new Map((value.painPoints ?? []).map((p) => [p.painPointId, p]));
      } else {
        points.set(value.painPointId, value);
        // a merge moved votes into another pain point: read the board again
        if (info.event === 'painpoint.merged') watch.resync();
      }
      render();
    },
  );
  return { close: () => watch.close() };
}
