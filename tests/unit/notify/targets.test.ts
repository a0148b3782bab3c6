// Notification targets: webhook:<https URL> and ons:<topic OCID>, several in one setting (a comma in a
// URL stays in it); http only to loopback; a job's own targets are held to public https hosts.
import { describe, expect, it } from 'vitest';
import { isPrivateAddress, parseTarget, splitTargets, targetListSchema } from '../../../src/domain/notify-targets.js';
import { loadConfig } from '../../../src/config.js';

const TOPIC = 'ocid1.onstopic.oc1.eu-frankfurt-1.aaaa1234';

describe('targets', () => {
  it('splits at the commas that start a target, not at commas inside a URL', () => {
    expect(splitTargets(`webhook:https://cms.example/hook?tags=a,b, ons:${TOPIC},webhook:https://b.example/`)).toEqual([
      'webhook:https://cms.example/hook?tags=a,b',
      `ons:${TOPIC}`,
      'webhook:https://b.example/',
    ]);
  });

  it('parses both kinds, and names the problem of anything else', () => {
    expect(parseTarget('webhook:https://cms.example/hook')).toEqual({ kind: 'webhook', url: 'https://cms.example/hook' });
    expect(parseTarget(`ons:${TOPIC}`)).toEqual({ kind: 'ons', topicId: TOPIC });
    expect(parseTarget('ons:ocid1.bucket.oc1..x')).toEqual({ problem: expect.stringMatching(/topic OCID/) as string });
    expect(parseTarget('https://cms.example/hook')).toEqual({ problem: expect.stringMatching(/neither webhook:/) as string });
    expect(parseTarget('webhook:not a url')).toEqual({ problem: expect.stringMatching(/not a URL/) as string });
    expect(parseTarget('webhook:ftp://x.example/')).toEqual({ problem: expect.stringMatching(/over https/) as string });
    expect(parseTarget('webhook:https://user:pw@x.example/')).toEqual({ problem: expect.stringMatching(/credentials/) as string });
  });

  it('allows http only to loopback, and only when the rules allow it', () => {
    expect(parseTarget('webhook:http://127.0.0.1:9000/h', { allowLoopbackHttp: true })).toEqual({ kind: 'webhook', url: 'http://127.0.0.1:9000/h' });
    expect(parseTarget('webhook:http://[::1]:9000/h', { allowLoopbackHttp: true })).toMatchObject({ kind: 'webhook' });
    expect(parseTarget('webhook:http://127.0.0.1:9000/h')).toHaveProperty('problem');
    expect(parseTarget('webhook:http://cms.example/h', { allowLoopbackHttp: true })).toHaveProperty('problem');
  });

  it('keeps a job submitter off private, loopback and link-local hosts (the metadata service among them)', () => {
    for (const host of ['169.254.169.254', '10.0.0.5', '172.20.1.1', '192.168.1.1', '127.0.0.1', '[fd00::1]', 'localhost', '100.64.0.1']) {
      expect(parseTarget(`webhook:https://${host}/h`), host).toHaveProperty('problem');
      expect(parseTarget(`webhook:https://${host}/h`, { allowPrivateHosts: true }), host).toMatchObject({ kind: 'webhook' });
    }
    expect(isPrivateAddress('8.8.8.8')).toBe(false);
    expect(isPrivateAddress('172.32.0.1')).toBe(false);
    expect(parseTarget('webhook:https://cms.example/h')).toMatchObject({ kind: 'webhook' });
  });

  it('is one setting, OCI_TRANSCODE_NOTIFY, naming itself when a target is wrong', () => {
    expect(targetListSchema.parse('')).toEqual([]);
    expect(loadConfig({ OCI_TRANSCODE_NOTIFY: `webhook:http://127.0.0.1:1/x,ons:${TOPIC}` }).notify.targets).toEqual([
      { kind: 'webhook', url: 'http://127.0.0.1:1/x' },
      { kind: 'ons', topicId: TOPIC },
    ]);
    expect(loadConfig({}).notify.targets).toBeUndefined();
    expect(() => loadConfig({ OCI_TRANSCODE_NOTIFY: 'webhook:https://ok.example/,ons:nope' })).toThrow(/OCI_TRANSCODE_NOTIFY: "ons:nope": ons: takes a topic OCID/);
    expect(() => loadConfig({ OCI_TRANSCODE_NOTIFY: 'mailto:ops@example.com' })).toThrow(/OCI_TRANSCODE_NOTIFY: .*neither webhook:/);
    expect(() => loadConfig({ OCI_TRANSCODE_WEBHOOK_SECRET: 'short' })).toThrow(/OCI_TRANSCODE_WEBHOOK_SECRET: must be at least 16 characters/);
  });
});
