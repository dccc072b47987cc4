// The console's only way to the server: the public HTTP API and the public
// WebSocket, exactly as any other app uses them (see docs/API.md).

/** A refusal in the API's one error shape: {code, message, status}. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function answer(response) {
  const text = await response.text();
  const body = text ? JSON.parse(text) : {};
  if (!response.ok) {
    throw new ApiError(response.status, body.code || 'http:' + response.status, body.message || response.statusText);
  }
  return body;
}

/** What the node tells a page before anyone signs in: {devMode}. */
export async function settings() {
  return answer(await fetch('/console/settings.json', { cache: 'no-store' }));
}

/** POST /v1/dev/tokens: only in dev mode. */
export async function devToken(subject) {
  const response = await fetch('/v1/dev/tokens', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ subject }),
  });
  return (await answer(response)).token;
}

/** The claims of a JWT, read without checking it: the server checks it on every request. */
export function claims(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), '=')));
  } catch {
    return null;
  }
}

/** HTTP with the signed-in user's bearer token. */
export class Http {
  constructor(token) {
    this.token = token;
  }

  async get(path) {
    return answer(await fetch(path, { headers: { Authorization: 'Bearer ' + this.token } }));
  }

  async post(path, body) {
    return answer(
      await fetch(path, {
        method: 'POST',
        headers: { Authorization: 'Bearer ' + this.token, 'Content-Type': 'application/json' },
        body: JSON.stringify(body ?? {}),
      }),
    );
  }

  async del(path) {
    return answer(await fetch(path, { method: 'DELETE', headers: { Authorization: 'Bearer ' + this.token } }));
  }

  me(meId) { return this.get('/v1/mes/' + encodeURIComponent(meId)); }
  /** The owner withdraws a removal with notice before it takes effect. */
  cancelRemoval(emcId, meId) {
    return this.del(`/v1/emcs/${encodeURIComponent(emcId)}/members/${encodeURIComponent(meId)}/removal`);
  }
  emc(emcId) { return this.get('/v1/emcs/' + encodeURIComponent(emcId)); }
  round(roundId) { return this.get('/v1/rounds/' + encodeURIComponent(roundId)); }
  appliance(id) { return this.get('/v1/appliances/' + encodeURIComponent(id)); }

  /** Every appliance of the EMC (what each is, not its live state), following the pages. */
  async appliances(emcId) {
    const all = [];
    let after = '';
    do {
      const query = new URLSearchParams({ limit: '100' });
      if (after) query.set('after', after);
      const page = await this.get(`/v1/emcs/${encodeURIComponent(emcId)}/appliances?${query}`);
      all.push(...(page.appliances ?? []));
      after = page.nextPage ?? '';
    } while (after);
    return all;
  }
  ledger(meId, limit = 20) { return this.get(`/v1/mes/${encodeURIComponent(meId)}/ledger?limit=${limit}`); }
  meStatement(meId, period) { return this.get(`/v1/mes/${encodeURIComponent(meId)}/statement?period=${period}`); }
  emcStatement(emcId, period) { return this.get(`/v1/emcs/${encodeURIComponent(emcId)}/statement?period=${period}`); }

  /** The EMC's pain points, most votes first, with the board's version. */
  painPoints(emcId) { return this.get(`/v1/emcs/${encodeURIComponent(emcId)}/pain-points`); }

  /** The directory of rounds; {emcId, capability, status} are optional filters. */
  rounds(filter = {}) {
    const query = new URLSearchParams({ status: 'OPEN', limit: '100' });
    for (const [k, v] of Object.entries(filter)) if (v) query.set(k, v);
    return this.get('/v1/rounds?' + query);
  }
}

const PAYLOADS = ['me', 'emc', 'round', 'appliance', 'painPoint'];

/**
 * One live object: subscribed on the WebSocket, read over HTTP, kept current by
 * pushes in seq order. Every push carries the whole object after the change, so
 * applying one is replacing the object; what matters is never to go back nor to
 * skip silently. After a (re)subscription or a gap in seq, the object is read
 * again over HTTP and only pushes above its version are applied.
 */
class Watch {
  constructor(live, topic, read, onValue, onAside) {
    this.live = live;
    this.topic = topic;
    this.read = read;
    this.onValue = onValue;
    this.onAside = onAside;
    this.lastSeq = -1;
    this.syncing = false;
    this.pending = [];
    this.closed = false;
    this.error = null;
  }

  /** Called when the subscribe request goes out: pushes wait until the object is read. */
  subscribing() {
    this.syncing = true;
  }

  async resync() {
    this.syncing = true;
    if (this.reading) {
      this.again = true; // one more read once this one is in
      return;
    }
    this.reading = true;
    do {
      this.again = false;
      this.live.count('rereads');
      try {
        const value = await this.read();
        if (this.closed) return;
        this.error = null;
        this.lastSeq = Number(value.version ?? 0);
        this.onValue(value, { event: 'read', seq: this.lastSeq });
      } catch (e) {
        this.error = e;
        this.onValue(null, { event: 'error', error: e });
      }
    } while (this.again);
    this.reading = false;
    this.syncing = false;
    const waiting = this.pending.sort((a, b) => Number(a.seq) - Number(b.seq));
    this.pending = [];
    for (const push of waiting) this.push(push);
  }

