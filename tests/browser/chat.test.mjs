// Browser test of careerbot's web chat, in Debian's headless Chromium driven by
// playwright-core. Starts a real `careerbot serve` on a loopback port with a
// temporary knowledge base (the shipped knowledge plus one entry full of
// markup), then uses the page as a person would: asks, clicks a suggestion,
// asks a follow-up that only makes sense in context, sends feedback (and
// reads it back from the knowledge-base file), checks that markup in an answer
// is shown as text and never runs, that errors are explained, and that the
// page makes no request beyond 127.0.0.1. Saves screenshots (desktop and a
// 390x844 phone) of the conversation.
//
// Usage: node chat.test.mjs PATH/TO/careerbot [ARTIFACTS_DIR]
//   ARTIFACTS_DIR defaults to artifacts/ beside the binary (build/artifacts).
// Prints one line per check and closes with "N passed, N failed".

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { askApi as ask, assert, check, log, openBrowser, run, setup, sleep, startServer, stopServer } from './harness.mjs';

const { binary, artifacts, tmp } = setup('chat.test.mjs');
const dbPath = path.join(tmp, 'careerbot.db');
let server = null;

// Markup in every field the page shows; none of it may run or become an element.
const PROBE_MD = `# Browser test fixture

## Markup probe <b>entry</b>
id: markup-probe
tags: markup probe
article: Browser test fixture
section: Markup <i>probe</i>
url: javascript:window.__xss=3
updated: 2026-11-29
questions:
- What does the markup probe show?

Markup probe text: <img src=x onerror="window.__xss=1"> and <script>window.__xss=2</script> stay plain characters.
`;

function sql(query) {
  return execFileSync('sqlite3', ['-readonly', '-separator', '|', dbPath, query], { encoding: 'utf8' }).trim();
}

function askApi(question, conversationId) {
  return ask(server, question, conversationId);
}

