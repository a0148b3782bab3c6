// Reads a static DASH MPD from disk (fast-xml-parser) and expands every Representation into the
// files it references: SegmentTemplate with SegmentTimeline or @duration, or SegmentList.
// Independent of the product's own MPD writer, so the test can catch its mistakes.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import { resolveUri } from './hls.js';

type Node = Record<string, unknown>;

export interface DashRepresentation {
  id: string;
  contentType: 'video' | 'audio' | 'other';
  mimeType: string;
  codecs: string;
  bandwidth: number;
  width?: number;
  height?: number;
  timescale: number;
  init?: string;
  /** Start and duration in `timescale` ticks; path absolute. */
  segments: { path: string; start: number; duration: number }[];
}

export interface DashStream {
  mpdPath: string;
  type: string;
  profiles: string;
  durationSec: number;
  representations: DashRepresentation[];
}

const ARRAYS = new Set(['Period', 'AdaptationSet', 'Representation', 'S', 'SegmentURL', 'BaseURL']);
const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ARRAYS.has(name) });

/** ISO 8601 duration as MPDs use it (PnDTnHnMnS) to seconds. */
export function isoDurationSec(text: string): number {
  const m = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text.trim());
  if (!m) throw new Error(`not an ISO 8601 duration: ${text}`);
  const [d, h, min, s] = m.slice(1).map((v) => Number(v ?? 0)) as [number, number, number, number];
  return d * 86400 + h * 3600 + min * 60 + s;
}

/** Expands $RepresentationID$, $Number%05d$, $Time$, $Bandwidth$ and $$ in a template. */
export function expandTemplate(template: string, v: { id: string; number?: number; time?: number; bandwidth: number }): string {
  return template.replace(/\$(RepresentationID|Number|Time|Bandwidth|)(%0(\d+)d)?\$/g, (_all, name: string, _fmt, width?: string) => {
    const value = { RepresentationID: v.id, Number: v.number, Time: v.time, Bandwidth: v.bandwidth, '': '$' }[name];
    if (value === undefined) throw new Error(`template ${template} uses $${name}$ where it has no value`);
    return width ? String(value).padStart(Number(width), '0') : String(value);
  });
}

const nodes = (value: unknown): Node[] => (Array.isArray(value) ? (value as Node[]) : []);
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const baseUrlOf = (n: Node): string => {
  const b = nodes(n.BaseURL)[0];
  return typeof b === 'string' ? b : str(b?.['#text']) ?? '';
};

export async function readMpd(mpdPath: string, streamRoot = dirname(mpdPath)): Promise<DashStream> {
  const root = resolve(streamRoot);
  const doc = parser.parse(await readFile(mpdPath, 'utf8')) as Node;
  const mpd = doc.MPD as Node | undefined;
  if (!mpd) throw new Error(`${mpdPath}: no MPD element`);
  if (str(mpd.type) !== 'static') throw new Error(`${mpdPath}: a VOD MPD must be type="static", found ${String(mpd.type)}`);
  const periods = nodes(mpd.Period);
  if (periods.length !== 1) throw new Error(`${mpdPath}: expected one Period, found ${periods.length}`);
  const period = periods[0]!;
  const durationSec = isoDurationSec(str(mpd.mediaPresentationDuration) ?? str(period.duration) ?? '');
  const representations: DashRepresentation[] = [];

  for (const set of nodes(period.AdaptationSet)) {
    for (const rep of nodes(set.Representation)) {
      const id = str(rep.id);
      if (!id) throw new Error(`${mpdPath}: Representation without id`);
      const mimeType = str(rep.mimeType) ?? str(set.mimeType) ?? '';
      const type = str(set.contentType) ?? mimeType.split('/')[0];
      const contentType = type === 'video' || type === 'audio' ? type : 'other';
      const bandwidth = Number(rep.bandwidth);
      // BaseURLs compose MPD -> Period -> AdaptationSet -> Representation, as a player resolves them.
      const base = [mpd, period, set, rep].map(baseUrlOf).reduce<URL>((acc, b) => {
        if (!b) return acc;
        resolveUri(b, mpdPath, root, acc); // throws on absolute or escaping BaseURLs
        return new URL(b, acc);
      }, pathToFileURL(mpdPath));
      const file = (uri: string): string => resolveUri(uri, mpdPath, root, base);
      // SegmentTemplate attributes inherit Period -> AdaptationSet -> Representation.
      const tpl = [period, set, rep].map((n) => n.SegmentTemplate as Node | undefined).filter((n): n is Node => Boolean(n));
      const template = Object.assign({}, ...tpl) as Node;
      const list = (rep.SegmentList ?? set.SegmentList) as Node | undefined;
      const timescale = Number(template.timescale ?? list?.timescale ?? 1);
      const segments: DashRepresentation['segments'] = [];
      let init: string | undefined;

      if (tpl.length > 0) {
        const media = str(template.media);
        if (!media) throw new Error(`${mpdPath}: Representation ${id} has a SegmentTemplate without @media`);
        const initTpl = str(template.initialization);
        if (initTpl) init = file(expandTemplate(initTpl, { id, bandwidth }));
        let number = Number(template.startNumber ?? 1);
        const timeline = [...tpl].reverse().map((n) => n.SegmentTimeline as Node | undefined).find(Boolean);
        if (timeline) {
          let t = 0;
          for (const s of nodes(timeline.S)) {
            if (s.t !== undefined) t = Number(s.t);
            const d = Number(s.d);
            const r = Number(s.r ?? 0);
            if (!(d > 0) || r < 0) throw new Error(`${mpdPath}: Representation ${id} has an S element with d=${String(s.d)} r=${String(s.r)}`);
            for (let i = 0; i <= r; i++, t += d, number++) {
              segments.push({ path: file(expandTemplate(media, { id, bandwidth, number, time: t })), start: t, duration: d });
            }
          }
        } else if (template.duration !== undefined) {
          const d = Number(template.duration);
          const count = Math.ceil((durationSec * timescale) / d - 1e-9);
          for (let i = 0; i < count; i++, number++) {
            segments.push({ path: file(expandTemplate(media, { id, bandwidth, number })), start: i * d, duration: Math.min(d, durationSec * timescale - i * d) });
          }
        } else throw new Error(`${mpdPath}: Representation ${id} has neither SegmentTimeline nor @duration`);
      } else if (list) {
        const initNode = list.Initialization as Node | undefined;
        if (initNode && str(initNode.sourceURL)) init = file(str(initNode.sourceURL)!);
        const d = Number(list.duration ?? 0);
        nodes(list.SegmentURL).forEach((u, i) => {
          const media = str(u.media);
          if (!media) throw new Error(`${mpdPath}: Representation ${id} has a SegmentURL without @media`);
          segments.push({ path: file(media), start: i * d, duration: d });
        });
      } else throw new Error(`${mpdPath}: Representation ${id} has no SegmentTemplate or SegmentList`);

      representations.push({
        id,
        contentType,
        mimeType,
        codecs: str(rep.codecs) ?? str(set.codecs) ?? '',
        bandwidth,
        width: rep.width !== undefined ? Number(rep.width) : undefined,
        height: rep.height !== undefined ? Number(rep.height) : undefined,
        timescale,
        init,
        segments,
      });
    }
  }
  if (representations.length === 0) throw new Error(`${mpdPath}: no Representation`);
  return { mpdPath, type: str(mpd.type) ?? '', profiles: str(mpd.profiles) ?? '', durationSec, representations };
}
