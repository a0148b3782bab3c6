// Hosts a built function the way the Fn agent does: starts `node func.js` with FN_FORMAT=http-stream and
// FN_LISTENER=unix:<socket> (the FDK listens there, then links the socket into place), and invokes it with
// POST /call over that socket. With `events`, each invocation is first authorized the way OCI Events is
// (the cloudEvents service principal must be granted the invocation); a refused one never reaches the function.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';

export interface FnAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

export interface FnHost {
  invoke(event: unknown): Promise<FnAnswer>;
  /** Everything the function printed (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

export interface FnHostOptions {
  bundleDir: string;
  socketDir: string;
  config: Record<string, string | undefined>;
  /** Events' authorization (OciStandIn.eventsInvoker()): a refusal message, or undefined to deliver. */
  events?: { mayInvoke(): string | undefined };
}

export async function startFunction(options: FnHostOptions): Promise<FnHost> {
  const socket = join(options.socketDir, `fn-${randomBytes(4).toString('hex')}.sock`);
  let output = '';
  const child: ChildProcess = spawn(process.execPath, [join(options.bundleDir, 'func.js')], {
    cwd: options.bundleDir,
    env: {
      PATH: process.env.PATH,
      FN_FORMAT: 'http-stream',
      FN_LISTENER: `unix:${socket}`,
      FN_APP_NAME: 'oci-transcode',
      FN_FN_NAME: 'starter',
      FN_MEMORY: '256',
      ...options.config,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const deadline = Date.now() + 30_000;
  while (!existsSync(socket)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the function did not listen on ${socket}:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }

  const invoke = (event: unknown): Promise<FnAnswer> => {
    const refusal = options.events?.mayInvoke();
    if (refusal) return Promise.reject(new Error(refusal));
    const payload = Buffer.from(typeof event === 'string' ? event : JSON.stringify(event));
    return new Promise((resolve, reject) => {
      const req = request(
        {
          socketPath: socket,
          method: 'POST',
          path: '/call',
          headers: {
            'content-type': 'application/json',
            'content-length': payload.length,
            'fn-call-id': randomBytes(8).toString('hex'),
            'fn-deadline': new Date(Date.now() + 30_000).toISOString(),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            try {
              resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) as Record<string, unknown> });
            } catch {
              reject(new Error(`function answered ${res.statusCode} with non-JSON: ${text}`));
            }
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  };

  return {
    invoke,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
