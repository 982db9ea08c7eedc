// Browser test of careerbot's curation page (/admin), in Debian's headless
// Chromium driven by playwright-core. Starts a real `careerbot serve` with
// CAREERBOT_ADMIN_TOKEN on a loopback port and a temporary knowledge base,
// asks a few questions the knowledge does not cover (so there are gaps),
// then uses the page as a curator would: a wrong token is refused, the right
// one is kept in the tab's session storage and never in a URL, the gaps list
// shows the grouped questions, an entry is opened, edited and saved and the
// chat page answers from the edit at once, a new entry is written, a gap's
// question is added to it in one step and the chat page answers that too.
// Markup in logged questions stays text; no request leaves 127.0.0.1.
// Saves screenshots (desktop and a 390x844 phone).
//
// Usage: node admin.test.mjs PATH/TO/careerbot [ARTIFACTS_DIR]
// Prints one line per check and closes with "N passed, N failed".

import path from 'node:path';
import { askApi as ask, assert, check, log, openBrowser, run, setup, sleep, startServer } from './harness.mjs';

const TOKEN = 'browser-test-token-' + Math.random().toString(16).slice(2) + Date.now().toString(16);

const { binary, artifacts, tmp } = setup('admin.test.mjs');
const dbPath = path.join(tmp, 'careerbot.db');
let server = null;

function askApi(question) {
  return ask(server, question);
}

