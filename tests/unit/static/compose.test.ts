// Static checks of docker-compose.temporal.yml: a self-hosted Temporal (PostgreSQL 16, schema and
// namespace set up by admin-tools jobs, never the deprecated auto-setup image), the Web UI, the worker,
// pinned images, ports, health checks, start order, and worker settings that the config really reads.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ENV_NAMES } from '../../../src/config.js';
import { JOB_RUNNER_REQUIRED, OCI_ENV_NAMES } from '../../../src/config-oci.js';
import { SEARCH_ATTRIBUTES } from '../../../src/workflows/definitions.js';

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  ports?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  entrypoint?: string[];
  command?: string[];
  restart?: string;
  profiles?: string[];
}

const text = readFileSync('docker-compose.temporal.yml', 'utf8');
const compose = parse(text, { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const service = (name: string): Service => {
  const found = services[name];
  if (!found) throw new Error(`no service ${name}`);
  return found;
};

describe('docker-compose.temporal.yml', () => {
  it('has Temporal, PostgreSQL, the setup jobs, the Web UI and the worker', () => {
    expect(Object.keys(services).sort()).toEqual(['postgresql', 'temporal', 'temporal-namespace', 'temporal-schema', 'temporal-ui', 'worker']);
  });

  it('pins every image, never :latest, never auto-setup; server and admin-tools at one version', () => {
    for (const [name, s] of Object.entries(services)) {
      expect(s.image, name).toMatch(/^[\w./-]+:[\w.-]+$/);
      expect(s.image, name).not.toMatch(/:latest$/);
      expect(s.image, name).not.toMatch(/auto-setup/);
    }
    expect(service('postgresql').image).toBe('postgres:16');
    const version = service('temporal').image!.split(':')[1];
    expect(service('temporal-schema').image).toBe(`temporalio/admin-tools:${version}`);
    expect(service('temporal-namespace').image).toBe(`temporalio/admin-tools:${version}`);
    expect(service('temporal-ui').image).toMatch(/^temporalio\/ui:\d+\.\d+\.\d+$/);
  });

  it('exposes gRPC on 7233 and the Web UI on 8080', () => {
    expect(service('temporal').ports).toEqual(['7233:7233']);
    expect(service('temporal-ui').ports).toEqual(['8080:8080']);
    expect(service('temporal-ui').environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
  });

  it('health-checks the long-running services', () => {
    for (const name of ['postgresql', 'temporal', 'temporal-ui']) {
      expect(service(name).healthcheck?.test[0], name).toMatch(/^CMD(-SHELL)?$/);
    }
  });

  it('starts in order: database healthy, schema done, server healthy, namespace done, worker', () => {
    expect(service('temporal-schema').depends_on).toEqual({ postgresql: { condition: 'service_healthy' } });
    expect(service('temporal').depends_on).toEqual({ 'temporal-schema': { condition: 'service_completed_successfully' } });
    expect(service('temporal-namespace').depends_on).toEqual({ temporal: { condition: 'service_healthy' } });
    expect(service('temporal-ui').depends_on).toEqual({ temporal: { condition: 'service_healthy' } });
    expect(service('worker').depends_on).toEqual({ 'temporal-namespace': { condition: 'service_completed_successfully' } });
    expect(service('temporal-schema').restart).toBe('no');
    expect(service('temporal-namespace').restart).toBe('no');
  });

  it('sets up both schemas with the PostgreSQL 12+ plugin and the server uses the same database', () => {
    const script = service('temporal-schema').command!.join('\n');
    expect(script).toContain('--plugin postgres12');
    for (const db of ['temporal', 'temporal_visibility']) {
      expect(script).toMatch(new RegExp(`for db in .*\\b${db}\\b`));
    }
    expect(script).toContain('$$schema/temporal/versioned');
    expect(script).toContain('$$schema/visibility/versioned');
    expect(service('temporal').environment).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgresql' });
  });

  it("registers the workflow's search attributes as Keyword in the namespace", () => {
    const script = service('temporal-namespace').command!.join('\n');
    for (const key of Object.values(SEARCH_ATTRIBUTES)) {
      expect(key.type).toBe('KEYWORD');
      expect(script).toMatch(new RegExp(`for attribute in .*\\b${key.name}\\b`));
    }
    expect(script).toContain('--type Keyword');
  });

  it('escapes shell variables from compose interpolation, and gives every compose variable a default', () => {
    for (const name of ['temporal-schema', 'temporal-namespace']) {
      const script = service(name).command!.join('\n');
      expect(script.replace(/\$\$/g, ''), name).not.toMatch(/\$/);
    }
    for (const match of text.matchAll(/(?<!\$)\$\{([^}]+)\}/g)) expect(match[1], match[0]).toMatch(/^[A-Z_]+:-/);
  });

  it('runs the worker image in OCI mode with settings the configuration really reads', () => {
    const worker = service('worker');
    expect(worker.profiles).toEqual(['worker']);
    expect(worker.build).toEqual({ context: '.', dockerfile: 'worker-image/Dockerfile' });
    const env = worker.environment!;
    expect(env).toMatchObject({ TEMPORAL_ADDRESS: 'temporal:7233', OCI_TRANSCODE_MODE: 'oci' });
    const known = new Set<string>([...Object.values(ENV_NAMES), ...Object.values(OCI_ENV_NAMES)]);
    for (const name of Object.keys(env).filter((k) => k.startsWith('OCI_TRANSCODE_'))) expect(known.has(name), name).toBe(true);
    for (const field of JOB_RUNNER_REQUIRED) expect(env, OCI_ENV_NAMES[field]).toHaveProperty(OCI_ENV_NAMES[field]);
    expect(env).toHaveProperty('OCI_TRANSCODE_NAMESPACE');
  });
});