  push(push) {
    const seq = Number(push.seq ?? 0);
    if (seq === 0) {
      // not a change of this object (e.g. an appliance's alert on emc/…)
      this.onAside?.(push);
      return;
    }
    if (this.syncing) {
      this.pending.push(push);
      return;
    }
    if (seq <= this.lastSeq) return;
    if (seq > this.lastSeq + 1) {
      this.live.count('gaps');
      this.pending.push(push);
      this.resync();
      return;
    }
    this.lastSeq = seq;
    const value = PAYLOADS.map((k) => push[k]).find((v) => v);
    this.onValue(value, { event: push.event, seq, at: push.at });
  }

  close() {
    this.closed = true;
    this.live.unwatch(this);
  }
}

/**
 * The WebSocket of one signed-in user: requests answered by requestId,
 * subscriptions that survive reconnects. It reconnects by itself with
 * exponential backoff (0.5 s doubling up to 15 s, with jitter) and then
 * subscribes every watch again, which re-reads its object.
 */
export class Live extends EventTarget {
  constructor(token, url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/v1/ws') {
    super();
    this.token = token;
    this.url = url;
    this.ws = null;
    this.state = 'idle';
    this.nextId = 1;
    this.inFlight = new Map();
    this.watches = new Map();
    this.attempt = 0;
    this.timer = null;
    this.stopped = false;
    this.stats = { connects: 0, drops: 0, gaps: 0, rereads: 0, pushes: 0 };
    this.retryAt = 0;
  }

  count(what) {
    this.stats[what]++;
  }

  setState(state, detail = {}) {
    this.state = state;
    this.dispatchEvent(new CustomEvent('state', { detail: { state, ...detail } }));
  }

  connect() {
    this.stopped = false;
    clearTimeout(this.timer);
    this.setState(this.stats.connects ? 'reconnecting' : 'connecting', { attempt: this.attempt });
    // Browsers cannot set headers on a WebSocket: the token rides as a subprotocol.
    const ws = new WebSocket(this.url, ['rendan.v1', 'bearer.' + this.token]);
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.stats.connects++;
      this.setState('live');
      for (const watch of this.watches.values()) this.subscribe(watch);
    };
    ws.onmessage = (e) => this.receive(JSON.parse(e.data));
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      for (const { reject } of this.inFlight.values()) reject(new ApiError(503, 'ws:closed', 'the connection closed'));
      this.inFlight.clear();
      if (this.stopped) {
        this.setState('closed');
        return;
      }
      this.stats.drops++;
      const delay = Math.min(15000, 500 * 2 ** this.attempt) * (0.8 + Math.random() * 0.4);
      this.attempt++;
      this.retryAt = Date.now() + delay;
      this.setState('offline', { attempt: this.attempt, retryAt: this.retryAt, code: e.code });
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }

  /** Ends the connection for good (sign out). */
  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.close(1000, 'signed out');
  }

  /** Drops the connection as a network failure would; it reconnects by itself. For tests and demos. */
  drop() {
    this.ws?.close(4000, 'dropped on purpose');
  }

  receive(frame) {
    if (frame.response) {
      const { requestId, error, ...result } = frame.response;
      const waiting = this.inFlight.get(requestId);
      if (!waiting) return;
      this.inFlight.delete(requestId);
      if (error) waiting.reject(new ApiError(error.status, error.code, error.message));
      else waiting.resolve(Object.values(result)[0]);
    } else if (frame.push) {
      this.stats.pushes++;
      const watch = this.watches.get(frame.push.topic);
      if (watch) watch.push(frame.push);
      this.dispatchEvent(new CustomEvent('push', { detail: frame.push }));
    }
  }

  /** One request, e.g. {placeBid: {...}}; resolves with the result of its response. */
  request(body) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
      return Promise.reject(new ApiError(503, 'ws:offline', 'not connected; retrying'));
    }
    const requestId = String(this.nextId++);
    return new Promise((resolve, reject) => {
      this.inFlight.set(requestId, { resolve, reject });
      this.ws.send(JSON.stringify({ requestId, ...body }));
    });
  }

  /**
   * Keeps one object current: {@code read} reads it over HTTP, {@code onValue(value, info)}
   * gets every new state; {@code onAside(push)} gets pushes of the topic that are
   * not changes of the object (seq 0).
   */
  watch(topic, read, onValue, onAside) {
    this.watches.get(topic)?.close();
    const watch = new Watch(this, topic, read, onValue, onAside);
    this.watches.set(topic, watch);
    if (this.state === 'live') this.subscribe(watch);
    else watch.resync(); // show it now; the subscription follows the connection
    return watch;
  }

  unwatch(watch) {
    if (this.watches.get(watch.topic) !== watch) return;
    this.watches.delete(watch.topic);
    this.request({ unsubscribe: { topic: watch.topic } }).catch(() => {});
  }

  subscribe(watch) {
    watch.subscribing();
    this.request({ subscribe: { topic: watch.topic } })
      .then(() => watch.resync())
      .catch((e) => {
        if (e.code === 'ws:closed' || e.code === 'ws:offline') return; // the reconnect subscribes again
        watch.syncing = false;
        watch.error = e;
        watch.onValue(null, { event: 'error', error: e });
      });
  }
}
