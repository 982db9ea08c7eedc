// Browser test of the Trends panel on the curation page (/admin), in
// Debian's headless Chromium driven by playwright-core. Seeds a knowledge
// base's question log with 40 days of questions (sqlite3, one transaction:
// outcomes, channels, feedback, a gap resolved, a recorded change), starts a
// real `careerbot serve` with an admin token, and checks that the charts
// render and hold what GET /v1/admin/stats says, that the channel filter and
// the window change them, that the CSV downloads equal the API's CSV, that
// each chart has its table, and that an entry shows its questions before and
// after a change. Saves a screenshot of the panel (admin-trends.png).
//
// Usage: node trends.test.mjs PATH/TO/careerbot [ARTIFACTS_DIR]

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { assert, check, log, openBrowser, run, setup, sleep, startServer } from './harness.mjs';

const TOKEN = 'trends-test-token-' + Math.random().toString(16).slice(2) + Date.now().toString(16);
const { binary, artifacts, tmp } = setup('trends.test.mjs');
const dbPath = path.join(tmp, 'careerbot.db');
const DAY = 86400;

// A deterministic mix: per day, per channel, a few questions of each outcome.
function seedSql(now) {
  const today = now - (now % DAY);
  const rows = [];
  const entries = ['us-backend-salary', 'learn-sql', 'system-design-interview', 'resume-tips'];
  let n = 0;
  for (let d = 0; d < 40; d++) {
    const dayStart = today - d * DAY;
    const channels = { web: 3 + (d % 4), slack: 1 + (d % 3), http: d % 2 };
    for (const [channel, count] of Object.entries(channels)) {
      for (let i = 0; i < count; i++) {
        n++;
        const at = dayStart + 60 * (n % 600);
        if (at > now) continue;
        const pick = (n * 7 + d) % 10;
        const kind = pick < 6 ? 'kb' : pick === 6 ? 'clarify' : pick < 9 ? 'fallback' : 'smalltalk';
        const answered = kind === 'kb' || kind === 'smalltalk' ? 1 : 0;
        const entry = kind === 'kb' ? entries[(n + d) % entries.length] : '';
        const helpful = kind === 'kb' ? (n % 3 === 0 ? 1 : n % 5 === 0 ? 0 : null) : null;
        const confidence = kind === 'kb' ? 0.6 + (n % 4) * 0.1 : 0.2;
        rows.push(`('seed-${n}', ${at}, '${channel}', 'seeded question ${n}', 'seeded${n}', ${answered}, '${kind}', ` +
          `${confidence.toFixed(2)}, '${entry}', ${helpful === null ? 'NULL' : helpful})`);
      }
    }
  }
  return 'BEGIN;\n' +
    'INSERT INTO question_log(answer_id, asked_at, channel, question, normalized, answered, kind, confidence, ' +
    'entry_id, helpful) VALUES\n' + rows.join(',\n') + ';\n' +
    `INSERT INTO gap_resolution(key, resolved_at, how, entry_id, who) VALUES ('seeded-a', ${now - 2 * DAY}, ` +
    `'accepted', 'learn-sql', 'seed'), ('seeded-b', ${now - 2 * DAY}, 'accepted', 'learn-sql', 'seed'), ` +
    `('seeded-c', ${now - DAY}, 'dismissed', '', 'seed');\n` +
    `INSERT INTO history(at, who, action, entry_id, before, after, version) VALUES (${now - 10 * DAY}, 'seed', ` +
    `'edit', 'us-backend-salary', NULL, NULL, 'seeded');\n` +
    'COMMIT;\n';
}