async function main() {
  const probe = path.join(tmp, 'probe.md');
  fs.writeFileSync(probe, PROBE_MD);
  execFileSync(binary, ['kb', 'import', '--db', dbPath, probe], { stdio: ['ignore', 'ignore', 'inherit'] });
  server = await startServer(binary, dbPath);
  const { base } = server;
  log(`# careerbot serve on ${base}, knowledge base ${dbPath}`);

  // Every request the page makes must stay on this machine's server.
  const { page, outside, consoleErrors } = await openBrowser(tmp, server, { width: 1280, height: 860 },
    path.join(artifacts, 'chat-failure.png'));

  const input = page.getByLabel('Your question');
  const answers = page.locator('#log .msg.bot:not(.welcome):not(.error)');
  const lastAnswer = () => answers.last();

  // Types `text` and presses Enter; resolves to the /v1/ask request body and
  // response JSON once the new answer is on the page.
  async function askInPage(text) {
    const before = await answers.count();
    const responseP = page.waitForResponse((r) => r.url() === `${base}/v1/ask`);
    await input.fill(text);
    await input.press('Enter');
    const response = await responseP;
    await answers.nth(before).waitFor();
    return { request: response.request().postDataJSON(), data: await response.json(), status: response.status() };
  }

  await check('the page loads with its security headers and a welcome', async () => {
    const response = await page.goto(base + '/');
    assert(response.status() === 200, `GET / answered ${response.status()}`);
    const h = response.headers();
    assert(h['content-type'].startsWith('text/html'), `content-type ${h['content-type']}`);
    assert(h['content-security-policy'].includes("script-src 'self'"), `CSP ${h['content-security-policy']}`);
    assert(h['x-content-type-options'] === 'nosniff', 'no nosniff header');
    assert(h['referrer-policy'] === 'no-referrer', 'no Referrer-Policy header');
    await page.locator('.msg.welcome').waitFor();
    const welcome = await page.locator('.msg.welcome').innerText();
    assert(/backend developer careers/i.test(welcome), `welcome says: ${welcome}`);
    assert((await page.locator('#log').getAttribute('aria-live')) === 'polite', 'the log is not aria-live=polite');
    assert(await input.isVisible(), 'no labelled question input');
  });

  let conversationId = '';
  await check('markup in an answer is shown as text and never runs', async () => {
    const q = await askInPage('What does the markup probe show?');
    assert(q.request.channel === 'web', `channel ${q.request.channel}`);
    assert(!('conversation_id' in q.request), 'the first question sent a conversation_id');
    conversationId = q.data.conversation_id;
    assert(typeof conversationId === 'string' && conversationId !== '', 'no conversation_id in the answer');
    assert(q.data.sources[0]?.id === 'markup-probe', `answered from ${q.data.sources[0]?.id}`);
    const answer = lastAnswer();
    const shown = await answer.locator('.text').innerText();
    assert(shown.includes('<img src=x onerror="window.__xss=1">'), `img markup not shown literally: ${shown}`);
    assert(shown.includes('<script>window.__xss=2</script>'), `script markup not shown literally: ${shown}`);
    const sources = await answer.locator('.sources').innerText();
    assert(sources.includes('Markup probe <b>entry</b>') && sources.includes('Markup <i>probe</i>'),
      `source markup not shown literally: ${sources}`);
    assert((await page.locator('#log img, #log script, #log b, #log i').count()) === 0, 'markup became elements');
    assert((await answer.locator('a').count()) === 0, 'a javascript: url became a link');
    await sleep(200);
    assert((await page.evaluate(() => window.__xss)) === undefined, 'injected script ran');
  });

  await check('an error answer from the server shows its JSON message, and Try again recovers', async () => {
    await page.route('**/v1/ask', (route) => route.fulfill({
      status: 503, contentType: 'application/json',
      body: JSON.stringify({ error: { code: 'unavailable', message: 'the knowledge base is being rebuilt' } }) }));
    await input.fill('Which databases should I learn?');
    await input.press('Enter');
    const error = page.locator('#log .msg.error').last();
    await error.waitFor();
    const text = await error.innerText();
    assert(text.includes('the knowledge base is being rebuilt') && text.includes('503'), `error shown: ${text}`);
    await page.unroute('**/v1/ask');
    const before = await answers.count();
    await error.getByRole('button', { name: 'Try again' }).click();
    await answers.nth(before).waitFor();
    assert((await page.locator('#log .msg.error').count()) === 0, 'the error stays after a successful retry');
  });

  let cloudAnswerId = '';
  let cloudAnswerText = '';
  await check('asking shows a busy indicator, then the answer with its source', async () => {
    // Hold the answer back a little so the busy state can be seen.
    await page.route('**/v1/ask', async (route) => { await sleep(400); await route.continue(); });
    const before = await answers.count();
    const responseP = page.waitForResponse((r) => r.url() === `${base}/v1/ask`);
    await input.fill('What do cloud engineers do?');
    await input.press('Enter');
    await page.locator('#busy').waitFor({ state: 'visible' });
    assert(await page.locator('#send').isDisabled(), 'send stays enabled while busy');
    assert((await page.locator('#log').getAttribute('aria-busy')) === 'true', 'log not aria-busy while waiting');
    const response = await responseP;
    await answers.nth(before).waitFor();
    await page.unroute('**/v1/ask');
    await page.locator('#busy').waitFor({ state: 'hidden' });
    const request = response.request().postDataJSON();
    const data = await response.json();
    assert(request.channel === 'web', `channel ${request.channel}`);
    assert(request.conversation_id === conversationId, 'the question did not carry the conversation_id');
    assert(data.kind === 'kb' && data.sources.length > 0, `answer kind ${data.kind}`);
    cloudAnswerId = data.answer_id;
    const answer = lastAnswer();
    cloudAnswerText = await answer.locator('.text').innerText();
    assert(cloudAnswerText === data.answer, 'the shown answer is not the answer sent');
    assert(/cloud/i.test(cloudAnswerText), `answer: ${cloudAnswerText}`);
    const source = await answer.locator('.sources').innerText();
    assert(source.includes(data.sources[0].title), `source shown: ${source}`);
    assert(source.includes(data.sources[0].section) || data.sources[0].section === data.sources[0].title,
      `section missing from: ${source}`);
    const userBubble = await page.locator('#log .msg.user').last().innerText();
    assert(userBubble === 'What do cloud engineers do?', `user bubble: ${userBubble}`);
  });

  await check('a suggestion button asks its question in the same conversation', async () => {
    const suggestion = lastAnswer().locator('button.suggestion').first();
    const text = (await suggestion.innerText()).trim();
    assert(text.length > 0, 'the answer has no suggestions');
    const before = await answers.count();
    const responseP = page.waitForResponse((r) => r.url() === `${base}/v1/ask`);
    await suggestion.click();
    const response = await responseP;
    await answers.nth(before).waitFor();
    const request = response.request().postDataJSON();
    assert(request.question === text, `asked ${request.question}`);
    assert(request.conversation_id === conversationId, 'the suggestion did not carry the conversation_id');
    const shown = await lastAnswer().locator('.text').innerText();
    assert(shown.length > 0 && shown !== cloudAnswerText, 'no new answer after the suggestion');
    assert((await page.locator('#log .msg.user').last().innerText()) === text, 'the suggestion is not shown as asked');
  });

  let followUp = null;
  await check('a follow-up is answered in the context of the question before it', async () => {
    const q = await askInPage('What is a full stack developer?');
    assert(q.request.conversation_id === conversationId, 'lost the conversation_id');
    assert(/full[ -]?stack/i.test(q.data.answer), `answer: ${q.data.answer}`);
    followUp = await askInPage('and how much do they earn?');
    assert(followUp.request.conversation_id === conversationId, 'the follow-up lost the conversation_id');
    const shown = await lastAnswer().locator('.text').innerText();
    assert(/full[ -]?stack/i.test(shown), `the follow-up answer is not about full stack developers: ${shown}`);
    assert(/pay|salar|earn|\$/i.test(shown), `the follow-up answer is not about pay: ${shown}`);
    // Alone, the same words get a different (generic) answer: the context did the work.
    const alone = await askApi('and how much do they earn?');
    assert(alone.sources[0]?.id !== followUp.data.sources[0]?.id,
      `the follow-up got the same answer with and without context (${alone.sources[0]?.id})`);
  });

  await check('👍 sends feedback, says it was recorded, and the knowledge base stores it', async () => {
    const answer = lastAnswer();
    const id = await answer.getAttribute('data-answer-id');
    assert(id === followUp.data.answer_id, 'the answer element has another answer_id');
    assert(/^[0-9a-f]{8,64}$/.test(id), `unexpected answer id ${id}`);
    const responseP = page.waitForResponse((r) => r.url() === `${base}/v1/feedback`);
    await answer.getByRole('button', { name: 'Yes, helpful' }).click();
    const response = await responseP;
    assert(response.status() === 200, `feedback answered ${response.status()}`);
    const sent = response.request().postDataJSON();
    assert(sent.answer_id === id && sent.helpful === true, `feedback body ${JSON.stringify(sent)}`);
    await answer.locator('.feedback-status', { hasText: 'recorded' }).waitFor();
    assert((await answer.getByRole('button', { name: 'Yes, helpful' }).getAttribute('aria-pressed')) === 'true',
      '👍 not shown as pressed');
    const row = sql(`SELECT helpful, channel, question FROM question_log WHERE answer_id = '${id}'`);
    assert(row === '1|web|and how much do they earn?', `question_log row: ${row}`);
  });

  await check('👎 on an earlier answer is stored as not helpful', async () => {
    assert(/^[0-9a-f]{8,64}$/.test(cloudAnswerId), `unexpected answer id ${cloudAnswerId}`);
    const answer = page.locator(`#log .msg.bot[data-answer-id="${cloudAnswerId}"]`);
    const responseP = page.waitForResponse((r) => r.url() === `${base}/v1/feedback`);
    await answer.getByRole('button', { name: 'No, not helpful' }).click();
    assert((await responseP).status() === 200, 'feedback failed');
    await answer.locator('.feedback-status', { hasText: 'recorded' }).waitFor();
    const row = sql(`SELECT helpful, question FROM question_log WHERE answer_id = '${cloudAnswerId}'`);
    assert(row === '0|What do cloud engineers do?', `question_log row: ${row}`);
  });

  await check('keyboard: Shift+Tab from the input reaches the answer buttons, with a visible focus ring', async () => {
    await input.focus();
    await page.keyboard.press('Shift+Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      const style = getComputedStyle(el);
      return { tag: el.tagName, outline: style.outlineStyle, width: parseFloat(style.outlineWidth) };
    });
    assert(focused.tag === 'BUTTON', `Shift+Tab from the input focused a ${focused.tag}`);
    assert(focused.outline !== 'none' && focused.width >= 2, `focus outline ${JSON.stringify(focused)}`);
  });

  await check('the whole conversation made no request beyond 127.0.0.1 and no console error', async () => {
    assert(outside.length === 0, `requests left the machine: ${outside.join(', ')}`);
    const unexpected = consoleErrors.filter((m) => !/503/.test(m));  // the staged 503 above logs one
    assert(unexpected.length === 0, `console errors: ${unexpected.join(' | ')}`);
  });

  await check('screenshots of the conversation on desktop and on a phone', async () => {
    await input.focus();
    await page.screenshot({ path: path.join(artifacts, 'chat.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    await sleep(100);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
    assert(overflow <= 390, `the page is ${overflow}px wide on a 390px screen`);
    await page.screenshot({ path: path.join(artifacts, 'chat-phone.png') });
    await page.setViewportSize({ width: 1280, height: 860 });
    log(`# screenshots: ${path.join(artifacts, 'chat.png')}, ${path.join(artifacts, 'chat-phone.png')}`);
  });

  await check('a server that cannot be reached is explained', async () => {
    await stopServer(server);
    await input.fill('Is Go used for backend development?');
    await input.press('Enter');
    const error = page.locator('#log .msg.error').last();
    await error.waitFor();
    const text = await error.innerText();
    assert(/cannot be reached/i.test(text), `error shown: ${text}`);
    assert(await page.locator('#send').isEnabled(), 'the page stays busy after the error');
  });
}

await run(main);
