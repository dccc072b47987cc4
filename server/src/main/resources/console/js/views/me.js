// One ME as its operator sees it: balance, ledger, win-win value statement, and
// a form to bid on an open round (over the WebSocket, as an app would).
import { h, replace, money, bps, bestAsk, time, period, clock, errorText } from '../dom.js';

export function meView(root, ctx) {
  const picker = h('input', { name: 'meId', placeholder: 'your ME id', list: 'my-mes', autocomplete: 'off' });
  const choices = h('datalist', { id: 'my-mes' });
  const head = h('div', { class: 'me-head' });
  const balance = h('div', { class: 'balance' });
  const ledger = h('table', { class: 'ledger' });
  const statement = h('div', { class: 'statement' });
  const bidForm = h('form', { class: 'bid', onsubmit: bid });
  const bidResult = h('div', { class: 'bid-result', role: 'status' });
  replace(
    root,
    h('h2', {}, 'ME view'),
    h('form', { class: 'inline', onsubmit: (e) => { e.preventDefault(); select(picker.value.trim()); } }, picker, choices, h('button', { type: 'submit' }, 'Show')),
    head,
    balance,
    h('h3', {}, 'Win-win value statement'),
    statement,
    h('h3', {}, 'Ledger'),
    ledger,
    h('h3', {}, 'Bid on an open round'),
    bidForm,
    bidResult,
  );
  let meId = null;
  let me = null;
  let watch = null;
  let timers = [];

  function offer(ids) {
    replace(choices, ids.map((id) => h('option', { value: id }, ctx.name(id))));
  }

  function select(id) {
    if (!id || id === meId) return;
    meId = id;
    localStorage.setItem('rendan.me', id);
    picker.value = id;
    watch?.close();
    watch = ctx.live.watch(
      'me/' + id,
      () => ctx.http.me(id),
      (value, info) => {
        if (info.at) clock.observe(info.at);
        if (value) {
          me = value;
          showMe();
          if (info.event === 'me.ledger-credited' || info.event === 'read') readModels();
        } else if (!me || me.meId !== id) {
          replace(head, h('div', { class: 'error' }, errorText(info.error)));
        } else {
          replace(bidResult, h('div', { class: 'error' }, 'live updates: ' + errorText(info.error)));
        }
      },
    );
    loadRounds();
  }

  function showMe() {
    replace(
      head,
      h('div', { class: 'row' }, h('strong', {}, me.name), h('span', { class: 'tag' }, `rating ${me.rating}`)),
      h('div', { class: 'muted' }, `${me.kind.toLowerCase().replace('_', ' ')} · ${me.capabilities.join(', ') || 'no capabilities'} · ${me.meId}`),
      h('div', { class: 'muted small' }, me.memberships.length ? 'in ' + me.memberships.map((m) => `${m.emcName} (${m.role})`).join(', ') : 'no memberships'),
      me.help
        ? h('div', { class: 'muted small me-help' },
            `help given: ${me.help.pledgesGiven ?? 0} pledged, ${me.help.deliveredGiven ?? 0} delivered, ${me.help.recoveriesHelped ?? 0} recoveries · `
              + `received: ${me.help.pledgesReceived ?? 0} pledged, ${me.help.deliveredReceived ?? 0} delivered; cases ${me.help.casesOpened ?? 0} opened, ${me.help.casesRecovered ?? 0} recovered, ${me.help.casesFailed ?? 0} failed`)
        : null,
    );
    replace(
      balance,
      (me.balances ?? []).length
        ? me.balances.map((b) => h('span', { class: 'big me-balance', 'data-currency': b.currency }, money(b.amountMinor, b.currency)))
        : h('span', { class: 'muted' }, me.operators?.length ? 'balance: nothing yet' : 'balance shown to its operators only'),
    );
  }

  /** Ledger and statement are read models that follow the ME within about a second. */
  function readModels() {
    timers.forEach(clearTimeout);
    timers = [0, 1200, 4000].map((ms) => setTimeout(loadReadModels, ms));
  }

  async function loadReadModels() {
    const id = meId;
    try {
      const page = await ctx.http.ledger(id, 10);
      if (id !== meId) return;
      replace(
        ledger,
        h('tr', {}, h('th', {}, 'earned'), h('th', {}, 'EMC'), h('th', {}, 'source'), h('th', {}, 'share'), h('th', { class: 'num' }, 'amount')),
        page.entries.length
          ? page.entries.map((e) => h('tr', {}, h('td', {}, time(e.earnedAt)), h('td', {}, e.emcId), h('td', {}, e.source), h('td', {}, e.owner ? 'owner' : bps(e.shareBps)), h('td', { class: 'num' }, money(e.amountMinor, e.currency))))
          : h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'no entries yet')),
      );
    } catch (e) {
      replace(ledger, h('tr', {}, h('td', { class: 'error' }, errorText(e))));
    }
    try {
      const st = await ctx.http.meStatement(id, period(clock.now()));
      if (id !== meId) return;
      replace(
        statement,
        h('div', { class: 'muted small' }, `period ${st.period}`),
        st.emcs.length
          ? h('ul', { class: 'plain' }, st.emcs.map((x) => h('li', {}, `${x.emcId}: ${money(x.earnedMinor ?? 0, x.currency)} from ${x.entries} payments`,
            x.advancesMinor ? ` · advances ${money(x.advancesMinor, x.currency)}` : '',
            x.repaymentsMinor ? ` · repayments ${money(x.repaymentsMinor, x.currency)}` : '',
            x.target ? ` · target ${x.target.achieved}/${x.target.target} ${x.target.met ? 'met' : 'missed'}${x.target.atRisk ? ', at risk' : ''}` : ' · target: period open')))
          : h('div', { class: 'muted' }, 'nothing earned this period yet'),
        (st.totals ?? []).length ? h('div', {}, 'total: ', st.totals.map((t) => money(t.amountMinor, t.currency)).join(' + ')) : null,
      );
    } catch (e) {
      replace(statement, h('div', { class: 'error' }, errorText(e)));
    }
  }

  async function loadRounds() {
    const rounds = [];
    try {
      // the whole directory: a bidder is never a member of the EMC it bids in
      rounds.push(...(await ctx.http.rounds()).rounds);
    } catch (e) {
      replace(bidResult, h('div', { class: 'error' }, errorText(e)));
    }
    const capable = rounds.filter((r) => !me?.capabilities || me.capabilities.includes(r.call.capability));
    const select = h('select', { name: 'roundId' }, (capable.length ? capable : rounds).map((r) => h('option', { value: r.roundId }, `${r.roundId} · ${r.call.capability} · ${r.call.mode.toLowerCase()} · best ${bestAsk(r) === undefined ? '—' : bps(bestAsk(r))}`)));
    replace(
      bidForm,
      h('label', {}, 'round ', select),
      h('label', {}, 'ask (bps) ', h('input', { name: 'askShareBps', type: 'number', min: 0, max: 10000, required: true })),
      h('label', {}, 'plan ', h('input', { name: 'plan', placeholder: 'how you would do it' })),
      h('button', { type: 'submit' }, 'Place bid'),
      h('button', { type: 'button', class: 'link', onclick: loadRounds }, 'refresh rounds'),
    );
  }

  async function bid(e) {
    e.preventDefault();
    const data = new FormData(bidForm);
    const roundId = data.get('roundId');
    const bidId = `${meId}-${Date.now().toString(36)}`;
    replace(bidResult, 'placing…');
    try {
      const round = await ctx.live.request({
        placeBid: { roundId, bidId, meId, askShareBps: Number(data.get('askShareBps')), plan: data.get('plan') ?? '' },
      });
      replace(bidResult, h('div', { class: 'ok' }, `bid ${bidId} stored: ${round.bidCount} bids, best ask ${round.bestAskBps === undefined ? 'hidden (sealed)' : bps(round.bestAskBps)}`));
      ctx.rounds?.refresh();
    } catch (err) {
      replace(bidResult, h('div', { class: 'error' }, errorText(err)));
    }
  }

  loadRounds();
  return {
    offer,
    select,
    current: () => meId,
    close() {
      watch?.close();
      timers.forEach(clearTimeout);
    },
  };
}
