// The Debian mirrors this machine's apt already uses (deb822 .sources files or one-line .list files), so
// the base image is made from the same archive and never names a mirror of its own.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AptSource {
  uri: string;
  suites: string[];
  components: string[];
}

export function parseDeb822(text: string): AptSource[] {
  return text
    .split(/\n\s*\n/)
    .map((stanza) => {
      const fields = new Map<string, string>();
      let last = '';
      for (const line of stanza.split('\n')) {
        if (line.startsWith('#') || !line.trim()) continue;
        if (/^\s/.test(line) && last) fields.set(last, `${fields.get(last)} ${line.trim()}`);
        else {
          const match = /^([\w-]+):\s*(.*)$/.exec(line);
          if (match) fields.set((last = match[1]!.toLowerCase()), match[2]!);
        }
      }
      if (fields.get('enabled')?.toLowerCase() === 'no' || !(fields.get('types') ?? '').split(/\s+/).includes('deb')) return [];
      const words = (name: string) => (fields.get(name) ?? '').split(/\s+/).filter(Boolean);
      return words('uris').map((uri) => ({ uri, suites: words('suites'), components: words('components') }));
    })
    .flat();
}

export function parseOneLine(text: string): AptSource[] {
  return text.split('\n').flatMap((line) => {
    const words = line.replace(/#.*/, '').replace(/\[[^\]]*\]/, '').trim().split(/\s+/);
    if (words[0] !== 'deb' || words.length < 3) return [];
    return [{ uri: words[1]!, suites: [words[2]!], components: words.slice(3) }];
  });
}

/** Every enabled binary source under an apt configuration folder. */
export function aptSources(etcApt = '/etc/apt'): AptSource[] {
  const found: AptSource[] = [];
  const list = join(etcApt, 'sources.list');
  if (existsSync(list)) found.push(...parseOneLine(readFileSync(list, 'utf8')));
  const dir = join(etcApt, 'sources.list.d');
  for (const name of existsSync(dir) ? readdirSync(dir).sort() : []) {
    const text = () => readFileSync(join(dir, name), 'utf8');
    if (name.endsWith('.sources')) found.push(...parseDeb822(text()));
    else if (name.endsWith('.list')) found.push(...parseOneLine(text()));
  }
  return found;
}

export interface SuiteMirrors {
  /** The archive for `<suite>` and `<suite>-updates`. */
  main: string;
  /** The archive for `<suite>-security`, when apt here has one. */
  security?: string;
}

export function mirrorsFor(suite: string, sources: AptSource[]): SuiteMirrors {
  const withMain = (s: AptSource) => s.components.includes('main');
  const main = sources.find((s) => withMain(s) && s.suites.includes(suite))?.uri;
  if (!main) {
    throw new Error(`no Debian ${suite} archive (component main) in /etc/apt/sources.list or /etc/apt/sources.list.d: the base image is made from the mirror apt already uses`);
  }
  const security = sources.find((s) => withMain(s) && s.suites.includes(`${suite}-security`))?.uri;
  return { main, ...(security ? { security } : {}) };
}

/** The image's own apt sources, deb822, like Debian's container images: suite, updates and security. */
export function debianSources(suite: string, mirrors: SuiteMirrors): string {
  const stanza = (uri: string, suites: string) =>
    `Types: deb\nURIs: ${uri}\nSuites: ${suites}\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`;
  return [stanza(mirrors.main, `${suite} ${suite}-updates`), ...(mirrors.security ? [stanza(mirrors.security, `${suite}-security`)] : [])].join('\n');
}
