// The preview page's script (plain browser JS, no build step; the player is player.js). Data comes from data/ beside the page,
// media from media/; behind the job API every request carries the API key (fetches, shaka's requests
// through a request filter, and images loaded as blobs), entered once and kept for the browser session
// (or given in the URL fragment: #key=otk_…, which never reaches a server).
(function main() {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const KEY_STORE = 'oci-transcode-preview-key';
  const state = { config: { requiresKey: false }, key: sessionStorage.getItem(KEY_STORE) || '', listTimer: undefined, runTimer: undefined, blobs: [], shown: '' };
  /** For tests and the curious: what the page did. */
  window.preview = { loaded: '', format: '', error: '', storyboardCues: 0 };

  const authHeaders = () => (state.key ? { authorization: `Bearer ${state.key}` } : {});

  async function getJson(url) {
    const res = await fetch(url, { headers: authHeaders() });
    if (res.status === 401) {
      showLogin('the key was refused');
      throw new Error('unauthorized');
    }
    if (!res.ok) throw new Error(`${url}: ${res.status}`);
    return res.json();
  }

  /** An image or text behind the key: fetched with it. Images become object URLs. */
  async function getBlobUrl(url) {
    const res = await fetch(url, { headers: authHeaders() });
    if (!res.ok) throw new Error(`${url}: ${res.status}`);
    const blob = URL.createObjectURL(await res.blob());
    state.blobs.push(blob);
    return blob;
  }

  const player = window.createPreviewPlayer({ getKey: () => state.key, getBlobUrl });

  const text = (el, value) => {
    el.textContent = value === undefined || value === null ? '' : String(value);
    return el;
  };
  const cell = (row, value, cls) => {
    const td = document.createElement('td');
    if (cls) td.className = cls;
    text(td, value);
    row.appendChild(td);
    return td;
  };
  const kbps = (bps) => (typeof bps === 'number' ? `${Math.round(bps / 1000)} kb/s` : '');
  const bar = (percent) => {
    const span = document.createElement('span');
    span.className = 'bar';
    const fill = document.createElement('i');
    fill.style.width = `${Math.max(0, Math.min(100, percent || 0))}%`;
    span.appendChild(fill);
    return span;
  };

  function show(view) {
    for (const id of ['login', 'runs-view', 'run-view']) $(id).hidden = id !== view;
  }

  function showLogin(reason) {
    clearTimers();
    show('login');
    text($('login-error'), reason || '');
  }

  function clearTimers() {
    clearInterval(state.listTimer);
    clearTimeout(state.runTimer);
  }

  // ---- the list -------------------------------------------------------------------------------------

  async function renderList() {
    const { runs } = await getJson('data/runs?limit=30');
    const body = $('runs').querySelector('tbody');
    body.replaceChildren();
    for (const run of runs) {
      const row = document.createElement('tr');
      row.dataset.id = run.id;
      const link = document.createElement('a');
      link.href = `#/runs/${run.id}`;
      text(link, run.source || run.workflowId);
      cell(row, '').appendChild(link);
      cell(row, run.stage || '', `stage-${run.stage || ''}`);
      const progress = cell(row, '');
      progress.appendChild(bar(run.status === 'COMPLETED' ? 100 : run.percent));
      progress.append(` ${run.status === 'COMPLETED' ? 100 : Math.round(run.percent || 0)}%`);
      cell(row, run.status);
      cell(row, new Date(run.startedAt).toLocaleString());
      body.appendChild(row);
    }
    $('runs-empty').hidden = runs.length > 0;
  }

  function listView() {
    show('runs-view');
    const tick = () => renderList().catch((e) => e.message !== 'unauthorized' && console.error(e));
    void tick();
    state.listTimer = setInterval(tick, 2000);
  }

  // ---- one run --------------------------------------------------------------------------------------

  function renderFacts(detail) {
    const facts = $('facts');
    facts.replaceChildren();
    const r = detail.record || {};
    const plan = r.plan || {};
    const rows = [
      ['Outcome', r.outcome],
      ['Error', r.error || detail.run.error],
      ['Source', r.source ? `${r.source.bucket}/${r.source.object}` : detail.run.source],
      ['eTag', r.source ? r.source.etag : detail.run.etag],
      ['Size', r.source && r.source.sizeBytes !== undefined ? `${r.source.sizeBytes} bytes` : undefined],
      ['Preset', plan.preset],
      ['Formats', plan.formats && plan.formats.join(', ')],
      ['Segment format', plan.segmentFormat],
      ['Duration', plan.durationSec !== undefined ? `${plan.durationSec} s` : undefined],
      ['Version', plan.version],
      ['Jobs', plan.jobs && plan.jobs.map((j) => `${j.id} (${j.attempts} attempt${j.attempts === 1 ? '' : 's'})`).join(', ')],
      ['Started', r.timings && r.timings.startedAt],
      ['Finished', r.timings && r.timings.finishedAt],
      ['Total', r.timings && `${r.timings.totalSec} s`],
      ['Stages', r.timings && Object.entries(r.timings.stages || {}).map(([k, v]) => `${k} ${Number(v).toFixed(1)} s`).join(', ')],
      ['Workflow', `${detail.run.workflowId} / ${detail.run.runId}`],
      ['Outputs', detail.dest && `${detail.dest.bucket}/${detail.dest.streamPrefix || ''}`],
    ];
    for (const [label, value] of rows) {
      if (value === undefined || value === null || value === '') continue;
      const dt = document.createElement('dt');
      const dd = document.createElement('dd');
      text(dt, label);
      text(dd, value);
      dd.dataset.fact = label;
      facts.append(dt, dd);
    }
    text($('record'), detail.record ? JSON.stringify(detail.record, null, 2) : 'no job.json yet');
  }

  function renderRenditions(record) {
    const body = $('renditions').querySelector('tbody');
    body.replaceChildren();
    for (const r of (record && record.renditions) || []) {
      const row = document.createElement('tr');
      row.dataset.id = r.id;
      cell(row, r.id);
      cell(row, r.kind);
      cell(row, r.width && r.height ? `${r.width}x${r.height}` : '');
      cell(row, r.codecs);
      cell(row, kbps(r.averageBitrate), 'num');
      cell(row, kbps(r.peakBitrate), 'num');
      cell(row, r.segments, 'num');
      body.appendChild(row);
    }
  }

  /** Renders one run; `again` (a running run looked at again) keeps the poster and a stream already playing. */
  async function renderRun(id, again) {
    const detail = await getJson(`data/runs/${encodeURIComponent(id)}`);
    const { run } = detail;
    text($('run-title'), run.source || run.workflowId);
    text($('run-status'), `${run.status} · stage ${run.stage || '?'}${run.status === 'RUNNING' ? ` · ${Math.round(run.percent || 0)}%` : ''}`);
    $('run-status').className = `stage-${run.stage || ''}`;
    const links = $('run-links');
    links.replaceChildren();
    if (run.webUiUrl) {
      const a = document.createElement('a');
      a.id = 'web-ui-link';
      a.href = run.webUiUrl;
      a.target = '_blank';
      a.rel = 'noopener';
      text(a, 'this run in the Temporal Web UI');
      links.appendChild(a);
    }
    const note = $('run-note');
    note.hidden = !detail.record || detail.recordOfThisRun;
    text(note, 'job.json belongs to another run of this source (the last one to finish); its facts are shown.');
    renderFacts(detail);
    renderRenditions(detail.record);
    const media = detail.media || {};
    const poster = media.poster || media.thumbnail;
    $('no-poster').hidden = Boolean(poster);
    $('poster').hidden = !poster;
    const streams = `${media.hls || ''} ${media.dash || ''}`;
    if (again && state.shown === `${id} ${poster || ''} ${streams}`) {
      if (run.status === 'RUNNING') state.runTimer = setTimeout(() => void renderRun(id, true).catch(() => undefined), 2000);
      return;
    }
    state.shown = `${id} ${poster || ''} ${streams}`;
    if (poster) {
      const url = await getBlobUrl(poster);
      $('poster').src = url;
      $('video').poster = url;
    }
    $('player-area').hidden = !(media.hls || media.dash);
    if (media.hls || media.dash) await player.show(media, detail.record && detail.record.plan && detail.record.plan.durationSec);
    // A running run is looked at again until it ends.
    if (run.status === 'RUNNING') state.runTimer = setTimeout(() => void renderRun(id, true).catch(() => undefined), 2000);
  }

  function runView(id) {
    show('run-view');
    state.shown = '';
    renderRun(id, false).catch((e) => {
      if (e.message === 'unauthorized') return;
      window.preview.error = String(e.message);
      text($('run-status'), `could not load the run: ${e.message}`);
    });
  }

  // ---- routing --------------------------------------------------------------------------------------

  function route() {
    clearTimers();
    for (const b of state.blobs.splice(0)) URL.revokeObjectURL(b);
    const hash = location.hash.replace(/^#/, '');
    const key = /(?:^|&)key=([^&]+)/.exec(hash);
    if (key) {
      state.key = decodeURIComponent(key[1]);
      sessionStorage.setItem(KEY_STORE, state.key);
      history.replaceState(null, '', '#/');
      return route();
    }
    if (state.config.requiresKey && !state.key) return showLogin('');
    const run = /^\/runs\/(.+)$/.exec(hash);
    if (run) return runView(run[1]);
    player.pause();
    return listView();
  }

  $('login-form').onsubmit = (event) => {
    event.preventDefault();
    state.key = $('key').value.trim();
    sessionStorage.setItem(KEY_STORE, state.key);
    route();
  };

  window.addEventListener('hashchange', route);
  fetch('data/config')
    .then((res) => res.json())
    .then((config) => {
      state.config = config;
      text($('who'), config.requiresKey ? 'job API' : 'local stack');
      route();
    })
    .catch((e) => text($('who'), `cannot reach the server: ${e.message}`));
})();
