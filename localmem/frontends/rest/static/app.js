// The localmem dashboard: plain DOM, no framework, no network beyond this server's /v1 API.
// The API key lives in sessionStorage (this tab only) and goes out as a Bearer header.
// Every value from the server is set as textContent, never parsed as HTML.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const store = window.sessionStorage;
  const LIST_LIMIT = 500;
  const SEARCH_LIMIT = 20;
  const state = { key: null, admin: false, user: null, query: null };

  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  async function api(method, path, body) {
    const headers = { Authorization: 'Bearer ' + state.key };
    let payload;
    if (typeof body === 'string') {
      headers['Content-Type'] = 'application/x-ndjson';
      payload = body;
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const response = await fetch(path, { method, headers, body: payload, cache: 'no-store' });
    if (!response.ok) {
      let message = response.status + ' ' + response.statusText;
      try { message = (await response.json()).error.message; } catch (_) { /* not our JSON */ }
      throw new ApiError(response.status, message);
    }
    return response;
  }

  const count = (n, one, many) => `${n} ${n === 1 ? one : many}`;
  const getJSON = async (method, path, body) => (await api(method, path, body)).json();
  const query = (params) => new URLSearchParams(
    Object.entries(params).filter(([, v]) => v !== null && v !== undefined)).toString();

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (name === 'text') node.textContent = value;
      else if (name === 'class') node.className = value;
      else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
      else if (value === true) node.setAttribute(name, '');
      else if (value !== false && value !== null && value !== undefined) node.setAttribute(name, value);
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  function when(iso) {
    if (!iso) return el('span', { text: '—' });
    const shown = new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
    return el('time', { datetime: iso, title: iso, text: shown });
  }

  function say(message) { $('status').textContent = message; }

  function showError(message) {
    $('error').textContent = message;
    $('error').hidden = !message;
  }

  // Wrap a handler: no page reload, errors shown in the alert line, a refused key signs out.
  const action = (fn) => async (event) => {
    if (event) event.preventDefault();
    showError('');
    try {
      await fn(event);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) signOut('The server refused this key: ' + err.message);
      else showError(err.message || String(err));
    }
  };

  // --- signing in ---------------------------------------------------------------------------

  async function signIn(key) {
    state.key = key;
    const me = await getJSON('GET', '/v1/me');
    store.setItem('localmem.key', key);
    state.admin = me.admin;
    $('who-name').textContent = me.admin ? 'admin key (every user)' : me.user_id;
    $('who').hidden = false;
    $('sign-in-view').hidden = true;
    $('app-view').hidden = false;
    $('user-form').hidden = !me.admin;
    $('api-key').value = '';
    let user = me.user_id;
    if (me.admin) {
      const users = (await getJSON('GET', '/v1/users')).results;
      $('user-list').replaceChildren(...users.map((u) => el('option', { value: u })));
      user = store.getItem('localmem.user') || users[0];
    }
    await showUser(user);
    (me.admin ? $('user-id') : $('search-q')).focus();
  }

  function signOut(message) {
    store.removeItem('localmem.key');
    store.removeItem('localmem.user');
    Object.assign(state, { key: null, admin: false, user: null, query: null });
    $('memories').replaceChildren();
    $('stats').replaceChildren();
    closeDetail(false);
    $('who').hidden = true;
    $('app-view').hidden = true;
    $('sign-in-view').hidden = false;
    say('');
    showError(message || '');
    $('api-key').focus();
  }

  async function showUser(user) {
    state.user = user;
    state.query = null;
    store.setItem('localmem.user', user);
    $('user-id').value = user;
    $('stats-user').textContent = user;
    $('delete-all-user').textContent = user;
    $('search-q').value = '';
    closeDetail(false);
    await refresh();
  }

  async function refresh() {
    await Promise.all([state.query === null ? loadList() : runSearch(state.query), loadStats()]);
  }

  // --- the list -----------------------------------------------------------------------------

  async function loadList() {
    const items = (await getJSON('GET', '/v1/memories?' + query({ user_id: state.user, limit: LIST_LIMIT }))).results;
    $('list-h').textContent = 'Memories';
    const more = items.length === LIST_LIMIT ? ` (the newest ${LIST_LIMIT}; search to find older ones)` : '';
    render(items, items.length ? `${count(items.length, 'memory', 'memories')}, newest first${more}.` : `Nothing is stored for ${state.user}.`);
  }

  async function runSearch(text) {
    const body = { query: text, user_id: state.user, limit: SEARCH_LIMIT };
    const items = (await getJSON('POST', '/v1/memories/search', body)).results;
    state.query = text;
    $('list-h').textContent = `Search: “${text}”`;
    render(items, items.length ? `${count(items.length, 'result', 'results')}, best first, with their scores.` : 'Nothing matches.');
  }

  function render(items, note) {
    $('list-note').textContent = note;
    $('memories').replaceChildren(...items.map((item) => card(item, true)));
  }

  function card(item, withActions) {
    const textId = `m${item.id}-text`;
    const facts = [el('span', { class: 'badge ' + item.kind, text: item.kind === 'fact' ? 'fact' : 'raw message' }),
      el('span', { text: item.kind === 'fact' ? '#' + item.id : 'id ' + item.id })];
    if (item.score !== null && item.score !== undefined) facts.push(el('span', { class: 'score', text: 'score ' + item.score.toFixed(3) }));
    facts.push(el('span', {}, 'added ', when(item.created_at)));
    if (item.updated_at !== item.created_at) facts.push(el('span', {}, 'changed ', when(item.updated_at)));
    if (item.observed_at) facts.push(el('span', {}, 'said ', when(item.observed_at)));
    const li = el('li', { class: 'card', 'data-id': item.id },
      el('p', { class: 'text', id: withActions ? textId : null, text: item.text }),
      el('p', { class: 'facts' }, ...facts), metadata(item.metadata));
    if (withActions) li.append(actions(li, item, textId));
    return li;
  }

  function metadata(meta) {
    const entries = Object.entries(meta || {});
    if (!entries.length) return null;
    return el('dl', { class: 'meta' }, ...entries.flatMap(([k, v]) =>
      [el('dt', { text: k }), el('dd', { text: typeof v === 'string' ? v : JSON.stringify(v) })]));
  }

  function actions(li, item, textId) {
    const row = el('div', { class: 'actions' });
    const button = (label, cls, fn) => row.append(el('button',
      { type: 'button', class: cls, 'aria-describedby': textId, text: label, onclick: fn }));
    if (item.kind === 'fact') {
      button('History and sources', 'open', action(() => openDetail(item)));
      button('Edit', 'edit', () => editForm(li, item));
    }
    button('Delete', 'delete danger', () => confirmDelete(li, item));
    return row;
  }

  function replaceTail(li, node) {
    li.querySelectorAll('.inline').forEach((n) => n.remove());
    li.append(node);
  }

  function editForm(li, item) {
    const fieldId = `edit-${item.id}`;
    const field = el('textarea', { id: fieldId, rows: 3, required: true });
    field.value = item.text;
    const cancel = () => { form.remove(); li.querySelector('.edit').focus(); };
    const form = el('form', { class: 'inline', onsubmit: action(async () => {
      await getJSON('PUT', `/v1/memories/${item.id}`, { text: field.value });
      say(`Memory #${item.id} changed.`);
      await refresh();
      focusIn(item.id, '.edit');
    }) },
    el('label', { for: fieldId, text: `New text for memory #${item.id}` }), field,
    el('div', { class: 'actions' }, el('button', { type: 'submit', text: 'Save' }),
      el('button', { type: 'button', text: 'Cancel', onclick: cancel })));
    replaceTail(li, form);
    field.focus();
  }

  function confirmDelete(li, item) {
    const keep = el('button', { type: 'button', text: 'Keep it', onclick: () => { box.remove(); li.querySelector('.delete').focus(); } });
    const box = el('div', { class: 'inline confirm', role: 'group', 'aria-label': `Delete memory #${item.id}?` },
      el('p', { text: item.kind === 'fact' ? 'Delete this memory, its history and its source messages for good?' : 'Delete this raw message for good?' }),
      el('div', { class: 'actions' }, el('button', { type: 'button', class: 'danger', text: 'Delete for good', onclick: action(async () => {
        await api('DELETE', `/v1/memories/${item.id}`);
        say(`Memory #${item.id} deleted.`);
        await refresh();
        $('list-h').focus();
      }) }), keep));
    replaceTail(li, box);
    keep.focus();
  }

  function focusIn(id, selector) {
    const target = document.querySelector(`[data-id="${id}"] ${selector}`);
    (target || $('list-h')).focus();
  }

  // --- one memory ---------------------------------------------------------------------------

  async function openDetail(item) {
    const [history, sources] = await Promise.all([
      getJSON('GET', `/v1/memories/${item.id}/history`),
      getJSON('GET', `/v1/memories/${item.id}/sources`)]);
    $('detail-h').textContent = `Memory #${item.id}`;
    $('detail-back').dataset.id = item.id;
    $('detail-card').replaceChildren(el('ol', { class: 'cards' }, card(item, false)));
    $('history').replaceChildren(...history.map(historyEntry));
    $('sources').replaceChildren(...sources.results.map((m) => card(m, false)));
    $('sources-note').textContent = sources.results.length ? 'The messages this memory was drawn from.' : 'No stored message is linked to this memory.';
    $('list-view').hidden = true;
    $('detail-view').hidden = false;
    $('detail-h').focus();
  }

  function historyEntry(entry) {
    const text = (label, value) => value === null ? null
      : el('div', { class: 'change ' + label }, el('span', { class: 'label', text: label }), el('span', { text: value }));
    return el('li', { class: 'event' },
      el('p', { class: 'facts' }, el('span', { class: 'badge ' + entry.event.toLowerCase(), text: entry.event }),
        when(entry.created_at), el('span', { text: 'by ' + entry.actor })),
      entry.reason ? el('p', { class: 'reason', text: entry.reason }) : null,
      text('before', entry.old_text), text('after', entry.new_text));
  }

  function closeDetail(refocus) {
    const id = $('detail-back').dataset.id;
    $('detail-view').hidden = true;
    $('list-view').hidden = false;
    if (refocus) focusIn(id, '.open');
  }

  // --- add, export, import, delete all ------------------------------------------------------

  async function addMemory() {
    let meta;
    const raw = $('add-meta').value.trim();
    if (raw) {
      try { meta = JSON.parse(raw); } catch (err) { throw new Error('Metadata is not JSON: ' + err.message); }
    }
    const body = { messages: $('add-text').value, user_id: state.user, infer: $('add-infer').checked, metadata: meta };
    const events = (await getJSON('POST', '/v1/memories', body)).results;
    const words = { ADD: 'new', UPDATE: 'updated', DELETE: 'removed', NONE: 'already known' };
    const counts = {};
    for (const e of events) counts[e.event] = (counts[e.event] || 0) + 1;
    const parts = Object.entries(counts).map(([k, n]) => `${n} ${words[k] || k}`);
    say(parts.length ? `Saved: ${parts.join(', ')}.` : 'Stored the message; it held no fact to remember.');
    $('add-text').value = '';
    $('add-meta').value = '';
    state.query = null;
    $('search-q').value = '';
    await refresh();
  }

  async function exportData() {
    const response = await api('GET', '/v1/export?' + query({ user_id: state.user }));
    const match = /filename="([^"]+)"/.exec(response.headers.get('Content-Disposition') || '');
    const url = URL.createObjectURL(await response.blob());
    const link = el('a', { href: url, download: match ? match[1] : 'localmem.jsonl' });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    say(`Exported ${state.user}'s data.`);
  }

  async function importData() {
    const file = $('import-file').files[0];
    if (!file) throw new Error('Choose a file to import first.');
    const replace = $('import-replace').checked;
    const report = await getJSON('POST', '/v1/import?' + query({ replace }), await file.text());
    say(`Imported ${count(report.memories, 'memory', 'memories')}, ${count(report.messages, 'message', 'messages')} ` +
      `and ${count(report.history, 'history entry', 'history entries')}` +
      (report.replaced ? ` (${report.replaced} replaced).` : '.'));
    $('import-form').reset();
    await refresh();
  }

  async function deleteAll() {
    if ($('delete-all-confirm').value !== state.user) {
      $('delete-all-confirm').focus();
      throw new Error(`To delete everything, type the user id “${state.user}” exactly.`);
    }
    const gone = await getJSON('DELETE', '/v1/memories?' + query({ user_id: state.user }));
    $('delete-all-form').reset();
    say(`Deleted all of ${state.user}'s data (${count(gone.deleted, 'memory', 'memories')}).`);
    state.query = null;
    await refresh();
    $('list-h').focus();
  }

  async function loadStats() {
    const s = await getJSON('GET', '/v1/stats?' + query({ user_id: state.user }));
    const rows = [['Memories', String(s.memories)],
      // null until the server can count raw messages (Memory.stats)
      ['Raw messages', String(s.messages)]];
    if (s.disk_bytes !== null) rows.push(['Disk (whole home)', bytes(s.disk_bytes)]);
    rows.push(['Language model', s.models.llm], ['Embedder', `${s.models.embedder} (${s.models.dims} dims)`]);
    $('stats').replaceChildren(...rows.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]));
  }

  function bytes(n) {
    const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
    let i = 0;
    while (n >= 1000 && i < units.length - 1) { n /= 1000; i += 1; }
    return (i ? n.toFixed(1) : String(n)) + ' ' + units[i];
  }

  // --- wiring -------------------------------------------------------------------------------

  function wire() {
    $('sign-in-form').addEventListener('submit', action(() => signIn($('api-key').value.trim())));
    $('sign-out').addEventListener('click', () => signOut(''));
    $('user-form').addEventListener('submit', action(() => showUser($('user-id').value.trim())));
    $('add-form').addEventListener('submit', action(addMemory));
    $('search-form').addEventListener('submit', action(() => runSearch($('search-q').value)));
    $('search-clear').addEventListener('click', action(async () => { state.query = null; $('search-q').value = ''; await loadList(); }));
    $('detail-back').addEventListener('click', () => closeDetail(true));
    $('export').addEventListener('click', action(exportData));
    $('import-form').addEventListener('submit', action(importData));
    $('delete-all-form').addEventListener('submit', action(deleteAll));
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && !$('detail-view').hidden) closeDetail(true);
    });
  }

  document.addEventListener('DOMContentLoaded', () => {
    wire();
    const saved = store.getItem('localmem.key');
    if (saved) action(() => signIn(saved))();
    else $('api-key').focus();
  });
})();
