// The console: sign in, pick an EMC, watch it live. Everything comes through
// the public API (js/api.js); each part of the page is a view in js/views/.
import { settings, devToken, claims, Http, Live } from './api.js';
import { h, replace, duration, errorText } from './dom.js';

/** The subject a bearer token names (its payload's sub), to tell which MEs the user operates; '' when unreadable. */
function tokenSubject(token) {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(payload.padEnd(Math.ceil(payload.length / 4) * 4, '='))).sub ?? '';
  } catch {
    return '';
  }
}
import { membersView } from './views/members.js';
import { roundsView } from './views/rounds.js';
import { painPointsView } from './views/painpoints.js';
import { appliancesView } from './views/appliances.js';
import { revenueView } from './views/revenue.js';
import { meView } from './views/me.js';

const main = document.getElementById('main');
const account = document.getElementById('account');
const connection = document.getElementById('connection');
let session = null; // {token, subject, http, live}
let board = null; // the views of the EMC on screen

function params() {
  return new URLSearchParams(location.hash.slice(1));
}

function setParams(changes) {
  const p = params();
  for (const [k, v] of Object.entries(changes)) v ? p.set(k, v) : p.delete(k);
  history.replaceState(null, '', '#' + p);
}

// ---- signing in -------------------------------------------------------------------------------

async function showSignIn(message) {
  const subject = h('input', { name: 'subject', placeholder: 'subject, e.g. alice', value: 'alice', autocomplete: 'off' });
  const pasted = h('textarea', { name: 'token', rows: 4, placeholder: 'paste a bearer token (JWT)' });
  const status = h('p', { class: 'error', role: 'alert' }, message ?? '');
  const dev = h('form', { class: 'inline', hidden: true, onsubmit: async (e) => {
    e.preventDefault();
    try {
      signIn(await devToken(subject.value.trim()));
    } catch (err) {
      status.textContent = errorText(err);
    }
  } }, subject, h('button', { type: 'submit', id: 'dev-token' }, 'Dev token'));
  replace(
    main,
    h(
      'section',
      { class: 'panel signin' },
      h('h2', {}, 'Sign in'),
      dev,
      h('form', { onsubmit: (e) => { e.preventDefault(); signIn(pasted.value.trim()); } }, pasted, h('button', { type: 'submit' }, 'Use this token')),
      status,
    ),
  );
  replace(account);
  try {
    dev.hidden = !(await settings()).devMode;
  } catch (err) {
    status.textContent = errorText(err);
  }
}

function signIn(token) {
  const c = claims(token);
  if (!c?.sub) {
    showSignIn('That is not a token (a JWT with a subject).');
    return;
  }
  sessionStorage.setItem('rendan.token', token);
  const live = new Live(token);
  session = { token, subject: c.sub, http: new Http(token), live };
  live.addEventListener('state', (e) => showConnection(e.detail));
  live.connect();
  replace(account, h('span', {}, 'signed in as ', h('b', { id: 'subject' }, c.sub)), h('button', { class: 'link', onclick: signOut }, 'sign out'));
  window.rendanConsole = { live, get board() { return board; } };
  showPicker();
}

function signOut() {
  board?.close();
  board = null;
  session?.live.stop();
  session = null;
  sessionStorage.removeItem('rendan.token');
  replace(connection);
  showSignIn();
}

let retryTicker = null;
function showConnection({ state, retryAt }) {
  clearInterval(retryTicker);
  const labels = { connecting: 'connecting…', reconnecting: 'reconnecting…', live: 'live', offline: 'offline', closed: 'closed' };
  const render = () => {
    const s = session?.live.stats ?? {};
    replace(
      connection,
      h('span', { class: 'pill ' + state, id: 'connection-state', 'data-state': state },
        labels[state] ?? state, state === 'offline' && retryAt ? ` · retry in ${duration(retryAt - Date.now())}` : ''),
      h('span', { class: 'muted small', title: 'connections, drops, gaps in seq, re-reads over HTTP' }, ` ${s.connects ?? 0} conn · ${s.drops ?? 0} drops · ${s.gaps ?? 0} gaps · ${s.rereads ?? 0} re-reads`),
    );
  };
  render();
  if (state === 'offline') retryTicker = setInterval(render, 500);
}

// ---- picking an EMC ---------------------------------------------------------------------------

