// Browser test of careerbot's web chat, in Debian's headless Chromium driven by
// playwright-core. Starts a real `careerbot serve` on a loopback port with a
// temporary knowledge base (the shipped knowledge plus one entry full of
// markup), then uses the page as a person would: asks, clicks a suggestion,
// asks a follow-up that only makes sense in context, sends feedback (and
// reads it back from the knowledge-base file), gets a clarification and
// chooses one of its options with its button (answered from that entry, the
// choice logged), checks that markup in an answer or an option
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

// Questions of our own (never from an evaluation set) that the shipped
// knowledge is unsure about: each got a clarification with two or more
// options when written (`careerbot ask --explain`). The test uses the first
// that still does, checked through the API.
const UNSURE_QUESTIONS = [
  'can self taught people get hired for backend roles',
  'Is backend development stressful and is the market good?',
  'Do companies still hire junior backend devs from bootcamps?',
  'Is backend development stressful and is the market good in 2025?',
];

function sql(query) {
  return execFileSync('sqlite3', ['-readonly', '-separator', '|', dbPath, query], { encoding: 'utf8' }).trim();
}

function askApi(question, conversationId) {
  return ask(server, question, conversationId);
}

// The first of UNSURE_QUESTIONS that still gets a clarification with two or more options.
async function findUnsure() {
  for (const q of UNSURE_QUESTIONS) {
    const a = await askApi(q);
    if (a.kind === 'clarify' && Array.isArray(a.options) && a.options.length >= 2) return q;
  }
  assert(false, 'none of UNSURE_QUESTIONS gets a clarification with two options any more');
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

  await check('a clarification shows its line and one button per option; choosing one answers that entry', async () => {
    const unsure = await findUnsure();
    const q = await askInPage(unsure);
    assert(q.request.conversation_id === conversationId, 'the question lost the conversation_id');
    assert(q.data.kind === 'clarify' && q.data.options.length >= 2, `kind ${q.data.kind} in the conversation`);
    // This message, not "the last answer": the answer to the choice comes after it.
    const msg = answers.nth((await answers.count()) - 1);
    const line = await msg.locator('.text').innerText();
    assert(/Did you mean/.test(line), `clarification line: ${line}`);
    assert(!line.includes('1. ') && !/reply with a number/i.test(line), `the numbered list is shown as text: ${line}`);
    const options = msg.getByRole('group', { name: 'Did you mean' }).getByRole('button');
    assert((await options.count()) === q.data.options.length, `${await options.count()} option buttons`);
    for (let i = 0; i < q.data.options.length; i++) {
      const shown = (await options.nth(i).innerText()).trim();
      assert(shown === q.data.options[i].question, `option ${i + 1} shows ${shown}`);
    }
    assert((await msg.locator('.feedback').count()) === 0, 'a clarification got feedback buttons');

    // From the keyboard: Tab reaches the options; Enter on the second chooses it.
    const chosen = q.data.options[1];
    await options.nth(0).focus();
    await page.keyboard.press('Tab');
    assert((await page.evaluate(() => document.activeElement.textContent)) === chosen.question,
      'Tab from the first option does not reach the second');
    const before = await answers.count();
    const responseP = page.waitForResponse((r) => r.url() === `${base}/v1/ask`);
    await page.keyboard.press('Enter');
    const response = await responseP;
    await answers.nth(before).waitFor();
    const request = response.request().postDataJSON();
    assert(request.question === chosen.question && request.entry_id === chosen.entry_id,
      `the choice sent ${JSON.stringify(request)}`);
    assert(request.conversation_id === conversationId, 'the choice lost the conversation_id');
    // And the clarification it answers, so that it is logged as resolved even after the conversation expired.
    assert(request.clarification_id === q.data.answer_id, `the choice sent clarification_id ${request.clarification_id}`);
    const data = await response.json();
    assert(data.kind === 'kb' && data.answered && data.sources[0]?.id === chosen.entry_id,
      `the choice was answered from ${data.sources[0]?.id} (${data.kind})`);

    // The answer of that entry, with its source, after the choice as asked.
    assert((await page.locator('#log .msg.user').last().innerText()) === chosen.question, 'the choice is not shown as asked');
    const answer = lastAnswer();
    assert((await answer.locator('.text').innerText()) === data.answer, 'the shown answer is not the answer sent');
    const source = await answer.locator('.sources').innerText();
    assert(source.includes(data.sources[0].title), `source shown: ${source}`);
    assert((await answer.locator('.feedback').count()) === 1, 'the answer has no feedback buttons');

    // The options are consumed: disabled, the chosen one pressed; focus went on to the input.
    for (let i = 0; i < q.data.options.length; i++) {
      assert(await options.nth(i).isDisabled(), `option ${i + 1} can still be clicked`);
      assert((await options.nth(i).getAttribute('aria-pressed')) === (i === 1 ? 'true' : 'false'),
        `option ${i + 1} aria-pressed`);
    }
    assert((await page.evaluate(() => document.activeElement.id)) === 'question', 'focus was lost after the choice');
    await options.nth(0).click({ force: true });
    await sleep(200);
    assert((await answers.count()) === before + 1, 'a consumed option asked again');

    // The knowledge base logs the question that needed the clarification, resolved with the entry chosen.
    let row = '';
    for (let i = 0; i < 50 && row === ''; i++) {
      row = sql(`SELECT kind, channel, entry_id, question FROM question_log WHERE answer_id = '${data.answer_id}'`);
      if (row === '') await sleep(100);
    }
    assert(row === `clarified|web|${chosen.entry_id}|${unsure}`, `question_log row: ${row}`);
  });

  await check('typing an option\'s number chooses it as a click does; after another answer it is a question', async () => {
    const unsure = await findUnsure();
    const q = await askInPage(unsure);
    assert(q.data.kind === 'clarify', `kind ${q.data.kind}`);
    const msg = answers.nth((await answers.count()) - 1);
    const options = msg.getByRole('group', { name: 'Did you mean' }).getByRole('button');
    const chosen = q.data.options[0];
    const typed = await askInPage('1.');
    assert(typed.request.question === '1.' && typed.request.entry_id === chosen.entry_id &&
      typed.request.clarification_id === q.data.answer_id, `typing 1. sent ${JSON.stringify(typed.request)}`);
    assert(typed.data.kind === 'kb' && typed.data.sources[0]?.id === chosen.entry_id,
      `typing 1. was answered from ${typed.data.sources[0]?.id} (${typed.data.kind})`);
    for (let i = 0; i < q.data.options.length; i++) {
      assert(await options.nth(i).isDisabled(), `option ${i + 1} can still be clicked after typing 1.`);
      assert((await options.nth(i).getAttribute('aria-pressed')) === (i === 0 ? 'true' : 'false'),
        `option ${i + 1} aria-pressed after typing 1.`);
    }
    // The conversation has moved on: "2" is now a question of its own, not option 2.
    const later = await askInPage('2');
    assert(later.request.entry_id === undefined && later.request.clarification_id === undefined,
      `"2" after an answer sent ${JSON.stringify(later.request)}`);
  });

  await check('markup in a clarification\'s options is shown as text and never runs', async () => {
    const probe = '<img src=x onerror="window.__xss=4"><script>window.__xss=5</script>';
    await page.route('**/v1/ask', (route) => route.fulfill({
      status: 200, contentType: 'application/json',
      body: JSON.stringify({ answer: `Did you <b>mean</b> one of these?\n1. ${probe}\nReply with a number to choose.`,
        answered: false, kind: 'clarify', confidence: 0.5, answer_id: 'feedfeedfeedfeed', sources: [],
        suggestions: [], conversation_id: conversationId,
        options: [{ question: probe, entry_id: 'markup-probe' }, { question: '', entry_id: 'x' }, 'junk'] }) }));
    await askInPage('markup in options?');
    await page.unroute('**/v1/ask');
    const msg = lastAnswer();
    assert((await msg.locator('.text').innerText()) === 'Did you <b>mean</b> one of these?', 'the line is not text');
    const options = msg.locator('button.option');
    assert((await options.count()) === 1, 'malformed options became buttons');
    assert((await options.first().innerText()) === probe, 'the option markup is not shown literally');
    assert((await page.locator('#log img, #log script, #log b').count()) === 0, 'option markup became elements');
    await sleep(200);
    assert((await page.evaluate(() => window.__xss)) === undefined, 'injected script ran');
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