function sh(cmd, args, input) {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8' });
  assert(r.status === 0, `${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

async function main() {
  sh(binary, ['kb', 'build', '--db', dbPath]);
  const now = Math.floor(Date.now() / 1000);
  sh('sqlite3', [dbPath], seedSql(now));
  const server = await startServer(binary, dbPath, { env: { CAREERBOT_ADMIN_TOKEN: TOKEN } });
  const { base } = server;
  log(`# careerbot serve on ${base}, a seeded question log in ${dbPath}`);
  const apiGet = async (query, accept = 'application/json') => {
    const r = await fetch(`${base}/v1/admin/stats?${query}`, {
      headers: { Authorization: `Bearer ${TOKEN}`, Accept: accept } });
    assert(r.status === 200, `GET /v1/admin/stats?${query}: ${r.status}`);
    return accept === 'text/csv' ? r.text() : r.json();
  };

  const { page, urls, outside, consoleErrors } = await openBrowser(tmp, server, { width: 1280, height: 1000 },
    path.join(artifacts, 'admin-trends-failure.png'));

  // The sum of the chart's segments of one series (each rect carries its count).
  const chartSum = (svgId, series) => page.evaluate(([id, s]) => [...document.querySelectorAll(
    `#${id} rect[data-series="${s}"]`)].reduce((n, r) => n + Number(r.getAttribute('data-value')), 0), [svgId, series]);
  const waitLoaded = (query) => page.waitForFunction((q) => document.getElementById('trends-panel').dataset.loaded === q,
    query);

  await check('signing in shows the Trends panel with the last 30 days', async () => {
    await page.goto(base + '/admin');
    await page.getByLabel('Admin token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await waitLoaded('days=30&bucket=day');
    assert(await page.locator('#trends-panel').isVisible(), 'no Trends panel');
    assert((await page.locator('#questions-table tbody tr').count()) === 30, 'the table has not 30 days');
  });

  await check('the charts render and hold what the API says', async () => {
    const api = await apiGet('days=30&bucket=day');
    const bars = await page.locator('#questions-svg rect').count();
    assert(bars > 30, `only ${bars} bars`);
    for (const s of ['answered', 'clarified', 'declined', 'smalltalk']) {
      const sum = await chartSum('questions-svg', s);
      assert(sum === api.totals[s], `${s}: chart ${sum}, API ${api.totals[s]}`);
      assert(sum > 0, `no ${s} in the seeded window`);
    }
    for (const s of ['helpful', 'unhelpful']) {
      const sum = await chartSum('feedback-svg', s);
      assert(sum === api.totals[s], `${s}: chart ${sum}, API ${api.totals[s]}`);
    }
    assert((await page.locator('#feedback-svg polyline.rate-line').count()) === 1, 'no helpful-rate line');
    const summary = await page.locator('#trends-summary').innerText();
    assert(summary.startsWith(`${api.totals.total} questions in the last 30 days`), `summary: ${summary}`);
    // The text tables behind the charts, one row a day, the same numbers.
    const lastRow = await page.locator('#questions-table tbody tr').last().locator('th, td').allInnerTexts();
    const last = api.series[api.series.length - 1];
    assert(lastRow[0] === last.date && Number(lastRow[5]) === last.total, `last row ${lastRow}`);
    assert((await page.locator('#feedback-table tbody tr').count()) === 30, 'no feedback table');
    const top = await page.locator('#top-asked tbody th').allInnerTexts();
    assert(top.length === api.top_asked.length && top[0] === api.top_asked[0].entry_id, `top asked: ${top}`);
    const worst = await page.locator('#worst-feedback tbody th').allInnerTexts();
    assert(worst.length > 0 && worst[0] === api.worst_feedback[0].entry_id, `worst: ${worst}`);
    const gaps = await page.locator('#gap-counts').innerText();
    assert(/Accepted\s*1/.test(gaps) && /Dismissed\s*1/.test(gaps), `gaps: ${gaps}`);
    assert(!(await page.locator('#trends-panel').innerText()).includes('seeded question'), 'question text shown');
  });

  await check('the channel filter and the window change the charts', async () => {
    const before = await chartSum('questions-svg', 'answered');
    await page.getByLabel('Channel').selectOption('slack');
    await waitLoaded('days=30&bucket=day&channel=slack');
    const slack = await apiGet('days=30&bucket=day&channel=slack');
    const after = await chartSum('questions-svg', 'answered');
    assert(after === slack.totals.answered && after < before, `slack answered ${after} (all ${before})`);
    await page.getByLabel('Window').selectOption('7');
    await waitLoaded('days=7&bucket=day&channel=slack');
    assert((await page.locator('#questions-table tbody tr').count()) === 7, 'the table has not 7 days');
    const week = await apiGet('days=7&bucket=day&channel=slack');
    assert((await chartSum('questions-svg', 'declined')) === week.totals.declined, 'a week of slack differs');
  });

  await check('an earlier choice answered late does not replace the latest', async () => {
    // The answer for 90 days is held back a second: by then 30 days is chosen.
    const late = (route) => setTimeout(() => route.continue().catch(() => {}), 1000);
    await page.route(/\/v1\/admin\/stats\?days=90&bucket=day&channel=slack$/, late);
    await page.getByLabel('Window').selectOption('90');
    await page.getByLabel('Window').selectOption('30');
    await waitLoaded('days=30&bucket=day&channel=slack');
    await sleep(1500);
    await page.unroute(/\/v1\/admin\/stats\?days=90&bucket=day&channel=slack$/, late);
    const summary = await page.locator('#trends-summary').innerText();
    assert(/ in the last 30 days on slack:/.test(summary), `after choosing 90 then 30 days: ${summary}`);
    assert((await page.locator('#questions-table tbody tr').count()) === 30, 'the table has not 30 days');
    await page.getByLabel('Window').selectOption('7');
    await waitLoaded('days=7&bucket=day&channel=slack');
  });

  await check('the CSV downloads are the API\'s CSV', async () => {
    for (const [buttonId, table] of [['questions-csv', 'days'], ['top-asked-csv', 'top_asked'],
      ['worst-feedback-csv', 'worst_feedback']]) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#' + buttonId).click()]);
      const file = path.join(tmp, `${table}.csv`);
      await download.saveAs(file);
      const got = fs.readFileSync(file, 'utf8');
      const expected = await apiGet(`days=7&bucket=day&channel=slack&format=csv&table=${table}`, 'text/csv');
      assert(got === expected, `${table}: the download differs from the API:\n${got}\n---\n${expected}`);
      assert(download.suggestedFilename() === `careerbot-${table}-7d-slack.csv`, download.suggestedFilename());
    }
    const days = fs.readFileSync(path.join(tmp, 'days.csv'), 'utf8').trim().split('\r\n');
    assert(days.length === 8 && days[0].startsWith('date,answered,'), `days.csv: ${days[0]} (${days.length} lines)`);
  });

  await check('the tables can be shown instead of hidden for screen readers only', async () => {
    assert(await page.locator('#questions-table-box').evaluate((t) => t.classList.contains('visually-hidden')),
      'the table is not kept for screen readers');
    await page.getByLabel('Show the numbers as tables').check();
    assert(await page.locator('#questions-table').isVisible(), 'the table does not show');
    await page.getByLabel('Show the numbers as tables').uncheck();
  });

  await check('a screenshot of the panel', async () => {
    await page.getByLabel('Channel').selectOption('');
    await page.getByLabel('Window').selectOption('30');
    await waitLoaded('days=30&bucket=day');
    // What shows is the last window asked for, not an earlier answer arriving late.
    const summary = await page.locator('#trends-summary').innerText();
    assert(/ in the last 30 days:/.test(summary), `after choosing 30 days and every channel: ${summary}`);
    assert((await page.locator('#questions-table tbody tr').count()) === 30, 'the table has not 30 days');
    const shot = path.join(artifacts, 'admin-trends.png');
    await page.locator('#trends-panel').screenshot({ path: shot });
    log(`# screenshot: ${shot}`);
  });

  await check('an entry shows its questions per week and before and after its change', async () => {
    await page.locator('#top-asked button.link', { hasText: 'us-backend-salary' }).click();
    await page.locator('#editor-panel').waitFor();
    await page.locator('#entry-changes tbody tr').first().waitFor();
    assert((await page.locator('#entry-trend-svg rect').count()) > 0, 'no weekly bars');
    const r = await fetch(`${base}/v1/admin/entries/us-backend-salary/stats?weeks=12`,
      { headers: { Authorization: `Bearer ${TOKEN}` } });
    const s = await r.json();
    assert(s.changes.length === 1 && s.changes[0].before.asked > 0 && s.changes[0].after.asked > 0,
      `entry stats: ${JSON.stringify(s.changes)}`);
    const row = await page.locator('#entry-changes tbody tr').first().innerText();
    assert(row.includes(s.changes[0].before.per_week.toFixed(1) + ' → ' + s.changes[0].after.per_week.toFixed(1)),
      `change row: ${row}`);
    const weeks = await page.locator('#entry-weeks tbody tr').count();
    assert(weeks === 12, `${weeks} weeks in the table`);
  });

  await check('no request carried the token in its URL or left 127.0.0.1; no console error', async () => {
    const away = outside.filter((u) => !u.startsWith('blob:http://127.0.0.1:'));
    assert(away.length === 0, `requests left the machine: ${away.join(', ')}`);
    assert(!urls.some((u) => u.includes(TOKEN)), 'a URL carries the token');
    assert(consoleErrors.length === 0, `console errors: ${consoleErrors.join(' | ')}`);
  });
}

await run(main);