function showPicker() {
  const emcInput = h('input', { name: 'emcId', id: 'emc-id', placeholder: 'EMC id', list: 'known-emcs', autocomplete: 'off', value: params().get('emc') ?? localStorage.getItem('rendan.emc') ?? '' });
  const known = h('datalist', { id: 'known-emcs' });
  const picker = h('form', { class: 'inline picker', onsubmit: (e) => { e.preventDefault(); openEmc(emcInput.value.trim()); } }, h('label', {}, 'EMC ', emcInput), known, h('button', { type: 'submit', id: 'watch-emc' }, 'Watch'));
  const boardEl = h('div', { id: 'board' });
  replace(main, picker, boardEl);
  // EMCs the remembered ME belongs to, to pick from
  const meId = params().get('me') ?? localStorage.getItem('rendan.me');
  if (meId) {
    session.http.me(meId).then((me) => replace(known, me.memberships.map((m) => h('option', { value: m.emcId }, m.emcName)))).catch(() => {});
  }
  if (params().get('emc')) openEmc(params().get('emc'));
}

function openEmc(emcId) {
  if (!emcId) return;
  board?.close();
  localStorage.setItem('rendan.emc', emcId);
  setParams({ emc: emcId });
  const boardEl = document.getElementById('board');
  const panels = {
    title: h('header', { class: 'emc-title' }),
    members: h('section', { class: 'panel', id: 'members' }),
    rounds: h('section', { class: 'panel', id: 'rounds' }),
    appliances: h('section', { class: 'panel', id: 'appliances' }),
    revenue: h('section', { class: 'panel', id: 'revenue' }),
    me: h('section', { class: 'panel', id: 'me' }),
    painPoints: h('section', { class: 'panel', id: 'pain-points' }),
  };
  replace(boardEl, panels.title, h('div', { class: 'grid' }, panels.members, panels.rounds, panels.appliances, panels.revenue, panels.me, panels.painPoints));

  const names = new Map();
  const ctx = {
    emcId,
    emc: null,
    statement: null,
    http: session.http,
    live: session.live,
    name(meId) {
      if (!names.has(meId)) {
        names.set(meId, meId);
        session.http.me(meId).then((me) => { names.set(meId, me.name); namesArrived(); }).catch(() => {});
      }
      return names.get(meId);
    },
  };
  const members = membersView(panels.members, ctx);
  const rounds = roundsView(panels.rounds, ctx);
  const appliances = appliancesView(panels.appliances, ctx);
  const painPoints = painPointsView(panels.painPoints, ctx);
  // the statement the revenue view reads also says how each member stands against its target
  ctx.onStatement = (statement) => {
    ctx.statement = statement;
    redraw();
  };
  const revenue = revenueView(panels.revenue, ctx);
  ctx.rounds = rounds;
  const me = meView(panels.me, ctx);

  function redraw() {
    if (ctx.emc) members.show(ctx.emc, ctx.statement);
  }
  function namesArrived() {
    redraw();
    revenue.redraw();
  }

  const watch = session.live.watch(
    'emc/' + emcId,
    () => session.http.emc(emcId),
    (emc, info) => {
      if (!emc) {
        replace(panels.title, h('h1', {}, emcId), h('p', { class: 'error' }, errorText(info.error)));
        return;
      }
      if (ctx.emc?.ownerMeId !== emc.ownerMeId) {
        // whether this user operates the owner ME: only then is it offered to cancel a removal (the server checks it again)
        ctx.owner = false;
        const subject = tokenSubject(session.http.token);
        session.http.me(emc.ownerMeId).then((owner) => { ctx.owner = (owner.operators ?? []).includes(subject); redraw(); }).catch(() => {});
      }
      ctx.emc = emc;
      replace(
        panels.title,
        h('h1', {}, emc.name),
        h('span', { class: 'tag ' + (emc.status === 'ACTIVE' ? 'good' : '') }, emc.status),
        h('span', { class: 'muted' }, ` for ${emc.userGroup} · ${emc.emcId} · version `, h('span', { id: 'emc-version' }, emc.version)),
      );
      redraw();
      if (info.event === 'emc.revenue-shared' || info.event === 'emc.period-closed') revenue.revenueShared();
      // offer the MEs this user operates in the ME view
      const mine = emc.members.map((m) => m.meId);
      me.offer(mine);
      if (!me.current()) me.select(params().get('me') ?? localStorage.getItem('rendan.me') ?? '');
    },
    (push) => {
      if (push.applianceAlert) appliances.alert(push.applianceAlert);
    },
  );

  board = {
    ctx,
    close() {
      watch.close();
      [rounds, appliances, revenue, me, painPoints].forEach((v) => v.close());
    },
  };
}

// ---- start ------------------------------------------------------------------------------------

const saved = sessionStorage.getItem('rendan.token');
if (saved && claims(saved)?.exp * 1000 > Date.now()) signIn(saved);
else showSignIn();
