// Where completion notifications go: `webhook:<https URL>` (http only to a loopback host, for tests and
// a receiver on the same machine) and `ons:<topic OCID>` (OCI Notifications). Several targets are one
// comma-separated setting; a comma inside a URL is kept, since a list item only starts at `webhook:` or `ons:`.
// Pure (no I/O, no Node built-ins), so config, the API, the workflow's request check and the activity all
// validate targets the same way.
import { z } from 'zod';

export type NotifyTarget = { kind: 'webhook'; url: string } | { kind: 'ons'; topicId: string };

export interface TargetRules {
  /** http:// to a loopback host (127.0.0.0/8, ::1, localhost). Off for targets a job submitter chose. */
  allowLoopbackHttp?: boolean;
  /** https:// to an IP literal in a private, loopback or link-local range. Off for targets a job submitter chose. */
  allowPrivateHosts?: boolean;
}

const TOPIC_OCID = /^ocid1\.onstopic\.[a-z0-9-]*\.[a-z0-9-]*\.[A-Za-z0-9._-]+$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
/** A URL's hostname is an IPv6 literal when it holds a colon (WHATWG URL keeps the brackets). */
const isIpv6 = (host: string): boolean => host.includes(':');
const bare = (hostname: string): string => hostname.replace(/^\[|\]$/g, '').toLowerCase();

export function isLoopbackHost(hostname: string): boolean {
  const host = bare(hostname);
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (IPV4.test(host)) return host.startsWith('127.');
  return host === '::1';
}

/** Loopback, RFC 1918, CGNAT, link-local (the instance metadata service lives there) and ULA addresses. */
export function isPrivateAddress(hostname: string): boolean {
  const host = bare(hostname);
  if (isLoopbackHost(host)) return true;
  if (IPV4.test(host)) {
    const [a = 0, b = 0] = host.split('.').map(Number);
    return a === 10 || a === 0 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127);
  }
  if (isIpv6(host)) return /^(fc|fd|fe[89ab])/.test(host) || host.startsWith('::ffff:') || host === '::';
  return false;
}

/** One target, or the reason it is not one. */
export function parseTarget(text: string, rules: TargetRules = {}): NotifyTarget | { problem: string } {
  const spec = text.trim();
  if (spec.startsWith('ons:')) {
    const topicId = spec.slice(4);
    return TOPIC_OCID.test(topicId) ? { kind: 'ons', topicId } : { problem: `"${spec}": ons: takes a topic OCID (ocid1.onstopic.…)` };
  }
  if (!spec.startsWith('webhook:')) return { problem: `"${spec}" is neither webhook:<https URL> nor ons:<topic OCID>` };
  let url: URL;
  try {
    url = new URL(spec.slice('webhook:'.length));
  } catch {
    return { problem: `"${spec}": not a URL after webhook:` };
  }
  if (url.username || url.password) return { problem: `"${spec}": credentials do not belong in the URL (the body is signed instead)` };
  if (url.protocol === 'http:') {
    if (!rules.allowLoopbackHttp || !isLoopbackHost(url.hostname)) return { problem: `"${spec}": webhooks are sent over https (http only to a loopback host)` };
  } else if (url.protocol !== 'https:') {
    return { problem: `"${spec}": webhooks are sent over https` };
  } else if (!rules.allowPrivateHosts && isPrivateAddress(url.hostname)) {
    return { problem: `"${spec}": a private, loopback or link-local address is not an allowed webhook host` };
  }
  return { kind: 'webhook', url: url.href };
}

/** A target or URL without its query string and fragment, which may carry a token: what logs, errors and job.json show. */
export const redactTarget = (text: string): string => text.replace(/[?#].*$/s, '');

/** Splits the setting at each comma that starts a new target. */
export function splitTargets(text: string): string[] {
  return text
    .split(/,(?=\s*(?:webhook|ons):)/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export const formatTarget = (t: NotifyTarget): string => (t.kind === 'ons' ? `ons:${t.topicId}` : `webhook:${t.url}`);

/** A zod schema for one target string (config, the API), with the rules given. */
export const targetSchema = (rules: TargetRules = {}) =>
  z.string().transform((text, ctx): NotifyTarget => {
    const parsed = parseTarget(text, rules);
    if ('problem' in parsed) {
      ctx.addIssue({ code: 'custom', message: parsed.problem });
      return z.NEVER;
    }
    return parsed;
  });

/** The OCI_TRANSCODE_NOTIFY setting: an operator's targets, so loopback http and private hosts are allowed. */
export const targetListSchema = z
  .string()
  .transform(splitTargets)
  .pipe(z.array(targetSchema({ allowLoopbackHttp: true, allowPrivateHosts: true })));