async function main() {
  server = await startServer(binary, dbPath, {
    logLevel: 'info',
    env: { CAREERBOT_ADMIN_TOKEN: TOKEN, CAREERBOT_ADMIN_TOKEN_LABEL: 'browser-curator' },
  });
  const { base } = server;
  log(`# careerbot serve on ${base} with an admin token, knowledge base ${dbPath}`);
  // Questions the knowledge does not cover: the gaps a curator will see.
  for (const q of ['How much does a plumber earn?', 'how much does a plumber earn', 'plumber earnings?',
    'Is <img src=x onerror="window.__xss=1"> a good plumber tool?']) {
    const a = await askApi(q);
    assert(a.kind === 'fallback', `"${q}" was answered (${a.kind}); the test needs a gap`);
  }

  const { context, page, urls, outside, consoleErrors } = await openBrowser(tmp, server, { width: 1280, height: 900 },
    path.join(artifacts, 'admin-failure.png'));

  await check('the page loads with its security headers and asks for the token', async () => {
    const response = await page.goto(base + '/admin');
    assert(response.status() === 200, `GET /admin answered ${response.status()}`);
    const h = response.headers();
    assert(h['content-security-policy'].includes("script-src 'self'"), `CSP ${h['content-security-policy']}`);
    assert(h['x-content-type-options'] === 'nosniff', 'no nosniff header');
    assert(await page.getByLabel('Admin token').isVisible(), 'no token field');
    assert(await page.locator('#workspace').isHidden(), 'the workspace shows before signing in');
  });

  await check('a wrong token is refused and not kept', async () => {
    await page.getByLabel('Admin token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#sign-in-status.error').waitFor();
    const text = await page.locator('#sign-in-status').innerText();
    assert(/refused/i.test(text), `status: ${text}`);
    assert((await page.evaluate(() => sessionStorage.getItem('careerbot.adminToken'))) === null,
      'a refused token stayed in session storage');
    assert(await page.locator('#workspace').isHidden(), 'the workspace shows after a refused token');
  });

  await check('the right token opens the workspace; it lives in session storage, never in a URL', async () => {
    await page.getByLabel('Admin token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#workspace').waitFor();
    assert((await page.evaluate(() => sessionStorage.getItem('careerbot.adminToken'))) === TOKEN,
      'the token is not in session storage');
    assert((await page.evaluate(() => localStorage.length)) === 0, 'something went to localStorage');
    assert(!page.url().includes(TOKEN), 'the token is in the page URL');
    assert(await page.getByLabel('Admin token').inputValue() === '', 'the token stays in the field');
  });

  await check('the gaps list shows the unanswered questions grouped, most asked first, as text', async () => {
    const first = page.locator('#gaps li.gap').first();
    await first.waitFor();
    const example = await first.locator('.gap-example').innerText();
    assert(/plumber/i.test(example), `first gap: ${example}`);
    const meta = await first.locator('.gap-meta').first().innerText();
    assert(/3 times/.test(meta) && /3 declined/.test(meta), `first gap meta: ${meta}`);
    const all = await page.locator('#gaps').innerText();
    assert(all.includes('<img src=x onerror="window.__xss=1">'), 'the markup in a question is not shown as text');
    assert((await page.locator('#gaps img').count()) === 0, 'markup became an element');
    await sleep(100);
    assert((await page.evaluate(() => window.__xss)) === undefined, 'injected script ran');
  });

  const chat = await context.newPage();
  async function askInChat(question) {
    if (!chat.url().startsWith(base)) await chat.goto(base + '/');
    const answers = chat.locator('#log .msg.bot:not(.welcome):not(.error)');
    const before = await answers.count();
    await chat.getByLabel('Your question').fill(question);
    await chat.getByLabel('Your question').press('Enter');
    await answers.nth(before).waitFor();
    return answers.nth(before).locator('.text').innerText();
  }

  const editedMarker = 'Curated in the browser: backend developers in the US earn a good salary.';
  await check('an entry is opened, edited and saved, and the chat page answers from the edit at once', async () => {
    await page.getByLabel('Filter by id, title or question').fill('us-backend-salary');
    await page.locator('button.entry-link[data-entry-id="us-backend-salary"]').click();
    await page.locator('#editor-panel').waitFor();
    assert((await page.locator('#f-id').inputValue()) === 'us-backend-salary', 'another entry opened');
    await page.getByLabel('Answer', { exact: true }).fill(editedMarker);
    const saved = page.waitForResponse((r) => r.url().endsWith('/v1/admin/entries/us-backend-salary') &&
      r.request().method() === 'PUT');
    await page.getByRole('button', { name: 'Save' }).click();
    const response = await saved;
    assert(response.status() === 200, `PUT answered ${response.status()}`);
    assert(response.request().headers()['if-match'], 'the save did not send If-Match');
    await page.locator('#editor-status.ok').waitFor();
    await page.locator('#history li.change').first().waitFor();
    const history = await page.locator('#history').innerText();
    assert(/edit by browser-curator/.test(history), `history: ${history}`);
    const shown = await askInChat('How much do backend developers earn?');
    assert(shown.includes(editedMarker), `the chat page answered: ${shown}`);
  });

  await check('a new entry is written, and a gap\'s question added to it in one step', async () => {
    await page.getByRole('button', { name: 'New entry' }).click();
    await page.locator('#f-title').fill('Plumber pay');
    await page.getByLabel('Answer', { exact: true }).fill('Plumbers are not backend developers, but PLUMBER-MARKER: about $60,000.');
    await page.getByLabel('Source article').fill('Browser test');
    await page.getByLabel('Source section').fill('Pay');
    const created = page.waitForResponse((r) => r.url().endsWith('/v1/admin/entries') &&
      r.request().method() === 'POST');
    await page.getByRole('button', { name: 'Save' }).click();
    assert((await created).status() === 201, 'POST did not create the entry');
    await page.locator('#editor-status.ok').waitFor();
    const gap = page.locator('#gaps li.gap', { hasText: 'plumber earn' }).first();
    await gap.locator('select option[value="plumber-pay"]').waitFor({ state: 'attached' });
    await gap.locator('select').selectOption('plumber-pay');
    const question = (await gap.locator('input[type="text"]').inputValue()).trim();
    assert(/plumber/i.test(question), `the question offered: ${question}`);
    const accepted = page.waitForResponse((r) => r.url().endsWith('/v1/admin/gaps/accept'));
    await gap.getByRole('button', { name: 'Add question' }).click();
    const response = await accepted;
    assert(response.status() === 200, `accept answered ${response.status()}`);
    await page.waitForFunction((q) => document.getElementById('f-questions').value.split('\n').includes(q), question);
    const shown = await askInChat(question);
    assert(shown.includes('PLUMBER-MARKER'), `the chat page answered: ${shown}`);
    await page.waitForFunction(() => ![...document.querySelectorAll('#gaps .gap-example')]
      .some((n) => /plumber earn/i.test(n.textContent)), null, { timeout: 10_000 });
  });

  await check('trying a question on the page answers without logging it', async () => {
    await page.getByLabel('Question to try').fill('How much does a plumber earn?');
    await page.getByRole('button', { name: 'Ask', exact: true }).click();
    await page.locator('#try-answer .try-verdict').waitFor();
    const verdict = await page.locator('#try-answer .try-verdict').innerText();
    assert(/plumber-pay/.test(verdict), `verdict: ${verdict}`);
  });

  await check('no request carried the token in its URL or left 127.0.0.1; no console error', async () => {
    assert(outside.length === 0, `requests left the machine: ${outside.join(', ')}`);
    assert(!urls.some((u) => u.includes(TOKEN)), 'a URL carries the token');
    const unexpected = consoleErrors.filter((m) => !/401/.test(m));  // the refused sign-in logs one
    assert(unexpected.length === 0, `console errors: ${unexpected.join(' | ')}`);
    assert(!server.output().includes(TOKEN), 'the server logged the token');
  });

  await check('screenshots on desktop and on a phone', async () => {
    await page.screenshot({ path: path.join(artifacts, 'admin.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await sleep(100);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
    assert(overflow <= 390, `the page is ${overflow}px wide on a 390px screen`);
    await page.screenshot({ path: path.join(artifacts, 'admin-phone.png') });
    await page.setViewportSize({ width: 1280, height: 900 });
    log(`# screenshots: ${path.join(artifacts, 'admin.png')}, ${path.join(artifacts, 'admin-phone.png')}`);
  });

  await check('signing out forgets the token', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin token').waitFor();
    assert((await page.evaluate(() => sessionStorage.getItem('careerbot.adminToken'))) === null,
      'the token stayed in session storage');
    await page.reload();
    assert(await page.locator('#workspace').isHidden(), 'the workspace shows after signing out');
  });
}

await run(main);
