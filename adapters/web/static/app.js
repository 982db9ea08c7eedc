// careerbot web chat: sends questions to POST /v1/ask and feedback to
// POST /v1/feedback, and shows the conversation. A clarification (kind
// "clarify") shows its line and one button per option; a click asks that
// option's entry (its question with its entry_id) in the same conversation.
// Safety rule: every text that comes from the server (answers, sources,
// suggestions, error messages) is inserted with textContent or
// createTextNode, never as HTML. The page's Content-Security-Policy forbids
// inline script as a second line of defence.
'use strict';

(function () {
  const ASK_TIMEOUT_MS = 20000;
  const FEEDBACK_TIMEOUT_MS = 10000;

  const log = document.getElementById('log');
  const form = document.getElementById('ask-form');
  const input = document.getElementById('question');
  const sendButton = document.getElementById('send');
  const busyIndicator = document.getElementById('busy');

  // The conversation the server keeps for follow-up questions; set from the
  // first answer and sent with every next question.
  let conversationId = '';
  let busy = false;

  // ---- small DOM helpers (text only) ----

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function button(className, text, onClick) {
    const b = el('button', className, text);
    b.type = 'button';
    b.addEventListener('click', onClick);
    return b;
  }

  // Links only for http(s) URLs: a knowledge entry cannot smuggle in a
  // javascript: or data: link.
  function safeUrl(url) {
    if (typeof url !== 'string' || url === '') return '';
    try {
      const u = new URL(url, window.location.href);
      return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : '';
    } catch (e) {
      return '';
    }
  }

  function scrollIntoLog(node) {
    // Show the start of a long message, or the end of the log for a short one.
    if (node.offsetHeight > log.clientHeight) {
      log.scrollTop = node.offsetTop - log.offsetTop;
    } else {
      log.scrollTop = log.scrollHeight;
    }
  }

  function append(node) {
    log.appendChild(node);
    scrollIntoLog(node);
    return node;
  }

  function setBusy(on) {
    busy = on;
    busyIndicator.hidden = !on;
    sendButton.disabled = on;
    log.setAttribute('aria-busy', on ? 'true' : 'false');
    for (const b of document.querySelectorAll('button.suggestion, button.retry, button.option:not([data-consumed])')) {
      b.disabled = on;
    }
    if (on) log.scrollTop = log.scrollHeight;
  }

  // ---- messages ----

  function addQuestion(text) {
    const msg = el('article', 'msg user');
    msg.setAttribute('aria-label', 'You asked');
    msg.appendChild(el('p', 'text', text));
    return append(msg);
  }

  function sourceItem(source) {
    const li = el('li', 'source');
    const url = safeUrl(source.url);
    const title = source.title || source.article || source.id || 'Source';
    if (url) {
      const a = el('a', 'source-title', title);
      a.href = url;
      a.rel = 'noopener noreferrer';
      a.target = '_blank';
      li.appendChild(a);
    } else {
      li.appendChild(el('span', 'source-title', title));
    }
    const where = [];
    if (source.article && source.article !== title) where.push(source.article);
    if (source.section && source.section !== title && source.section !== source.article) where.push(source.section);
    if (where.length) {
      li.appendChild(document.createTextNode(' — '));
      li.appendChild(el('span', 'source-where', where.join(', ')));
    }
    return li;
  }

  function suggestionButtons(suggestions, label) {
    const group = el('div', 'suggestions');
    group.setAttribute('role', 'group');
    group.setAttribute('aria-label', label);
    for (const s of suggestions) {
      if (typeof s !== 'string' || s.trim() === '') continue;
      group.appendChild(button('suggestion', s, () => ask(s)));
    }
    return group;
  }

  // The clarification's own line: its text before the numbered options
  // (which the buttons replace here).
  function clarifyPrompt(text) {
    const t = typeof text === 'string' ? text : '';
    let end = t.indexOf('\n1. ');
    if (end < 0) end = t.indexOf('\n');
    const line = (end < 0 ? t : t.slice(0, end)).trim();
    return line || 'Did you mean one of these?';
  }

  // One button per option of a clarification. A click asks that option's
  // question with its entry_id (the answer is exactly that entry), and the
  // buttons are consumed: disabled, the chosen one marked pressed.
  // The newest clarification's options by number, for a typed choice.
  let latestOptions = {};

  // `clarificationId`: the clarification's answer_id, sent with a choice so
  // that the server logs it as that clarification resolved even after the
  // conversation expired.
  function optionButtons(options, clarificationId) {
    latestOptions = {};
    const group = el('div', 'options');
    group.setAttribute('role', 'group');
    group.setAttribute('aria-label', 'Did you mean');
    const buttons = [];
    // Marks the buttons consumed, `chosen` pressed; false if already consumed.
    function consume(chosen) {
      if (chosen.dataset.consumed) return false;
      for (const other of buttons) {
        other.dataset.consumed = '1';
        other.disabled = true;
        other.setAttribute('aria-pressed', other === chosen ? 'true' : 'false');
      }
      chosen.classList.add('chosen');
      group.classList.add('chosen');
      return true;
    }
    options.forEach((o, i) => {
      const b = button('option', o.question, (event) => {
        if (busy || !consume(b)) return;
        // From the keyboard (no pointer click), focus goes on to the input
        // rather than being lost with the disabled button.
        if (event.detail === 0) input.focus();
        ask(o.question, { entryId: o.entry_id, clarificationId: clarificationId });
      });
      b.setAttribute('aria-pressed', 'false');
      b.dataset.entryId = o.entry_id;
      buttons.push(b);
      group.appendChild(b);
      // Typing the option's number ("2", "2.") chooses it too: the same
      // entry is asked, and the buttons show the choice.
      latestOptions[String(i + 1)] = { entryId: o.entry_id, clarificationId: clarificationId,
                                       consume: () => consume(b) };
    });
    return group;
  }

  function feedbackBar(answerId) {
    const bar = el('div', 'feedback');
    bar.setAttribute('role', 'group');
    bar.setAttribute('aria-label', 'Was this answer helpful?');
    bar.appendChild(el('span', 'feedback-label', 'Helpful?'));
    const status = el('span', 'feedback-status');
    status.setAttribute('role', 'status');
    // The words keep the buttons readable where no emoji font is installed.
    const up = button('vote up', '👍 Yes', () => sendFeedback(true));
    const down = button('vote down', '👎 No', () => sendFeedback(false));
    up.setAttribute('aria-label', 'Yes, helpful');
    down.setAttribute('aria-label', 'No, not helpful');
    up.title = 'Helpful';
    down.title = 'Not helpful';
    up.setAttribute('aria-pressed', 'false');
    down.setAttribute('aria-pressed', 'false');
    bar.append(up, down, status);

    async function sendFeedback(helpful) {
      up.disabled = down.disabled = true;
      status.className = 'feedback-status';
      status.textContent = 'Sending…';
      const result = await postJson('/v1/feedback', { answer_id: answerId, helpful: helpful }, FEEDBACK_TIMEOUT_MS);
      if (result.ok) {
        (helpful ? up : down).setAttribute('aria-pressed', 'true');
        (helpful ? down : up).setAttribute('aria-pressed', 'false');
        bar.classList.add('recorded');
        status.textContent = 'Thanks, your feedback was recorded.';
      } else {
        up.disabled = down.disabled = false;
        status.className = 'feedback-status failed';
        status.textContent = 'Feedback not recorded: ' + result.message;
      }
    }
    return bar;
  }

  function addAnswer(data) {
    const kind = typeof data.kind === 'string' ? data.kind : 'kb';
    const msg = el('article', 'msg bot kind-' + kind.replace(/[^a-z]/g, ''));
    msg.setAttribute('aria-label', 'careerbot answered');
    if (typeof data.answer_id === 'string') msg.dataset.answerId = data.answer_id;
    const options = kind === 'clarify' && Array.isArray(data.options)
      ? data.options.filter((o) => o && typeof o.question === 'string' && o.question.trim() !== '' &&
                                   typeof o.entry_id === 'string' && o.entry_id !== '')
      : [];
    if (options.length) {
      msg.appendChild(el('p', 'text', clarifyPrompt(data.answer)));
      msg.appendChild(optionButtons(options, typeof data.answer_id === 'string' ? data.answer_id : ''));
      msg.appendChild(el('p', 'options-hint', 'Or type its number.'));
      return append(msg);
    }
    // Any other answer moves the conversation on: a number typed now is a
    // question of its own, not a choice among older options.
    latestOptions = {};
    msg.appendChild(el('p', 'text', typeof data.answer === 'string' ? data.answer : ''));

    const sources = Array.isArray(data.sources) ? data.sources.filter((s) => s && typeof s === 'object') : [];
    if (sources.length) {
      const box = el('div', 'sources');
      box.appendChild(el('p', 'sources-label', sources.length === 1 ? 'Source' : 'Sources'));
      const list = el('ul', 'source-list');
      for (const s of sources) list.appendChild(sourceItem(s));
      box.appendChild(list);
      msg.appendChild(box);
    }
    const suggestions = Array.isArray(data.suggestions) ? data.suggestions : [];
    if (suggestions.length) msg.appendChild(suggestionButtons(suggestions, 'Related questions'));
    if (typeof data.answer_id === 'string' && data.answer_id !== '') msg.appendChild(feedbackBar(data.answer_id));
    return append(msg);
  }

  // `choice`: the option asked ({entryId, clarificationId}), to ask again.
  function addError(message, question, choice) {
    const msg = el('article', 'msg bot error');
    msg.setAttribute('aria-label', 'Error');
    msg.appendChild(el('p', 'text', message));
    if (question) {
      const retry = button('retry', 'Try again', () => {
        msg.remove();
        ask(question, Object.assign({ repeat: true }, choice));
      });
      msg.appendChild(retry);
    }
    return append(msg);
  }

  // ---- the API ----

  // POSTs `body` as JSON. Resolves to {ok: true, data} or {ok: false, message}
  // with a message fit to show: the server's JSON error message, or what went
  // wrong on the way.
  async function postJson(path, body, timeoutMs) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    let response;
    try {
      response = await fetch(path, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(body),
        signal: controller.signal,
        credentials: 'same-origin',
        cache: 'no-store',
      });
    } catch (e) {
      clearTimeout(timer);
      if (e && e.name === 'AbortError') {
        return { ok: false, message: 'the server did not answer in time. Please try again.' };
      }
      return { ok: false, unreachable: true,
               message: 'the server cannot be reached. Check that careerbot is running and your connection works, then try again.' };
    }
    let data = null;
    try {
      data = await response.json();
    } catch (e) {
      data = null;
    } finally {
      clearTimeout(timer);
    }
    if (!response.ok) {
      const err = data && data.error;
      const detail = err && typeof err.message === 'string' && err.message !== '' ? err.message : response.statusText;
      return { ok: false, status: response.status,
               message: 'the server answered with an error (' + response.status + '): ' + detail };
    }
    if (!data || typeof data !== 'object') {
      return { ok: false, message: 'the server sent an answer this page cannot read.' };
    }
    return { ok: true, data: data };
  }

  async function ask(text, options) {
    const question = String(text || '').trim();
    if (busy || question === '') return;
    if (!(options && options.repeat)) addQuestion(question);
    setBusy(true);
    const body = { question: question, channel: 'web' };
    if (conversationId) body.conversation_id = conversationId;
    // A clarification's option: asks exactly that entry.
    const entryId = options && typeof options.entryId === 'string' ? options.entryId : '';
    if (entryId) body.entry_id = entryId;
    const clarificationId = options && typeof options.clarificationId === 'string' ? options.clarificationId : '';
    if (entryId && clarificationId) body.clarification_id = clarificationId;
    const result = await postJson('/v1/ask', body, ASK_TIMEOUT_MS);
    setBusy(false);
    if (!result.ok) {
      const m = result.message;
      addError(m.charAt(0).toUpperCase() + m.slice(1), question,
               { entryId: entryId, clarificationId: clarificationId });
      return;
    }
    if (typeof result.data.conversation_id === 'string' && result.data.conversation_id !== '') {
      conversationId = result.data.conversation_id;
    }
    addAnswer(result.data);
  }

  // ---- wiring ----

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = input.value;
    if (busy || text.trim() === '') return;
    input.value = '';
    // A typed option number answers the newest clarification, as a click does.
    const number = text.trim().replace(/[.)]$/, '');
    const option = /^[1-9]$/.test(number) ? latestOptions[number] : undefined;
    if (option && option.consume()) {
      ask(text, { entryId: option.entryId, clarificationId: option.clarificationId });
      return;
    }
    ask(text);
  });

  // Keep the newest messages in view when the screen changes size (a phone
  // turned, its keyboard opening), unless the reader has scrolled up.
  let atBottom = true;
  log.addEventListener('scroll', () => {
    atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 24;
  });
  window.addEventListener('resize', () => {
    if (atBottom) log.scrollTop = log.scrollHeight;
  });

  for (const b of log.querySelectorAll('button.suggestion')) {
    b.addEventListener('click', () => ask(b.textContent));
  }
})();
