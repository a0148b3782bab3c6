// The Fn agent's half of the FDK contract, for a function image: the container runs as uid/gid 1000 (as
// OCI Functions runs every function), without capabilities or privilege escalation, on a read-only root,
// with the function's configuration and resource principal as its environment, FN_FORMAT=http-stream and
// FN_LISTENER=unix:/tmp/iofs/lsnr.sock in a folder mounted from the host. The FDK listens on
// lsnr.sock.tmp there and links lsnr.sock to it; the agent then POSTs /call over that socket.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerProcess } from '../oci-stand-in/containers.js';
import type { FnAnswer } from '../oci-stand-in/fn-host.js';
import { podmanImage } from '../oci-stand-in/images.js';

export interface FnContainer {
  invoke(event: unknown): Promise<FnAnswer>;
  output(): string;
  stop(): Promise<void>;
  /** How long the container took from `podman run` to a socket the agent can call. */
  readyMs: number;
}

const IOFS = '/tmp/iofs';

export async function startFunctionContainer(image: string, config: Record<string, string>, memoryMb = 256): Promise<FnContainer> {
  const started = Date.now();
  const iofs = mkdtempSync(join(tmpdir(), 'fn-iofs-'));
  chmodSync(iofs, 0o777); // the function's uid 1000 creates its socket here
  const socket = join(iofs, 'lsnr.sock');
  const proc = new ContainerProcess('starter-fn');
  proc.start({
    image: podmanImage(image, [
      '--user', '1000:1000', '--cap-drop', 'all', '--security-opt', 'no-new-privileges', '--read-only',
      '--memory', `${memoryMb}m`, '--volume', `${iofs}:${IOFS}`,
    ]),
    args: [],
    env: { ...config, FN_FORMAT: 'http-stream', FN_LISTENER: `unix:${IOFS}/lsnr.sock`, FN_APP_NAME: 'oci-transcode', FN_FN_NAME: 'oci-transcode-starter', FN_MEMORY: String(memoryMb) },
  });
  const deadline = Date.now() + 60_000;
  while (!existsSync(socket)) {
    if (!proc.running || Date.now() > deadline) {
      await proc.stop(1000);
      throw new Error(`the function container did not listen on ${IOFS}/lsnr.sock:\n${proc.logs.text()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    invoke: (event) => call(socket, event),
    output: () => proc.logs.text(),
    async stop() {
      await proc.stop(2000);
      proc.removeHome();
      rmSync(iofs, { recursive: true, force: true });
    },
    readyMs: Date.now() - started,
  };
}

function call(socket: string, event: unknown): Promise<FnAnswer> {
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
}
