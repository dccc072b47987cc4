// The EMC's appliances: state, current cycle, alerts and today's reservations.
//
// The API has no listing of an EMC's appliances, so the page watches those it
// knows: the ones named in the address (#appliances=a,b), the ones added here
// (kept in this browser), and any that raises an alert on the EMC's topic.
import { h, replace, money, time, clock, errorText } from '../dom.js';

const ALERT_CLASS = { FAULT: 'bad', STALE: 'warn', OFFLINE: 'warn' };

export function appliancesView(root, ctx) {
  const key = 'rendan.appliances.' + ctx.emcId;
  const list = h('ul', { class: 'cards appliances' });
  const input = h('input', { name: 'applianceId', placeholder: 'appliance id', autocomplete: 'off' });
  const form = h(
    'form',
    { class: 'inline', onsubmit: (e) => { e.preventDefault(); if (input.value.trim()) add(input.value.trim(), true); input.value = ''; } },
    input,
    h('button', { type: 'submit' }, 'Watch'),
  );
  const hint = h('p', { class: 'muted small' }, 'Add an appliance by its id; appliances that raise an alert appear by themselves.');
  replace(root, h('h2', {}, 'Appliances'), list, form, hint);
  const watched = new Map();

  function remember() {
    localStorage.setItem(key, JSON.stringify([...watched.keys()]));
  }

  function render(entry) {
    const a = entry.appliance;
    if (!a) {
      replace(entry.el, h('div', { class: 'row' }, h('strong', {}, entry.id)), h('div', { class: 'error' }, errorText(entry.error)));
      return;
    }
    const today = new Date(clock.now()).toISOString().slice(0, 10);
    const reservations = (a.reservations ?? []).filter((r) => (r.from ?? '').slice(0, 10) === today);
    const cycle = a.currentCycle;
    replace(
      entry.el,
      h('div', { class: 'row' }, h('strong', {}, `${a.type.toLowerCase()} ${a.model}`), h('span', { class: 'tag ' + (a.connectivity === 'ONLINE' ? 'good' : a.connectivity === 'OFFLINE' ? 'warn' : '') }, a.connectivity.replace('_', ' ').toLowerCase())),
      h('div', { class: 'muted' }, a.location, ' · ', a.applianceId),
      h('div', { class: 'row' }, h('span', {}, 'state ', h('b', { class: 'device-state' }, a.deviceState || '—')), h('span', { class: 'muted' }, money(a.tariff?.amountMinor, a.tariff?.currency), ' / cycle')),
      h('div', {}, cycle ? `cycle ${cycle.cycleId}${cycle.program ? ' (' + cycle.program + ')' : ''} since ${time(cycle.startedAt)}` : h('span', { class: 'muted' }, 'no cycle running')),
      h(
        'ul',
        { class: 'alerts' },
        (a.alerts ?? []).map((al) =>
          h('li', { class: 'alert ' + (ALERT_CLASS[al.kind] ?? ''), 'data-alert-id': al.alertId }, h('b', {}, al.kind.toLowerCase()), ' ', al.message || al.subject || al.alertId),
        ),
      ),
      a.inventory?.length ? h('div', { class: 'muted small' }, `${a.inventory.length} items inside`) : null,
      h(
        'div',
        { class: 'small' },
        reservations.length
          ? ['Today: ', reservations.map((r) => h('span', { class: 'tag' }, `${r.from.slice(11, 16)}–${r.to.slice(11, 16)} ${r.status.toLowerCase().replace('_', ' ')}`))]
          : h('span', { class: 'muted' }, 'no reservations today'),
      ),
      h('div', { class: 'muted small' }, `${a.usage?.meteredCycles ?? 0} cycles · ${money(a.usage?.revenueMinor, a.tariff?.currency)} · ${a.usage?.readings ?? 0} readings`),
    );
    entry.el.dataset.version = a.version;
    entry.el.classList.toggle('faulted', Boolean(a.faulted));
  }

  function add(id, keep) {
    if (watched.has(id)) return;
    const entry = { id, el: h('li', { class: 'appliance', 'data-appliance-id': id }), appliance: null };
    watched.set(id, entry);
    list.append(entry.el);
    if (keep) remember();
    entry.watch = ctx.live.watch(
      'appliance/' + id,
      () => ctx.http.appliance(id),
      (appliance, info) => {
        if (info.at) clock.observe(info.at);
        if (appliance) entry.appliance = appliance;
        entry.error = info.error;
        render(entry);
      },
    );
  }

  for (const id of [...ctx.applianceIds, ...JSON.parse(localStorage.getItem(key) ?? '[]')]) add(id, false);
  return {
    /** An alert of one of the EMC's appliances, pushed on emc/{emcId}. */
    alert(applianceAlert) {
      add(applianceAlert.applianceId, true);
    },
    close() {
      watched.forEach((e) => e.watch.close());
    },
  };
}
