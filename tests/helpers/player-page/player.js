// Plays one stream and reports on window.playback (read by tests/helpers/player-page/play.ts).
// Query: engine=hls|shaka, src=<manifest URL>, target=<seconds of playback to wait for>, top=1 to
// pin the highest variant (the most demanding profile/level) instead of letting ABR choose.
/* global Hls, shaka */
(function main() {
  'use strict';
  const params = new URLSearchParams(location.search);
  const engine = params.get('engine');
  const src = params.get('src');
  const target = Number(params.get('target') || '1.5');
  const pinTop = params.get('top') === '1';
  // audio=<lang>: switch to that audio language once playing, and finish only after the switch.
  const wantAudio = params.get('audio') || '';
  // seeks=<t1,t2,…>: once the target is reached, seek to just before each time in turn and finish only
  // after playing across it (a join between chunks, say): a gap or a broken timestamp there stalls.
  const seeks = (params.get('seeks') || '').split(',').filter(Boolean).map(Number);
  const SEEK_LEAD = 0.5;
  const SEEK_PAST = 0.5;
  // text=<lang>: show that text track once playing, and finish only after one of its segments arrived.
  const wantText = params.get('text') || '';
  const video = document.getElementById('video');

  const report = {
    engine,
    src,
    done: false,
    ok: false,
    reason: '',
    version: '',
    variants: [],
    audioTracks: 0,
    /** Audio tracks as the player lists them, and the language playing when it finished. */
    audioLanguages: [],
    /** Every audio track the player offers (hls.js: of every group) with its channel count. */
    audioTrackList: [],
    audioLanguage: '',
    /** audio=<lang>: the language the player said it switched to, and audio segments it fetched after. */
    audioSwitchedTo: '',
    audioSegmentsAfterSwitch: 0,
    /** Text tracks as the player lists them: language, forced flag, kind or roles. */
    textTracks: [],
    /** text=<lang>: text segments (or whole WebVTT files) fetched for that track after choosing it. */
    textSegments: 0,
    /** Channels of the audio track playing when it finished (CHANNELS, AudioChannelConfiguration), and the folders of the audio segments fetched. */
    audioChannels: 0,
    audioFolders: [],
    codecsSupported: {},
    duration: NaN,
    currentTime: 0,
    videoWidth: 0,
    videoHeight: 0,
    errors: [],
    /** seeks=…: each time played across, with where playback was when it counted. */
    seeksDone: [],
    /** Milliseconds since navigation at each milestone, to see where startup time goes. */
    timing: {},
  };
  window.playback = report;

  const mark = (name) => {
    if (!(name in report.timing)) report.timing[name] = Math.round(performance.now());
  };
  mark('script');
  let currentAudio = () => '';
  let currentChannels = () => 0;
  const noteAudio = (url) => {
    const folder = String(url || '').split('?')[0].split('/').slice(-2, -1)[0] || '';
    if (!report.audioFolders.includes(folder)) report.audioFolders.push(folder);
  };
  const finish = (ok, reason) => {
    if (report.done) return;
    mark('done');
    report.audioLanguage = currentAudio();
    report.audioChannels = currentChannels();
    report.ok = ok;
    report.reason = reason;
    report.currentTime = video.currentTime;
    report.duration = video.duration;
    report.videoWidth = video.videoWidth;
    report.videoHeight = video.videoHeight;
    report.done = true;
  };
  const fail = (message, fatal = true) => {
    report.errors.push({ fatal, message: String(message) });
    if (fatal) finish(false, String(message));
  };
  const checkCodecs = (codecs, kind) => {
    for (const c of String(codecs || '').split(',').map((s) => s.trim()).filter(Boolean)) {
      const type = `${kind}/mp4; codecs="${c}"`;
      report.codecsSupported[c] = window.MediaSource ? MediaSource.isTypeSupported(type) : false;
    }
  };

  video.addEventListener('error', () => {
    const e = video.error;
    fail(`media element error ${e ? `${e.code} ${e.message}` : ''}`);
  });
  video.addEventListener('loadedmetadata', () => mark('loadedmetadata'));
  video.addEventListener('playing', () => mark('playing'));
  let seeking = -1; // index into seeks being played across, -1 before the first
  const nextSeek = () => {
    seeking++;
    if (seeking >= seeks.length) return finish(true, `played past ${target}s and across ${seeks.join(', ') || 'no seek point'}`);
    video.currentTime = Math.max(0, seeks[seeking] - SEEK_LEAD);
  };
  video.addEventListener('timeupdate', () => {
    report.currentTime = video.currentTime;
    if (seeking < 0) {
      if (video.currentTime >= target && (!wantAudio || report.audioSegmentsAfterSwitch > 0) && (!wantText || report.textSegments > 0)) nextSeek();
      return;
    }
    const at = seeks[seeking];
    if (!video.seeking && video.currentTime >= at + SEEK_PAST && video.currentTime < at + SEEK_PAST + 2) {
      report.seeksDone.push({ at, reached: video.currentTime });
      nextSeek();
    }
  });
  video.addEventListener('ended', () => {
    // A stream shorter than the target still proves playback if it reached its end.
    if (seeks.length > 0 && report.seeksDone.length < seeks.length) return finish(false, `ended before playing across ${seeks.slice(report.seeksDone.length).join(', ')}`);
    const missing = (wantAudio && !report.audioSegmentsAfterSwitch) ? `ended before playing ${wantAudio}` : (wantText && !report.textSegments) ? `ended before fetching text ${wantText}` : '';
    if (video.currentTime > 0) finish(!missing, missing || 'ended');
  });
  const start = () => {
    video.muted = true;
    video.play().catch((e) => fail(`play() rejected: ${e && e.message}`));
  };

  const LIBRARIES = { hls: '/lib/hls/hls.min.js', shaka: '/lib/shaka/shaka-player.compiled.js' };
  if (!src) return fail('no src parameter');
  if (!LIBRARIES[engine]) return fail(`unknown engine ${engine}`);
  // Load only the player under test: parsing both costs startup time on every page.
  const script = document.createElement('script');
  script.src = LIBRARIES[engine];
  script.onerror = () => fail(`could not load ${script.src}`);
  script.onload = () => {
    mark('library');
    if (engine === 'hls') playHls();
    else playShaka().catch((e) => fail(describeShaka(e)));
  };
  document.head.appendChild(script);

  function playHls() {
    if (typeof Hls === 'undefined' || !Hls.isSupported()) return fail('hls.js missing or MSE unsupported');
    report.version = Hls.version;
    const hls = new Hls({ enableWorker: true, capLevelToPlayerSize: false, debug: false });
    window.hls = hls;
    hls.on(Hls.Events.ERROR, (_event, data) => {
      const message = `${data.type}/${data.details}${data.reason ? `: ${data.reason}` : ''}${data.error ? `: ${data.error.message}` : ''}`;
      fail(message, Boolean(data.fatal));
    });
    hls.on(Hls.Events.MANIFEST_PARSED, (_event, data) => {
      mark('manifest');
      report.variants = data.levels.map((l) => ({
        width: l.width || 0,
        height: l.height || 0,
        bandwidth: l.bitrate,
        videoCodec: l.videoCodec || '',
        audioCodec: l.audioCodec || '',
      }));
      report.audioTracks = (data.audioTracks || []).length;
      report.audioLanguages = (data.audioTracks || []).map((t) => t.lang || '');
      report.audioTrackList = (hls.allAudioTracks || data.audioTracks || []).map((t) => ({ language: t.lang || '', channels: Number(t.channels || 0) }));
      currentAudio = () => (hls.audioTracks[hls.audioTrack] || {}).lang || '';
      currentChannels = () => Number((hls.audioTracks[hls.audioTrack] || {}).channels || 0);
      report.textTracks = (data.subtitleTracks || []).map((t) => ({ language: t.lang || '', forced: Boolean(t.forced), kind: (t.characteristics || '').includes('transcribes-spoken-dialog') ? 'caption' : 'subtitle', name: t.name || '' }));
      if (wantText) {
        const index = (data.subtitleTracks || []).findIndex((t) => t.lang === wantText);
        if (index < 0) return fail(`no text track ${wantText} in ${report.textTracks.map((t) => t.language).join(',')}`);
        video.addEventListener('playing', () => { hls.subtitleTrack = index; hls.subtitleDisplay = true; }, { once: true });
      }
      for (const l of data.levels) {
        checkCodecs(l.videoCodec, 'video');
        checkCodecs(l.audioCodec, 'audio');
      }
      if (pinTop) {
        let top = 0;
        data.levels.forEach((l, i) => {
          if ((l.height || 0) * 1e9 + l.bitrate > (data.levels[top].height || 0) * 1e9 + data.levels[top].bitrate) top = i;
        });
        hls.currentLevel = top;
      }
      start();
      if (wantAudio) {
        const index = (data.audioTracks || []).findIndex((t) => t.lang === wantAudio);
        if (index < 0) return fail(`no audio track ${wantAudio} in ${report.audioLanguages.join(',')}`);
        // Switch once playing: set earlier, the default track's selection can override it.
        video.addEventListener('playing', () => { hls.audioTrack = index; }, { once: true });
      }
    });
    hls.on(Hls.Events.AUDIO_TRACK_SWITCHED, (_event, data) => {
      report.audioSwitchedTo = (hls.audioTracks[data.id] || {}).lang || '';
    });
    hls.on(Hls.Events.FRAG_LOADED, (_event, data) => {
      if (data.frag.type === 'audio') noteAudio(data.frag.url);
      if (wantText && data.frag.type === 'subtitle' && (hls.subtitleTracks[data.frag.level] || {}).lang === wantText) report.textSegments++;
      // An audio fragment's level is its audio track: count those of the track switched to.
      if (wantAudio && data.frag.type === 'audio') {
        report.audioFragments = (report.audioFragments || []).concat(`${data.frag.level}:${data.frag.sn}`);
        if ((hls.audioTracks[data.frag.level] || {}).lang === wantAudio) report.audioSegmentsAfterSwitch++;
      }
    });
    hls.attachMedia(video);
    hls.loadSource(src);
  }

  async function playShaka() {
    if (typeof shaka === 'undefined') return fail('shaka-player missing');
    shaka.polyfill.installAll();
    if (!shaka.Player.isBrowserSupported()) return fail('shaka: browser not supported');
    report.version = shaka.Player.version;
    const player = new shaka.Player();
    window.shakaPlayer = player;
    await player.attach(video);
    player.configure({ abr: { enabled: !pinTop }, streaming: { retryParameters: { maxAttempts: 1 } } });
    player.addEventListener('error', (event) => {
      const e = event.detail;
      fail(describeShaka(e), !e || e.severity === shaka.util.Error.Severity.CRITICAL);
    });
    await player.load(src);
    mark('manifest');
    const tracks = player.getVariantTracks();
    report.variants = tracks.map((t) => ({
      width: t.width || 0,
      height: t.height || 0,
      bandwidth: t.bandwidth,
      videoCodec: t.videoCodec || '',
      audioCodec: t.audioCodec || '',
    }));
    report.audioTracks = new Set(tracks.filter((t) => t.audioCodec).map((t) => t.audioId)).size;
    // Shaka normalises languages (fra -> fr); the manifest's own code is originalLanguage.
    const lang = (t) => (t && (t.originalLanguage || t.language)) || '';
    report.audioLanguages = player.getAudioTracks().map(lang);
    report.audioTrackList = player.getAudioTracks().map((t) => ({ language: lang(t), channels: t.channelsCount || 0 }));
    currentAudio = () => lang(player.getAudioTracks().find((t) => t.active));
    currentChannels = () => (player.getVariantTracks().find((t) => t.active) || {}).channelsCount || 0;
    player.getNetworkingEngine().registerResponseFilter((type, response, context) => {
      const stream = context && context.stream;
      if (type === shaka.net.NetworkingEngine.RequestType.SEGMENT && stream && stream.type === 'audio') noteAudio(response.uri);
    });
    report.textTracks = player.getTextTracks().map((t) => ({ language: lang(t), forced: Boolean(t.forced), kind: (t.roles || []).join(' ') || t.kind || '', name: t.label || '' }));
    if (wantText) {
      // A single-file WebVTT track is one SEGMENT request (of the text stream).
      player.getNetworkingEngine().registerResponseFilter((type, _response, context) => {
        const stream = context && context.stream;
        if (type === shaka.net.NetworkingEngine.RequestType.SEGMENT && stream && stream.type === 'text' && lang(stream) === wantText) report.textSegments++;
      });
    }
    if (wantAudio) {
      // Count audio segments fetched for the track switched to (the request context names its stream).
      player.getNetworkingEngine().registerResponseFilter((type, _response, context) => {
        const stream = context && context.stream;
        if (type === shaka.net.NetworkingEngine.RequestType.SEGMENT && stream && stream.type === 'audio' && lang(stream) === wantAudio) report.audioSegmentsAfterSwitch++;
      });
    }
    for (const t of tracks) {
      checkCodecs(t.videoCodec, 'video');
      checkCodecs(t.audioCodec, 'audio');
    }
    if (pinTop && tracks.length > 0) {
      const top = tracks.reduce((a, b) => ((b.height || 0) * 1e9 + b.bandwidth > (a.height || 0) * 1e9 + a.bandwidth ? b : a));
      player.selectVariantTrack(top, true);
    }
    start();
    if (wantAudio) {
      if (!report.audioLanguages.includes(wantAudio)) return fail(`no audio track ${wantAudio} in ${report.audioLanguages.join(',')}`);
      player.selectAudioTrack(player.getAudioTracks().find((t) => lang(t) === wantAudio));
      report.audioSwitchedTo = currentAudio();
    }
    if (wantText) {
      const text = player.getTextTracks().find((t) => lang(t) === wantText);
      if (!text) return fail(`no text track ${wantText} in ${report.textTracks.map((t) => t.language).join(',')}`);
      // Shaka 5: choosing a text track shows it and streams it (4.x also needed setTextTrackVisibility).
      player.selectTextTrack(text);
      if (typeof player.setTextTrackVisibility === 'function') await player.setTextTrackVisibility(true);
    }
  }

  function describeShaka(e) {
    if (!e) return 'shaka: unknown error';
    if (e.code !== undefined) return `shaka error ${e.code} (category ${e.category}) ${JSON.stringify(e.data || []).slice(0, 300)}`;
    return `shaka: ${e.message || e}`;
  }
})();
