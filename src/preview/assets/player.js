// The preview page's player (plain browser JS, loaded before app.js): shaka-player for HLS and DASH, a
// timeline of our own whose hover shows the storyboard tile of that time (storyboard.vtt's #xywh cues over
// the sprite image), and the audio and text tracks the player found. Behind the job API every shaka
// request carries the key (a request filter) and images are fetched with it (getBlobUrl).
/* global shaka */
'use strict';
window.createPreviewPlayer = function createPreviewPlayer({ getKey, getBlobUrl }) {
  const $ = (id) => document.getElementById(id);
  const text = (el, value) => {
    el.textContent = value === undefined || value === null ? '' : String(value);
    return el;
  };
  const clock = (sec) => {
    if (!Number.isFinite(sec)) return '0:00';
    const s = Math.max(0, Math.floor(sec));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  };
  const authHeaders = () => (getKey() ? { authorization: `Bearer ${getKey()}` } : {});
  /** shaka's Player once made, the storyboard's cues, and the run's duration before the media says it. */
  const current = { instance: undefined, cues: [], duration: 0 };

  function renderTracks() {
    const list = $('tracks');
    list.replaceChildren();
    const player = current.instance;
    if (!player) return;
    const item = (value) => list.appendChild(text(document.createElement('li'), value));
    const audio = player.getAudioTracks();
    const textTracks = player.getTextTracks();
    // Only what the manifest says: HLS, for one, carries no sampling rate.
    const described = (kind, parts) => item(`${kind}: ${parts.filter(Boolean).join(', ')}`);
    for (const a of audio) described('audio', [`${a.language || 'und'}${a.label ? ` "${a.label}"` : ''}`, a.channelsCount && `${a.channelsCount} ch`, a.audioSamplingRate && `${a.audioSamplingRate} Hz`, a.codecs, a.active && 'playing']);
    for (const t of textTracks) described('text', [t.language || 'und', t.label && `"${t.label}"`, t.kind, t.mimeType]);
    if (audio.length === 0) item('audio: none');
    if (textTracks.length === 0) item('text: none');
    list.dataset.audio = String(audio.length);
    list.dataset.text = String(textTracks.length);
  }

  /** WebVTT cues of the storyboard: start, end, and the tile (#xywh) in the sprite image. */
  function parseStoryboard(vtt) {
    const seconds = (t) => t.split(':').reduce((acc, part) => acc * 60 + Number(part), 0);
    const cues = [];
    const lines = vtt.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const m = /^([\d:.]+)\s+-->\s+([\d:.]+)/.exec(lines[i]);
      const ref = m && lines[i + 1] ? /#xywh=(\d+),(\d+),(\d+),(\d+)/.exec(lines[i + 1]) : null;
      if (m && ref) cues.push({ start: seconds(m[1]), end: seconds(m[2]), x: +ref[1], y: +ref[2], w: +ref[3], h: +ref[4] });
    }
    return cues;
  }

  async function loadStoryboard(storyboard) {
    current.cues = [];
    const tile = $('storyboard-tile');
    tile.hidden = true;
    if (!storyboard) return;
    const res = await fetch(storyboard.vtt, { headers: authHeaders() });
    if (!res.ok) return;
    current.cues = parseStoryboard(await res.text());
    tile.style.backgroundImage = `url("${await getBlobUrl(storyboard.image)}")`;
    window.preview.storyboardCues = current.cues.length;
  }

  function onTimelineHover(event) {
    const timeline = $('timeline');
    const tile = $('storyboard-tile');
    const rect = timeline.getBoundingClientRect();
    const fraction = Math.max(0, Math.min(1, (event.clientX - rect.left) / rect.width));
    const duration = Number.isFinite($('video').duration) ? $('video').duration : current.duration;
    const time = fraction * duration;
    const cue = current.cues.find((c) => time >= c.start && time < c.end) || current.cues[current.cues.length - 1];
    if (!cue) return;
    tile.style.width = `${cue.w}px`;
    tile.style.height = `${cue.h}px`;
    tile.style.backgroundPosition = `${-cue.x}px ${-cue.y}px`;
    tile.style.left = `${fraction * 100}%`;
    tile.dataset.xywh = `${cue.x},${cue.y},${cue.w},${cue.h}`;
    tile.dataset.time = time.toFixed(2);
    tile.dataset.label = clock(time);
    tile.hidden = false;
  }

  async function ensurePlayer() {
    if (current.instance) return current.instance;
    shaka.polyfill.installAll();
    if (!shaka.Player.isBrowserSupported()) throw new Error('this browser cannot play MSE streams');
    const player = new shaka.Player();
    await player.attach($('video'));
    player.getNetworkingEngine().registerRequestFilter((_type, request) => {
      if (getKey()) request.headers.Authorization = `Bearer ${getKey()}`;
    });
    player.addEventListener('error', (event) => {
      window.preview.error = `shaka error ${event.detail && event.detail.code}`;
      text($('engine-state'), window.preview.error);
    });
    player.addEventListener('trackschanged', renderTracks);
    current.instance = player;
    return player;
  }

  async function play(format, url) {
    for (const b of document.querySelectorAll('.engines button')) b.classList.toggle('active', b.dataset.format === format);
    text($('engine-state'), `loading ${format.toUpperCase()}…`);
    window.preview.loaded = '';
    try {
      const player = await ensurePlayer();
      const at = $('video').currentTime || 0;
      await player.load(new URL(url, location.href).href, at);
      window.preview.loaded = url;
      window.preview.format = format;
      text($('engine-state'), `${format.toUpperCase()} · shaka-player ${shaka.Player.version}`);
      renderTracks();
      await $('video').play().catch(() => undefined);
    } catch (e) {
      window.preview.error = e && e.code ? `shaka error ${e.code}` : String(e && e.message);
      text($('engine-state'), window.preview.error);
    }
  }

  function wirePlayer(media) {
    const video = $('video');
    const hls = $('play-hls');
    const dash = $('play-dash');
    hls.hidden = !media.hls;
    dash.hidden = !media.dash;
    hls.onclick = () => play('hls', media.hls);
    dash.onclick = () => play('dash', media.dash);
    $('toggle').onclick = () => (video.paused ? video.play() : video.pause());
    video.onplay = () => text($('toggle'), '❚❚');
    video.onpause = () => text($('toggle'), '▶');
    video.ontimeupdate = () => {
      const d = Number.isFinite(video.duration) ? video.duration : current.duration;
      $('played').style.width = `${d ? (100 * video.currentTime) / d : 0}%`;
      text($('clock'), `${clock(video.currentTime)} / ${clock(d)}`);
    };
    const timeline = $('timeline');
    timeline.onmousemove = onTimelineHover;
    timeline.onmouseleave = () => ($('storyboard-tile').hidden = true);
    timeline.onclick = (event) => {
      const rect = timeline.getBoundingClientRect();
      const d = Number.isFinite(video.duration) ? video.duration : current.duration;
      if (d) video.currentTime = ((event.clientX - rect.left) / rect.width) * d;
    };
  }

  return {
    /** Wires the controls, loads the storyboard and plays the first stream there is. */
    async show(media, durationSec) {
      current.duration = durationSec || 0;
      wirePlayer(media);
      await loadStoryboard(media.storyboard);
      await play(media.hls ? 'hls' : 'dash', media.hls || media.dash);
    },
    pause() {
      if (current.instance && !$('video').paused) $('video').pause();
    },
  };
};
