// The EMC's appliances: state, current cycle, alerts and today's reservations.
//
// Which appliances the EMC has comes from its listing (GET /v1/emcs/{id}/appliances,
// a read model that follows provisioning within a second), read on opening and
// every few seconds; each one's live state from its own watch (appliance/{id}).
// An alert on the EMC's topic of an appliance not listed yet adds it at once.
import { h, replace, money, time, clock, errorText } from '../dom.js';

const ALERT_CLASS = { FAULT: 'bad', STALE: 'warn', OFFLINE: 'warn' };

export function appliancesView(root, ctx) {
  const list = h('ul', { class: 'cards appliances' });
  const empty = h('p', { class: 'muted' }, 'No appliances yet.');
  replace(root, h('h2', {}, 'Appliances'), list, empty);
  const watched = new Map();

  function render(entry) {
    const a = entry.appliance;
    if (!a) {
      // not read yet (or refused): what the listing says it is
      const l = entry.listed;
      replace(
        entry.el,
        h('div', { class: 'row' }, h('strong', {}, l ? `${l.type.toLowerCase()} ${l.model}` : entry.id)),
        l ? h('div', { class: 'muted' }, l.location, ' · ', l.applianceId) : null,
        entry.error ? h('div', { class: 'error' }, errorText(entry.error)) : h('div', { class: 'muted small' }, 'reading…'),
      );
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

  /** Watches an appliance; source says how the page learnt of it: 'listing' or 'alert'. */
  function add(id, source, listed) {
    const known = watched.get(id);
    if (known) {
      if (listed && !known.listed) {
        known.listed = listed;
        known.el.dataset.source = source;
        render(known);
      }
      return;
    }
    const entry = { id, el: h('li', { class: 'appliance', 'data-appliance-id': id, 'data-source': source }), appliance: null, listed };
    watched.set(id, entry);
    // by id, as listed
    const next = [...list.children].find((el) => el.dataset.applianceId > id);
    list.insertBefore(entry.el, next ?? null);
    empty.hidden = true;
    render(entry);
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

  async function refresh() {
    try {
      const listed = await ctx.http.appliances(ctx.emcId);
      listed.forEach((l) => add(l.applianceId, 'listing', l));
      empty.textContent = 'No appliances yet.';
    } catch (e) {
      empty.textContent = errorText(e);
    }
    empty.hidden = watched.size > 0;
  }

  // Appliances already shown are live; the listing only brings new ones.
  const poll = setInterval(refresh, 10000);
  refresh();
  return {
    refresh,
    /** An alert of one of the EMC's appliances, pushed on emc/{emcId}. */
    alert(applianceAlert) {
      add(applianceAlert.applianceId, 'alert');
    },
    close() {
      clearInterval(poll);
      watched.forEach((e) => e.watch.close());
    },
  };
}
