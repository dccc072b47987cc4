// Drives the live console in a real headless Chromium against a running node.
//
// Input (environment): BASE_URL, SUBJECT (signs in with the dev-token button),
// EMC_ID, ROUND_ID, APPLIANCE_ID, ME_ID, BID1_ASK_BPS, BID2_ASK_BPS,
// REVENUE_MINOR, SCREENSHOT_DIR, CHROMIUM (default /usr/bin/chromium),
// CHROMIUM_ARGS (one per line).
//
// It talks to whoever runs it on stdout: "READY <step>" when the page waits for
// that step to happen through the API (bid, bid2, fault); "OK <what>" for each
// check passed; "RESULT ok" at the end. Any failure exits non-zero with a message.
import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const env = (name, fallback) => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) fail(`missing environment variable ${name}`);
  return v;
};
function fail(message) {
  console.error('FAIL ' + message);
  process.exit(1);
}

const base = env('BASE_URL');
const shots = env('SCREENSHOT_DIR');
const emcId = env('EMC_ID');
const roundId = env('ROUND_ID');
const applianceId = env('APPLIANCE_ID');
const bps = (v) => (Number(v) / 100).toFixed(2) + ' %';
const timeout = 20000;
mkdirSync(shots, { recursive: true });

const profile = mkdtempSync(join(tmpdir(), 'rendan-chromium-'));
const pageErrors = [];
let step = 'launch Chromium';
let context;
let page;
try {
  // a fresh profile every run: nothing cached from an earlier page
  context = await chromium.launchPersistentContext(profile, {
    executablePath: env('CHROMIUM', '/usr/bin/chromium'),
    args: env('CHROMIUM_ARGS', '--headless\n--no-sandbox\n--disable-gpu').split('\n').filter(Boolean),
    viewport: { width: 1440, height: 1100 },
    timeout: 60000,
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(timeout);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') console.log('browser console: ' + m.text()); });

  step = 'sign in with a dev token';
  // no appliance in the address: the page must find the washer in the EMC's listing
  await page.goto(`${base}/#me=${encodeURIComponent(env('ME_ID'))}`);
  await page.locator('input[name=subject]').fill(env('SUBJECT'));
  await page.locator('#dev-token').click();
  await page.locator('#subject').getByText(env('SUBJECT')).waitFor();
  await page.locator('#connection-state[data-state=live]').waitFor();
  console.log('OK signed in, WebSocket live');

  step = 'pick the EMC';
  await page.locator('#emc-id').fill(emcId);
  await page.locator('#watch-emc').click();
  await page.locator('#members [data-side=SOLUTION] li.member').first().waitFor();
  await page.locator('#members [data-side=EXPERIENCE] li.member').first().waitFor();
  console.log('OK members by side');

  step = 'see the open round';
  const round = page.locator(`#rounds li.round[data-round-id="${roundId}"]`);
  await round.waitFor();
  await expectText(round.locator('.bid-count'), '0');
  await round.locator('.countdown').getByText(/closes in/).waitFor();
  console.log('READY bid');

  step = 'see the bid placed through the API';
  await expectText(round.locator('.bid-count'), '1');
  await expectText(round.locator('.best-ask'), bps(env('BID1_ASK_BPS')));
  console.log('OK the bid appeared on the page');

  step = 'reconnect and resume';
  const before = await page.evaluate(() => ({ ...window.rendanConsole.live.stats }));
  await page.evaluate(() => window.rendanConsole.live.drop());
  await page.locator('#connection-state[data-state=offline]').waitFor();
  console.log('READY bid2'); // placed while the page is offline or reconnecting
  await page.locator('#connection-state[data-state=live]').waitFor();
  await expectText(round.locator('.best-ask'), bps(env('BID2_ASK_BPS')));
  const after = await page.evaluate(() => ({ ...window.rendanConsole.live.stats }));
  if (after.drops !== before.drops + 1 || after.connects !== before.connects + 1 || after.rereads <= before.rereads) {
    throw new Error(`reconnect not as expected: before ${JSON.stringify(before)}, after ${JSON.stringify(after)}`);
  }
  console.log(`OK reconnected and resumed (${JSON.stringify(after)})`);

  step = 'see the appliance the EMC lists';
  // data-source: how the page learnt of it; 'listing', not an alert (none has been raised yet)
  const appliance = page.locator(`#appliances li.appliance[data-appliance-id="${applianceId}"][data-source="listing"]`);
  await appliance.locator('.device-state').getByText('IDLE').waitFor();
  console.log('OK the appliance is shown because the EMC lists it');
  console.log('READY fault');

  step = 'see the fault as an alert';
  await appliance.locator('[data-alert-id^="fault:"]').waitFor();
  await page.locator(`#appliances li.appliance.faulted[data-appliance-id="${applianceId}"]`).waitFor();
  console.log('OK the fault shows as an alert');

  step = 'see the revenue and the ME view';
  await page.locator(`#revenue .revenue-total[data-minor="${env('REVENUE_MINOR')}"]`).waitFor();
  await page.locator('#revenue svg.line-chart path.series').waitFor();
  await page.locator('#me .me-balance').waitFor();
  await page.locator('#me table.ledger td.num').first().waitFor();
  console.log('OK revenue, balance and ledger shown');

  step = 'bid from the ME view';
  // the owner's own ME may not bid in its EMC's round: the refusal comes back over the WebSocket
  await page.locator('#me select[name=roundId]').selectOption(roundId);
  await page.locator('#me input[name=askShareBps]').fill('100');
  await page.locator('#me form.bid button[type=submit]').click();
  await page.locator('#me .bid-result .error').getByText('bidding:not-eligible').waitFor();
  console.log('OK the bid form answers with the server\'s refusal');

  step = 'the charter on each contract, and the owner cancels a removal with notice';
  const member = page.locator(`#members li.member[data-me-id="${env('MEMBER_ID')}"]`);
  // it joined before any charter was set: version 0
  await member.locator('.contract-charter[data-charter-version="0"]').waitFor();
  console.log('OK each contract shows the charter it was made under');
  console.log('READY removal');
  await member.locator('[data-removal-at]').waitFor();
  await member.locator(`button[data-cancel-removal="${env('MEMBER_ID')}"]`).click();
  await member.locator('[data-removal-at]').waitFor({ state: 'detached' });
  console.log('OK the owner cancelled the removal from the page');

  step = 'screenshots';
  await page.screenshot({ path: join(shots, 'console.png'), fullPage: true });
  for (const view of ['members', 'rounds', 'appliances', 'revenue', 'me']) {
    await page.locator('#' + view).screenshot({ path: join(shots, `${view}.png`) });
  }
  console.log('OK screenshots in ' + shots);

  if (pageErrors.length) throw new Error('errors on the page: ' + pageErrors.join('; '));
  console.log('RESULT ok');
} catch (e) {
  console.error(`FAIL ${step}: ${e.message.split('\n')[0]}${pageErrors.length ? ' (page errors: ' + pageErrors.join('; ') + ')' : ''}`);
  process.exitCode = 1;
  await page?.screenshot({ path: join(shots, 'failure.png'), fullPage: true }).catch(() => {});
} finally {
  await context?.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}

async function expectText(locator, text) {
  const deadline = Date.now() + timeout;
  let seen;
  while (Date.now() < deadline) {
    seen = (await locator.textContent().catch(() => null))?.trim();
    if (seen === text) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`expected "${text}", the page shows "${seen}"`);
}
