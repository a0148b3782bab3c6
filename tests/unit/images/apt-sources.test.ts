// The base image is made from the Debian archive apt already uses here, read from either apt format.
import { describe, expect, it } from 'vitest';
import { debianSources, mirrorsFor, parseDeb822, parseOneLine } from '../../../scripts/images/apt-sources.js';

const deb822 = `Types: deb
# a comment
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb deb-src
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main

Types: deb
Enabled: no
URIs: http://disabled.example/debian
Suites: bookworm
Components: main
`;

describe('apt sources', () => {
  it('reads deb822 stanzas, skipping disabled ones', () => {
    expect(parseDeb822(deb822)).toEqual([
      { uri: 'http://mirror.example/debian', suites: ['bookworm', 'bookworm-updates'], components: ['main', 'contrib'] },
      { uri: 'http://mirror.example/debian-security', suites: ['bookworm-security'], components: ['main'] },
    ]);
  });

  it('reads one-line sources with options, skipping deb-src and comments', () => {
    const text = '# deb http://old.example/debian bookworm main\ndeb [arch=amd64 signed-by=/k.gpg] http://one.example/debian bookworm main\ndeb-src http://one.example/debian bookworm main\n';
    expect(parseOneLine(text)).toEqual([{ uri: 'http://one.example/debian', suites: ['bookworm'], components: ['main'] }]);
  });

  it('picks the suite and security archives, and names the problem when there is no archive for the suite', () => {
    const mirrors = mirrorsFor('bookworm', parseDeb822(deb822));
    expect(mirrors).toEqual({ main: 'http://mirror.example/debian', security: 'http://mirror.example/debian-security' });
    expect(() => mirrorsFor('trixie', parseDeb822(deb822))).toThrow(/no Debian trixie archive/);
    expect(debianSources('bookworm', mirrors)).toContain('URIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\n');
    expect(debianSources('bookworm', { main: 'http://m/debian' })).not.toContain('security');
  });
});
