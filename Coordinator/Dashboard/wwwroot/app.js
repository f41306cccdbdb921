// The Coordinator's live page (issue 13). Everything it shows arrives on one Server-Sent Events
// stream, GET /events: "backlog" (the last events), "snapshot" (layers, nodes, totals) and "lock"
// (one event). The page never polls for data. Every key and node name is written as text
// (textContent / append of strings), never as markup.
'use strict';

(() => {
  const MAX_EVENTS = 300; // the Coordinator keeps as many; the page never holds more
  const RETRY_MS = 3000;

  let events = [];
  let snapshot = null;
  let snapshotAt = 0;
  let source = null;

  const byId = (id) => document.getElementById(id);

  /** An element with attributes and children; string children become text nodes. */
  function el(tag, attributes, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === 'class') element.className = value;
      else element.setAttribute(name, String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      element.append(child instanceof Node ? child : String(child));
    }
    return element;
  }

  function duration(ms) {
    if (ms === null || ms === undefined) return '';
    if (ms < 1000) return `${Math.round(ms)} ms`;
    const s = ms / 1000;
    if (s < 60) return `${s.toFixed(1)} s`;
    const m = Math.floor(s / 60);
    if (m < 60) return `${m}m ${Math.floor(s % 60)}s`;
    return `${Math.floor(m / 60)}h ${m % 60}m`;
  }

  function bytes(n) {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let value = n;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
    return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
  }

  function clock(iso) {
    const d = new Date(iso);
    const pad = (n, w = 2) => String(n).padStart(w, '0');
    return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  }

  /**
   * A key or node name as text in its own bidi-isolated element, with characters that would hide
   * or disguise it (format characters such as U+200B or U+202E, unusual spaces) shown as
   * ⟨U+XXXX⟩, and quoted when it begins or ends with a space.
   */
  function name(text) {
    const shown = text.replace(/[\p{Cf}\p{Zl}\p{Zp}\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]/gu,
      (c) => `⟨U+${c.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}⟩`);
    return el('bdi', { class: 'name' }, shown.trim() === shown && shown !== '' ? shown : `“${shown}”`);
  }

  function setStatus(state, text) {
    const status = byId('status');
    status.dataset.state = state;
    status.textContent = text;
  }

  // ---- snapshot: layers, nodes, totals ----

  /** A duration that keeps counting from the snapshot it came in (see tick()). */
  function live(ms, cls) {
    return el('span', { class: cls, 'data-ms': ms, 'data-at': snapshotAt }, duration(ms));
  }

  /** Whether the reader has text selected in this table: re-rendering it would drop the selection. */
  function selecting(table) {
    const selection = document.getSelection();
    return selection !== null && !selection.isCollapsed && selection.rangeCount > 0
      && table.contains(selection.getRangeAt(0).commonAncestorContainer);
  }

  /** Tables left as they are while text in them is selected; drawn from the newest snapshot once it is not. */
  const held = { layers: false, nodes: false };

  function renderTable(id, render) {
    const table = byId(id);
    held[id] = selecting(table);
    if (held[id]) {
      byId(`${id}-count`).textContent = '(paused while text is selected)';
    } else {
      render(snapshot);
    }
  }

  function renderLayers(s) {
    const rows = s.layers.map((l) => el('tr', { 'data-key': l.key },
      el('td', { class: 'key' }, name(l.key)),
      el('td', { class: 'holder' }, l.holder === null ? '—' : name(l.holder)),
      el('td', { class: 'token' }, l.token ?? ''),
      el('td', { class: 'held' }, l.held_ms === null ? '' : live(l.held_ms, 'ms')),
      el('td', { class: 'waiters' }, l.waiters.length === 0 ? '' : el('ol', null,
        ...l.waiters.map((w) => el('li', { 'data-node': w.node }, name(w.node), ' ', live(w.wait_ms, 'wait')))),
        l.waiters_total > l.waiters.length ? el('span', { class: 'more' }, `and ${l.waiters_total - l.waiters.length} more`) : null),
      el('td', { class: 'fetching' }, l.fetching.length === 0 ? '' : el('ul', null,
        ...l.fetching.map((f) => el('li', { 'data-node': f.node, 'data-source': f.source }, name(f.node), ' ← ', name(f.source), ' ', live(f.ms, 'ms')))))));
    byId('layers').tBodies[0].replaceChildren(...rows);
    byId('layers-empty').hidden = rows.length > 0;
    byId('layers-count').textContent = s.layers_total > s.layers.length
      ? `(${s.layers.length} of ${s.layers_total} shown)` : `(${s.layers_total})`;
  }

  function renderNodes(s) {
    const rows = s.nodes.map((n) => el('tr', { 'data-node': n.node },
      el('td', { class: 'node' }, name(n.node)),
      el('td', { class: 'address' }, n.address),
      el('td', { class: 'connected' }, `since ${clock(n.connected_since)} (`, live(n.connected_ms, 'ms'), ')'),
      el('td', { class: 'locks' }, n.locks_held),
      el('td', { class: 'layers' }, n.layers),
      el('td', { class: 'uploads' }, n.uploads)));
    byId('nodes').tBodies[0].replaceChildren(...rows);
    byId('nodes-empty').hidden = rows.length > 0;
    byId('nodes-count').textContent = s.nodes_total > s.nodes.length
      ? `(${s.nodes.length} of ${s.nodes_total} shown)` : `(${s.nodes_total})`;
  }

  function renderTotals(s) {
    const t = s.totals;
    byId('t-grants').textContent = t.grants;
    byId('t-rate').textContent = `${t.grants_per_second}/s over 10 s`;
    byId('t-handoff').textContent = t.handoff_ms_last === null ? '–' : `${t.handoff_ms_last} ms`;
    byId('t-handoff-p').textContent = t.handoff_ms_p50 === null ? '' : `p50 ${t.handoff_ms_p50} ms, p99 ${t.handoff_ms_p99} ms (last 100)`;
    byId('t-failovers').textContent = t.failovers;
    byId('t-queue').textContent = `${t.holders} / ${t.waiting}`;
    byId('t-upstream').textContent = bytes(t.upstream_bytes);
    byId('t-peer').textContent = bytes(t.peer_bytes);
    byId('t-transfers').textContent = `${t.peer_transfers} transfers now`;
    byId('logout').hidden = !s.auth;
  }

  function onSnapshot(s) {
    snapshot = s;
    snapshotAt = performance.now();
    renderTotals(s);
    renderTable('layers', renderLayers);
    renderTable('nodes', renderNodes);
  }

  /** Advances the durations shown since their snapshot (local clock only; nothing is fetched). */
  function tick() {
    const now = performance.now();
    for (const id of ['layers', 'nodes']) {
      if (held[id]) continue; // rewriting text under a selection would move it
      for (const span of byId(id).querySelectorAll('span[data-ms]')) {
        span.textContent = duration(Number(span.dataset.ms) + now - Number(span.dataset.at));
      }
    }
  }

  // ---- events ----

  function matches(e) {
    const node = byId('filter-node').value.trim();
    const layer = byId('filter-layer').value.trim();
    return (!node || e.node.includes(node) || (e.next ?? '').includes(node)) && (!layer || e.key.includes(layer));
  }

  function eventRow(e) {
    return el('li', { class: e.warning ? 'warning' : null, 'data-name': e.name, 'data-key': e.key, 'data-node': e.node },
      el('span', { class: 'ev-time' }, clock(e.at)),
      el('span', { class: 'ev-name' }, e.name),
      e.key ? el('span', { class: 'ev-key' }, name(e.key)) : null,
      e.node ? el('span', { class: 'ev-node' }, name(e.node)) : null,
      e.token !== null ? el('span', { class: 'ev-token' }, `token ${e.token}`) : null,
      el('span', { class: 'ev-detail' }, e.detail + (e.next ? `; next ${e.next}` : '')));
  }

  function renderEvents() {
    const shown = events.filter(matches).reverse();
    byId('events').replaceChildren(...shown.map(eventRow));
    byId('events-count').textContent = `${shown.length} of the last ${events.length}`;
  }

  function onEvent(e) {
    events.push(e);
    if (events.length > MAX_EVENTS) events.splice(0, events.length - MAX_EVENTS);
    const list = byId('events');
    if (matches(e)) list.prepend(eventRow(e));
    while (list.childElementCount > MAX_EVENTS) list.lastElementChild.remove();
    byId('events-count').textContent = `${list.childElementCount} of the last ${events.length}`;
  }

  // ---- the stream ----

  function connect() {
    source = new EventSource('/events');
    source.addEventListener('open', () => setStatus('live', 'live'));
    source.addEventListener('backlog', (m) => { events = JSON.parse(m.data).slice(-MAX_EVENTS); renderEvents(); });
    source.addEventListener('snapshot', (m) => onSnapshot(JSON.parse(m.data)));
    source.addEventListener('lock', (m) => onEvent(JSON.parse(m.data)));
    source.addEventListener('error', () => {
      if (source.readyState === EventSource.CLOSED) {
        // Refused (signed out, too many pages) or gone: find out which, then start again.
        source.close();
        setStatus('disconnected', 'disconnected; retrying');
        setTimeout(recover, 0);
      } else {
        setStatus('reconnecting', 'reconnecting…');
      }
    });
  }

  /** After the stream was refused or lost: find out why, say it, and start again when it is open. */
  async function recover() {
    const probe = new AbortController();
    try {
      const answer = await fetch('/events', { cache: 'no-store', signal: probe.signal });
      if (answer.status === 401) { window.location.assign('/login'); return; }
      if (answer.ok) { probe.abort(); connect(); return; }
      const body = await answer.json().catch(() => null);
      setStatus('disconnected', `refused (${body && body.error ? body.error : answer.status}); retrying`);
    } catch (_) {
      setStatus('disconnected', 'the Coordinator is not answering; retrying');
    }
    setTimeout(recover, RETRY_MS);
  }

  document.addEventListener('DOMContentLoaded', () => {
    byId('filter-node').addEventListener('input', renderEvents);
    byId('filter-layer').addEventListener('input', renderEvents);
    document.addEventListener('selectionchange', () => {
      for (const [id, render] of [['layers', renderLayers], ['nodes', renderNodes]]) {
        if (held[id] && snapshot) renderTable(id, render);
      }
    });
    setInterval(tick, 1000);
    connect();
  });
})();
