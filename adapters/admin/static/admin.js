// careerbot curation page: signs in with the admin token, lists the gaps
// (GET /v1/admin/gaps) and the entries, edits an entry (PUT/POST
// /v1/admin/entries), adds a gap's question to an entry in one step
// (POST /v1/admin/gaps/accept), tries questions (POST /v1/admin/ask), and
// draws the trends (GET /v1/admin/stats; an entry's: /entries/{id}/stats) as
// SVG built here, each chart with a table behind it and a CSV download.
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
    loadTrends();
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
    loadEntryTrend(current.id);
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


  // ---- trends (GET /v1/admin/stats): charts drawn here as SVG ----

  const SVG_NS = 'http://www.w3.org/2000/svg';
  const OUTCOMES = [
    ['answered', 'Answered'], ['clarified', 'Asked back'], ['declined', 'Declined'], ['smalltalk', 'Small talk'],
  ];
  const FEEDBACK = [['helpful', 'Helpful'], ['unhelpful', 'Not helpful']];
  const trendsDays = $('trends-days');
  const trendsChannel = $('trends-channel');
  const trendsStatus = $('trends-status');
  let trends = null;  // the last stats answered

  function svg(tag, attrs, className) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (className) node.setAttribute('class', className);
    return node;
  }

  function svgText(x, y, text, className, anchor) {
    const t = svg('text', { x, y, 'text-anchor': anchor || 'middle' }, className || 'axis-label');
    t.textContent = String(text);
    return t;
  }

  function percent(rate) {
    return typeof rate === 'number' ? (rate * 100).toFixed(1) + '%' : '–';
  }

  // A "nice" top for an axis holding `max`.
  function axisTop(max) {
    if (max <= 4) return 4;
    const step = Math.pow(10, Math.floor(Math.log10(max)));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * step >= max) return m * step;
    return 10 * step;
  }

  // A stacked bar chart: one bar per item of `rows`, stacked by `series`
  // ([key, label]); `line` (optional) a 0..1 value per row drawn over it.
  function barChart(rows, labelOf, series, line, options) {
    const W = 720, H = options && options.small ? 150 : 220, left = 40, right = line ? 44 : 12, top = 10, bottom = 28;
    const plotW = W - left - right, plotH = H - top - bottom;
    const root = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-hidden': 'true', focusable: 'false' },
      'chart-graphic');
    let max = 0;
    for (const r of rows) max = Math.max(max, series.reduce((n, [k]) => n + (Number(r[k]) || 0), 0));
    const ymax = axisTop(max);
    for (let i = 0; i <= 4; i++) {
      const v = (ymax * i) / 4;
      const y = top + plotH - (plotH * i) / 4;
      root.appendChild(svg('line', { x1: left, x2: left + plotW, y1: y, y2: y }, 'grid'));
      root.appendChild(svgText(left - 6, y + 4, Number.isInteger(v) ? v : v.toFixed(1), 'axis-label', 'end'));
    }
    const slot = plotW / Math.max(rows.length, 1);
    const barW = Math.max(1, slot * 0.72);
    const labelEvery = Math.ceil(rows.length / 10);
    rows.forEach((r, i) => {
      const x = left + i * slot + (slot - barW) / 2;
      let y = top + plotH;
      const g = svg('g', { 'data-label': labelOf(r) }, 'bar');
      const tip = svg('title');
      tip.textContent = labelOf(r) + ': ' + series.map(([k, label]) => label + ' ' + (Number(r[k]) || 0)).join(', ');
      g.appendChild(tip);
      for (const [k] of series) {
        const n = Number(r[k]) || 0;
        if (!n) continue;
        const h = (plotH * n) / ymax;
        y -= h;
        g.appendChild(svg('rect', { x: x.toFixed(2), y: y.toFixed(2), width: barW.toFixed(2), height: h.toFixed(2),
          'data-series': k, 'data-value': n }, 'seg seg-' + k));
      }
      root.appendChild(g);
      if (i % labelEvery === 0) root.appendChild(svgText(x + barW / 2, H - 10, labelOf(r).slice(5)));
    });
    if (line) {
      root.appendChild(svgText(W - 4, top + 8, '100%', 'axis-label', 'end'));
      root.appendChild(svgText(W - 4, top + plotH, '0%', 'axis-label', 'end'));
      const points = [];
      rows.forEach((r, i) => {
        const v = line(r);
        if (typeof v !== 'number') return;
        const px = left + i * slot + slot / 2, py = top + plotH - plotH * v;
        points.push(px.toFixed(2) + ',' + py.toFixed(2));
        root.appendChild(svg('circle', { cx: px.toFixed(2), cy: py.toFixed(2), r: 3 }, 'rate-dot'));
      });
      if (points.length > 1) root.appendChild(svg('polyline', { points: points.join(' ') }, 'rate-line'));
    }
    return root;
  }

  function legend(list, items) {
    list.replaceChildren(...items.map(([k, label]) => {
      const li = el('li', 'legend-item');
      li.appendChild(el('span', 'swatch seg-' + k));
      li.appendChild(document.createTextNode(label));
      return li;
    }));
  }

  // Fills `table` (keeping its caption) with a header row and rows of text.
  function fillTable(table, head, rows) {
    const caption = table.querySelector('caption');
    table.replaceChildren();
    if (caption) table.appendChild(caption);
    const thead = el('thead');
    const tr = el('tr');
    for (const h of head) {
      const th = el('th', '', h);
      th.scope = 'col';
      tr.appendChild(th);
    }
    thead.appendChild(tr);
    const tbody = el('tbody');
    for (const r of rows) {
      const row = el('tr');
      r.forEach((cell, i) => {
        const c = el(i === 0 ? 'th' : 'td', '', cell);
        if (i === 0) c.scope = 'row';
        row.appendChild(c);
      });
      tbody.appendChild(row);
    }
    table.append(thead, tbody);
  }

  function statsQuery() {
    let q = 'days=' + encodeURIComponent(trendsDays.value) + '&bucket=day';
    if (trendsChannel.value) q += '&channel=' + encodeURIComponent(trendsChannel.value);
    return q;
  }

  function renderTrends(t) {
    const series = Array.isArray(t.series) ? t.series : [];
    const totals = t.totals || {};
    // The channels seen, kept in the filter (the chosen one stays).
    const chosen = trendsChannel.value;
    const channels = Array.isArray(t.channels) ? t.channels.slice() : [];
    if (chosen && !channels.includes(chosen)) channels.push(chosen);
    trendsChannel.replaceChildren(el('option', '', 'Every channel'));
    trendsChannel.options[0].value = '';
    for (const c of channels) {
      const o = el('option', '', c);
      o.value = c;
      trendsChannel.appendChild(o);
    }
    trendsChannel.value = chosen;

    const answeredShare = totals.total ? totals.answered / totals.total : null;
    $('trends-summary').textContent = (totals.total || 0) + ' questions in the last ' + t.days + ' days' +
      (t.channel ? ' on ' + t.channel : '') + ': ' + percent(answeredShare) + ' answered, ' +
      (totals.clarified || 0) + ' asked back, ' + (totals.declined || 0) + ' declined, ' +
      (totals.smalltalk || 0) + ' small talk. Helpful rate ' + percent(totals.helpful_rate) + ' (' +
      (totals.helpful || 0) + ' helpful, ' + (totals.unhelpful || 0) + ' not helpful).';

    const date = (r) => r.date;
    $('questions-svg').replaceChildren(barChart(series, date, OUTCOMES));
    legend($('questions-legend'), OUTCOMES);
    fillTable($('questions-table'), ['Date', ...OUTCOMES.map(([, l]) => l), 'Total'],
      series.map((r) => [r.date, ...OUTCOMES.map(([k]) => r[k]), r.total]));
    $('feedback-svg').replaceChildren(barChart(series, date, FEEDBACK, (r) => r.helpful_rate));
    legend($('feedback-legend'), [...FEEDBACK, ['rate', 'Helpful rate']]);
    fillTable($('feedback-table'), ['Date', 'Helpful', 'Not helpful', 'Helpful rate'],
      series.map((r) => [r.date, r.helpful, r.unhelpful, percent(r.helpful_rate)]));

    const entryRows = (list) => (Array.isArray(list) ? list : []).map((e) => [e.entry_id, e.asked, e.helpful,
      e.unhelpful]);
    const head = ['Entry', 'Asked', 'Helpful', 'Not helpful'];
    fillTable($('top-asked'), head, entryRows(t.top_asked));
    fillTable($('worst-feedback'), head, entryRows(t.worst_feedback));
    for (const id of ['top-asked', 'worst-feedback']) {
      for (const th of $(id).querySelectorAll('tbody th')) {
        const name = th.textContent;
        th.replaceChildren(button('link', name, () => openEntry(name)));
      }
    }
    const gaps = t.gaps || {};
    const dl = $('gap-counts');
    dl.replaceChildren();
    for (const [label, v] of [['Open', gaps.open], ['Accepted', gaps.accepted], ['Dismissed', gaps.dismissed]]) {
      dl.append(el('dt', '', label), el('dd', '', v === null || v === undefined ? '–' : v));
    }
  }

  let trendsRequest = 0;  // the latest load: an older answer arriving late is dropped

  async function loadTrends() {
    const query = statsQuery();
    const mine = ++trendsRequest;
    say(trendsStatus, 'Loading…');
    const result = await api('GET', '/v1/admin/stats?' + query + '&open_gaps=1');
    if (mine !== trendsRequest) return;
    if (!result.ok) {
      say(trendsStatus, 'Could not load the trends: ' + result.message, 'error');
      return;
    }
    trends = result.data;
    renderTrends(trends);
    say(trendsStatus, '');
    $('trends-panel').dataset.loaded = query;
  }

  // Downloads a CSV table from the API (the token goes in the header, so the
  // file is fetched here and handed to the browser as a blob).
  async function downloadCsv(table) {
    const query = statsQuery() + '&format=csv&table=' + table;
    let response;
    try {
      response = await fetch('/v1/admin/stats?' + query, {
        headers: { Accept: 'text/csv', Authorization: 'Bearer ' + token() }, cache: 'no-store', credentials: 'omit',
      });
    } catch (e) {
      say(trendsStatus, 'Could not download the CSV: the server cannot be reached', 'error');
      return;
    }
    if (!response.ok) {
      say(trendsStatus, 'Could not download the CSV (' + response.status + ')', 'error');
      return;
    }
    const blob = await response.blob();
    const url = URL.createObjectURL(blob);
    const a = el('a');
    a.href = url;
    a.download = 'careerbot-' + table + '-' + trendsDays.value + 'd' +
      (trendsChannel.value ? '-' + trendsChannel.value : '') + '.csv';
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  trendsDays.addEventListener('change', loadTrends);
  trendsChannel.addEventListener('change', loadTrends);
  $('trends-controls').addEventListener('submit', (event) => event.preventDefault());
  $('refresh-trends').addEventListener('click', loadTrends);
  $('trends-show-tables').addEventListener('change', (event) => {
    // The tables sit in boxes: a table cannot be narrower than its content,
    // a hidden box can (so the hidden tables never widen the page).
    for (const id of ['questions-table-box', 'feedback-table-box', 'entry-weeks-box']) {
      $(id).classList.toggle('visually-hidden', !event.target.checked);
    }
  });
  $('questions-csv').addEventListener('click', () => downloadCsv('days'));
  $('feedback-csv').addEventListener('click', () => downloadCsv('days'));
  $('top-asked-csv').addEventListener('click', () => downloadCsv('top_asked'));
  $('worst-feedback-csv').addEventListener('click', () => downloadCsv('worst_feedback'));

  // ---- an entry's questions over time (GET /v1/admin/entries/{id}/stats) ----

  async function loadEntryTrend(id) {
    const chart = $('entry-trend-svg');
    const changesTable = $('entry-changes');
    chart.replaceChildren();
    changesTable.replaceChildren();
    fillTable($('entry-weeks'), [], []);
    const result = await api('GET', '/v1/admin/entries/' + encodeURIComponent(id) + '/stats?weeks=12');
    if (!result.ok || !current || current.id !== id) return;
    const s = result.data;
    const weeks = Array.isArray(s.weeks) ? s.weeks : [];
    const withRest = weeks.map((w) => Object.assign({}, w, { rest: w.asked - w.confident }));
    chart.replaceChildren(barChart(withRest, (w) => w.week, [['confident', 'Confident'], ['rest', 'Less sure']],
      null, { small: true }));
    fillTable($('entry-weeks'), ['Week of', 'Asked', 'Confident', 'Helpful', 'Not helpful'],
      weeks.map((w) => [w.week, w.asked, w.confident, w.helpful, w.unhelpful]));
    const changes = Array.isArray(s.changes) ? s.changes : [];
    if (!changes.length) {
      changesTable.appendChild(el('caption', 'hint', 'No recorded changes to compare.'));
      return;
    }
    const perWeek = (x) => (typeof x.per_week === 'number' ? x.per_week.toFixed(1) : '–');
    fillTable(changesTable, ['Change', 'Per week before → after', 'Confident before → after',
      'Helpful before → after'], changes.map((c) => [
      '#' + c.id + ' ' + c.action + ' · ' + shortTime(c.at),
      perWeek(c.before) + ' → ' + perWeek(c.after),
      percent(c.before.confident_share) + ' → ' + percent(c.after.confident_share),
      percent(c.before.helpful_rate) + ' → ' + percent(c.after.helpful_rate)]));
    const caption = el('caption', '', 'Before and after each change (up to 28 days each side; confident: ' +
      'confidence ≥ ' + s.confident_threshold + ')');
    changesTable.prepend(caption);
  }

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
