// careerbot curation page: signs in with the admin token, lists the gaps
// (GET /v1/admin/gaps) and the entries, edits an entry (PUT/POST
// /v1/admin/entries), adds a gap's question to an entry in one step
// (POST /v1/admin/gaps/accept), and tries questions (POST /v1/admin/ask).
// Safety rules, as on the chat page: every text from the server goes in with
// textContent, never as HTML; the token lives in this tab's sessionStorage
// and travels only in the Authorization header, never in a URL.
'use strict';

(function () {
  const TOKEN_KEY = 'careerbot.adminToken';
  const REQUEST_TIMEOUT_MS = 20000;
  const LONG_ANSWER_CHARS = 600;

  const $ = (id) => document.getElementById(id);
  const signIn = $('sign-in');
  const signInForm = $('sign-in-form');
  const tokenInput = $('token');
  const signInStatus = $('sign-in-status');
  const signOut = $('sign-out');
  const workspace = $('workspace');
  const gapsList = $('gaps');
  const gapsStatus = $('gaps-status');
  const entriesList = $('entries');
  const entriesStatus = $('entries-status');
  const filter = $('entry-filter');
  const editorPanel = $('editor-panel');
  const editor = $('editor');
  const editorTitle = $('editor-title');
  const editorStatus = $('editor-status');
  const fields = {
    id: $('f-id'), title: $('f-title'), body: $('f-body'), questions: $('f-questions'), tags: $('f-tags'),
    article: $('f-article'), section: $('f-section'), url: $('f-url'),
  };
  const updated = $('f-updated');
  const bodyCount = $('body-count');
  const historyList = $('history');
  const tryAnswer = $('try-answer');

  let entries = [];     // as the server last listed them
  let current = null;   // {id, etag} of the entry in the editor; null for a new one

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

  function say(node, text, kind) {
    node.textContent = text || '';
    node.className = 'status' + (kind ? ' ' + kind : '');
  }

  function shortTime(iso) {
    return typeof iso === 'string' ? iso.replace('T', ' ').replace(/:\d\dZ$/, ' UTC') : '';
  }

  // ---- the API ----

  function token() {
    return sessionStorage.getItem(TOKEN_KEY) || '';
  }

  // Calls the admin API. Resolves to {ok, status, data, headers} or
  // {ok: false, message}; a refused token signs out.
  async function api(method, path, body, extraHeaders) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    const headers = Object.assign({ Accept: 'application/json', Authorization: 'Bearer ' + token() },
      extraHeaders || {});
    const init = { method, headers, signal: controller.signal, cache: 'no-store', credentials: 'omit' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (e) {
      clearTimeout(timer);
      return { ok: false, message: e && e.name === 'AbortError'
        ? 'the server did not answer in time' : 'the server cannot be reached; is careerbot running?' };
    }
    let data = null;
    try {
      data = await response.json();
    } catch (e) {
      data = null;
    } finally {
      clearTimeout(timer);
    }
    if (response.status === 401) {
      endSession('The token was refused. Sign in again.');
      return { ok: false, status: 401, message: 'the token was refused' };
    }
    if (!response.ok) {
      const err = data && data.error;
      let message = err && typeof err.message === 'string' ? err.message : response.statusText;
      if (err && typeof err.field === 'string' && err.field && !message.startsWith(err.field)) {
        message = err.field + ': ' + message;
      }
      return { ok: false, status: response.status, field: err && err.field, message };
    }
    return { ok: true, status: response.status, data, headers: response.headers };
  }

  // ---- signing in and out ----

  function startSession() {
    signIn.hidden = true;
    workspace.hidden = false;
    signOut.hidden = false;
    loadEntries().then(loadGaps);
  }

  function endSession(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    workspace.hidden = true;
    editorPanel.hidden = true;
    signOut.hidden = true;
    signIn.hidden = false;
    gapsList.replaceChildren();
    entriesList.replaceChildren();
    say(signInStatus, message || '', message ? 'error' : '');
    tokenInput.focus();
  }

  signInForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const value = tokenInput.value.trim();
    if (!value) return;
    sessionStorage.setItem(TOKEN_KEY, value);
    tokenInput.value = '';
    say(signInStatus, 'Checking the token…');
    const check = await api('GET', '/v1/admin/entries?q=');
    if (check.ok) {
      say(signInStatus, '');
      startSession();
    } else if (check.status !== 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      say(signInStatus, 'Could not sign in: ' + check.message, 'error');
    }
  });

  signOut.addEventListener('click', () => endSession('Signed out.'));

  // ---- gaps ----

  function entryOptions(select, selectedId) {
    select.replaceChildren();
    const none = el('option', '', 'Choose the entry that should answer it…');
    none.value = '';
    select.appendChild(none);
    for (const e of entries) {
      const option = el('option', '', e.title + ' (' + e.id + ')');
      option.value = e.id;
      if (e.id === selectedId) option.selected = true;
      select.appendChild(option);
    }
  }

  function gapItem(gap) {
    const li = el('li', 'gap');
    li.dataset.gapId = gap.id;
    li.appendChild(el('p', 'gap-example', '“' + gap.example + '”'));
    const why = [];
    if (gap.declined) why.push(gap.declined + ' declined');
    if (gap.low_confidence) why.push(gap.low_confidence + ' unsure');
    if (gap.unhelpful) why.push(gap.unhelpful + ' not helpful');
    const meta = [gap.count + (gap.count === 1 ? ' time' : ' times'), why.join(', ')];
    if (Array.isArray(gap.channels) && gap.channels.length) meta.push(gap.channels.join(', '));
    meta.push('last ' + shortTime(gap.last_asked));
    li.appendChild(el('p', 'gap-meta', meta.filter(Boolean).join(' · ')));
    const others = Array.isArray(gap.examples) ? gap.examples.slice(1, 3) : [];
    if (others.length) li.appendChild(el('p', 'gap-also', 'Also: ' + others.map((x) => '“' + x + '”').join(', ')));
    if (gap.answered_by) li.appendChild(el('p', 'gap-meta', 'Answered by ' + gap.answered_by));

    const likely = gap.likely_entry && typeof gap.likely_entry === 'object' ? gap.likely_entry : null;
    const form = el('form', 'gap-accept');
    const selectId = 'gap-entry-' + gap.id;
    const questionId = 'gap-question-' + gap.id;
    const selectLabel = el('label', '', 'Should be answered by');
    selectLabel.htmlFor = selectId;
    const select = el('select');
    select.id = selectId;
    entryOptions(select, likely ? likely.id : '');
    const questionLabel = el('label', '', 'as the alternate question');
    questionLabel.htmlFor = questionId;
    const question = el('input');
    question.id = questionId;
    question.type = 'text';
    question.value = gap.example;
    const add = el('button', 'accept', 'Add question');
    add.type = 'submit';
    const status = el('p', 'status');
    status.setAttribute('role', 'status');
    form.append(selectLabel, select, questionLabel, question, add);
    if (likely) {
      form.appendChild(el('p', 'hint', 'Most likely meant: ' + likely.title + ' (confidence ' +
        Number(likely.confidence).toFixed(2) + ')'));
    }
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!select.value) {
        say(status, 'Choose the entry that should answer this question.', 'error');
        select.focus();
        return;
      }
      add.disabled = true;
      say(status, 'Adding…');
      const result = await api('POST', '/v1/admin/gaps/accept',
        { gap_id: gap.id, entry_id: select.value, question: question.value });
      add.disabled = false;
      if (!result.ok) {
        say(status, 'Not added: ' + result.message, 'error');
        return;
      }
      say(status, (result.data.added ? 'Added to ' : 'Already a question of ') + result.data.entry_id +
        '. The bot answers it from now on.', 'ok');
      await openEntry(result.data.entry_id);
      setTimeout(loadGaps, 1200);
    });
    li.appendChild(form);
    li.appendChild(status);
    const tools = el('div', 'gap-tools');
    if (likely) tools.appendChild(button('quiet', 'Open ' + likely.id, () => openEntry(likely.id)));
    tools.appendChild(button('quiet', 'Dismiss', async () => {
      const result = await api('POST', '/v1/admin/gaps/dismiss', { gap_id: gap.id });
      if (result.ok) {
        li.remove();
      } else {
        say(status, 'Not dismissed: ' + result.message, 'error');
      }
    }));
    li.appendChild(tools);
    return li;
  }

  async function loadGaps() {
    say(gapsStatus, 'Loading gaps…');
    const result = await api('GET', '/v1/admin/gaps');
    if (!result.ok) {
      say(gapsStatus, 'Could not load the gaps: ' + result.message, 'error');
      return;
    }
    const gaps = Array.isArray(result.data.gaps) ? result.data.gaps : [];
    gapsList.replaceChildren(...gaps.map(gapItem));
    say(gapsStatus, gaps.length ? '' : 'No gaps: every logged question was answered confidently.');
  }

  $('refresh-gaps').addEventListener('click', loadGaps);

  // ---- entries ----

  function renderEntries() {
    const q = filter.value.trim().toLowerCase();
    const shown = entries.filter((e) => !q || e.id.includes(q) || e.title.toLowerCase().includes(q) ||
      (e.questions || []).some((x) => x.toLowerCase().includes(q)));
    entriesList.replaceChildren(...shown.map((e) => {
      const li = el('li');
      const b = button('entry-link', '', () => openEntry(e.id));
      b.dataset.entryId = e.id;
      b.appendChild(el('span', 'entry-title', e.title));
      b.appendChild(el('span', 'entry-id', e.id));
      if (current && current.id === e.id) b.setAttribute('aria-current', 'true');
      li.appendChild(b);
      return li;
    }));
    say(entriesStatus, shown.length + ' of ' + entries.length + ' entries');
  }

  async function loadEntries() {
    const result = await api('GET', '/v1/admin/entries');
    if (!result.ok) {
      say(entriesStatus, 'Could not load the entries: ' + result.message, 'error');
      return;
    }
    entries = Array.isArray(result.data.entries) ? result.data.entries : [];
    renderEntries();
  }

  filter.addEventListener('input', renderEntries);

  // ---- the editor ----

  function countBody() {
    const n = [...fields.body.value].length;
    bodyCount.textContent = n + ' characters' + (n > LONG_ANSWER_CHARS
      ? ': long for a chat answer; the bot sends only its best sentences' : '');
    bodyCount.className = 'hint' + (n > LONG_ANSWER_CHARS ? ' warn' : '');
  }
  fields.body.addEventListener('input', countBody);

  function fill(entry) {
    fields.id.value = entry ? entry.id : '';
    fields.id.readOnly = !!entry;
    fields.title.value = entry ? entry.title : '';
    fields.body.value = entry ? entry.body : '';
    fields.questions.value = entry ? (entry.questions || []).join('\n') : '';
    fields.tags.value = entry ? (entry.tags || []).join(', ') : '';
    const source = (entry && entry.source) || {};
    fields.article.value = source.article || '';
    fields.section.value = source.section || '';
    fields.url.value = source.url || '';
    updated.textContent = entry && entry.updated_at ? 'Last updated ' + entry.updated_at : '';
    editorTitle.textContent = entry ? entry.title : 'New entry';
    countBody();
  }

  function fromForm() {
    const lines = (text) => text.split('\n').map((x) => x.trim()).filter(Boolean);
    return {
      id: fields.id.value.trim(),
      title: fields.title.value,
      body: fields.body.value,
      questions: lines(fields.questions.value),
      tags: fields.tags.value.split(',').map((x) => x.trim()).filter(Boolean),
      source: { article: fields.article.value, section: fields.section.value, url: fields.url.value },
    };
  }

  function historyItem(change) {
    const li = el('li', 'change');
    li.appendChild(el('p', 'change-head', '#' + change.id + ' · ' + change.action + ' by ' + change.who + ' · ' +
      shortTime(change.at)));
    const before = change.before || {};
    const after = change.after || {};
    const notes = [];
    if (!change.before) notes.push('created');
    if (!change.after) notes.push('deleted');
    if (change.before && change.after) {
      for (const f of ['title', 'body']) if (before[f] !== after[f]) notes.push(f + ' changed');
      const added = (after.questions || []).filter((q) => !(before.questions || []).includes(q));
      const removed = (before.questions || []).filter((q) => !(after.questions || []).includes(q));
      for (const q of added) notes.push('+ question “' + q + '”');
      for (const q of removed) notes.push('− question “' + q + '”');
      if (JSON.stringify(before.tags) !== JSON.stringify(after.tags)) notes.push('tags changed');
      if (JSON.stringify(before.source) !== JSON.stringify(after.source)) notes.push('source changed');
    }
    for (const n of notes) li.appendChild(el('p', 'change-note', n));
    return li;
  }

  async function loadHistory(id) {
    historyList.replaceChildren();
    const result = await api('GET', '/v1/admin/entries/' + encodeURIComponent(id) + '/history');
    if (!result.ok) return;
    const changes = Array.isArray(result.data.changes) ? result.data.changes : [];
    if (!changes.length) historyList.appendChild(el('li', 'hint', 'No recorded changes: it is as built.'));
    historyList.append(...changes.map(historyItem));
  }

  function etagOf(result) {
    const tag = result.headers && result.headers.get('ETag');
    return tag ? tag.replace(/^W\//, '').replace(/"/g, '') : '';
  }

  async function openEntry(id) {
    const result = await api('GET', '/v1/admin/entries/' + encodeURIComponent(id));
    if (!result.ok) {
      say(entriesStatus, 'Could not open ' + id + ': ' + result.message, 'error');
      return;
    }
    current = { id: result.data.id, etag: etagOf(result) };
    fill(result.data);
    editorPanel.hidden = false;
    say(editorStatus, '');
    renderEntries();
    await loadHistory(current.id);
    editorPanel.scrollIntoView({ block: 'start' });
  }

  $('new-entry').addEventListener('click', () => {
    current = null;
    fill(null);
    historyList.replaceChildren();
    editorPanel.hidden = false;
    say(editorStatus, '');
    renderEntries();
    fields.title.focus();
  });

  editor.addEventListener('submit', async (event) => {
    event.preventDefault();
    const entry = fromForm();
    const save = $('save');
    save.disabled = true;
    say(editorStatus, 'Saving…');
    const result = current
      ? await api('PUT', '/v1/admin/entries/' + encodeURIComponent(current.id), entry,
        current.etag ? { 'If-Match': '"' + current.etag + '"' } : {})
      : await api('POST', '/v1/admin/entries', entry);
    save.disabled = false;
    if (!result.ok) {
      const hint = result.status === 412 ? ' Open the entry again to see the other change.' : '';
      say(editorStatus, 'Not saved: ' + result.message + hint, 'error');
      const field = result.field && fields[String(result.field).replace(/^source\./, '').replace(/\[\d+\]$/, '')];
      if (field) field.focus();
      return;
    }
    current = { id: result.data.id, etag: etagOf(result) };
    fill(result.data);
    say(editorStatus, 'Saved. The bot answers from it now, on every channel.', 'ok');
    await loadEntries();
    await loadHistory(current.id);
    await loadGaps();  // a new entry can now be chosen for a gap
  });

  $('revert').addEventListener('click', async () => {
    if (!current) return;
    const result = await api('POST', '/v1/admin/entries/' + encodeURIComponent(current.id) + '/revert', {});
    if (!result.ok) {
      say(editorStatus, 'Not reverted: ' + result.message, 'error');
      return;
    }
    if (result.data.entry) {
      await openEntry(current.id);
      say(editorStatus, 'Reverted to before its last change.', 'ok');
    } else {
      say(editorStatus, 'Reverted: the entry did not exist before, so it is deleted.', 'ok');
      current = null;
      await loadEntries();
    }
  });

  $('delete').addEventListener('click', async () => {
    if (!current || !window.confirm('Delete ' + current.id + '? (Revert brings it back.)')) return;
    const result = await api('DELETE', '/v1/admin/entries/' + encodeURIComponent(current.id), undefined,
      current.etag ? { 'If-Match': '"' + current.etag + '"' } : {});
    if (!result.ok) {
      say(editorStatus, 'Not deleted: ' + result.message, 'error');
      return;
    }
    say(editorStatus, 'Deleted ' + result.data.deleted + '. “Revert last change” brings it back.', 'ok');
    await loadEntries();
    await loadHistory(current.id);
    await loadGaps();
  });

  // ---- trying a question ----

  $('try-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const input = $('try-question');
    const question = input.value.trim();
    if (!question) return;
    tryAnswer.replaceChildren(el('p', 'hint', 'Asking…'));
    const result = await api('POST', '/v1/admin/ask', { question });
    if (!result.ok) {
      tryAnswer.replaceChildren(el('p', 'status error', 'Could not ask: ' + result.message));
      return;
    }
    const a = result.data;
    const source = Array.isArray(a.sources) && a.sources[0] ? a.sources[0] : null;
    const verdict = a.kind === 'kb'
      ? 'Answered by ' + (source ? source.id : '?') + ' (confidence ' + Number(a.confidence).toFixed(2) + ')'
      : a.kind === 'smalltalk' ? 'Small talk' : 'Declined (confidence ' + Number(a.confidence).toFixed(2) + ')';
    tryAnswer.replaceChildren(el('p', 'try-verdict', verdict), el('p', 'try-text', a.answer));
    if (source && current && source.id !== current.id) {
      tryAnswer.appendChild(button('quiet', 'Open ' + source.id, () => openEntry(source.id)));
    }
  });

  // ---- start ----

  if (token()) {
    startSession();
  } else {
    tokenInput.focus();
  }
})();
