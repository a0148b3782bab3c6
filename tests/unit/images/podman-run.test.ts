// How the stand-in starts a real container (tests/oci-stand-in/containers.ts): as Container Instances
// does, only the container's arguments and environment are given, so the image's own entrypoint, user
// and working directory apply; values (resource principal keys among them) never appear on a command line.
import { describe, expect, it } from 'vitest';
import { RUN_FLAGS } from '../../../scripts/images/engine.js';
import { PODMAN_LABEL, podmanRun, type PodmanImage } from '../../oci-stand-in/containers.js';

const image: PodmanImage = { engine: '/usr/bin/podman', image: 'localhost/oci-transcode:test', flags: [...RUN_FLAGS, '--network', 'host'] };
const pem = '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n';

describe('podmanRun', () => {
  it("passes the arguments after the image, and neither a user nor an entrypoint of its own", () => {
    const { argv } = podmanRun(image, 'transcoder-1', { args: ['transcode', '--source', 'oci://ns/b/o'], env: {} });
    expect(argv.slice(-4)).toEqual(['localhost/oci-transcode:test', 'transcode', '--source', 'oci://ns/b/o']);
    expect(argv.slice(0, 6)).toEqual(['run', '--rm', '--name', 'transcoder-1', '--label', PODMAN_LABEL]);
    for (const flag of ['--user', '-u', '--entrypoint', '--workdir', '-w', '--volume', '-v']) expect(argv).not.toContain(flag);
    expect(argv).toContain('--pull=never');
  });

  it("replaces the image's entrypoint only with the container's own command", () => {
    const { argv } = podmanRun(image, 'c', { command: ['/bin/sh', '-c'], args: ['echo hi'], env: {} });
    expect(argv[argv.indexOf('--entrypoint') + 1]).toBe('["/bin/sh","-c"]');
  });

  it("hands variables over by name through podman's environment, so secrets stay off the command line", () => {
    const { argv, env } = podmanRun(image, 'c', { args: [], env: { OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM: pem, OCI_TRANSCODE_NAMESPACE: 'ns' } });
    expect(argv).toEqual(expect.arrayContaining(['--env', 'OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM', '--env', 'OCI_TRANSCODE_NAMESPACE']));
    expect(argv.join(' ')).not.toContain('PRIVATE KEY');
    expect(env).toMatchObject({ OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM: pem, OCI_TRANSCODE_NAMESPACE: 'ns' });
  });

  it("gives variables podman reads itself (PATH, HOME, TMPDIR) on the command line, keeping podman's own", () => {
    const { argv, env } = podmanRun(image, 'c', { args: [], env: { TMPDIR: '/scratch', PATH: '/opt/bin' } });
    expect(argv).toEqual(expect.arrayContaining(['--env', 'TMPDIR=/scratch', '--env', 'PATH=/opt/bin']));
    expect(env.TMPDIR).toBeUndefined();
    expect(env.PATH).toBe(process.env.PATH);
  });
});
