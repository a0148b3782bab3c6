// `oci-transcode api` (the job API and its preview page) and `oci-transcode api-key create|list|revoke`.
// Declarations only: Fastify, the Temporal client and the adapters load when a command runs.
import { InvalidArgumentError, type Command } from 'commander';
import { action, CliError } from './cli-error.js';

const port = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number (0-65535)');
  return n;
};

async function keysFile(): Promise<string> {
  const [{ loadConfig }, { keysFileOf }] = await Promise.all([import('../../config.js'), import('../../api/main.js')]);
  return keysFileOf(loadConfig());
}

export function registerApi(program: Command): void {
  program
    .command('api')
    .description('serve the job API (submit, status, list, cancel; OpenAPI at /openapi.json) and the preview page (/preview/)')
    .option('--host <address>', 'address to listen on (default OCI_TRANSCODE_API_HOST, 127.0.0.1)')
    .option('--port <port>', 'port (default OCI_TRANSCODE_API_PORT, 8080)', port)
    .action(action(async (opts: { host?: string; port?: number }) => (await import('../../api/main.js')).apiCommand(opts)));

  const keys = program.command('api-key').description('API keys of the job API (stored hashed in OCI_TRANSCODE_API_KEYS_FILE)');
  keys
    .command('create <name>')
    .description('create a key and print it once (only its hash is kept)')
    .action(
      action(async (name: string) => {
        const { createKey } = await import('../../api/keys.js');
        const file = await keysFile();
        const { key, entry } = createKey(file, name);
        console.error(`created API key ${entry.id} (${entry.name}) in ${file}; it is shown only now:`);
        console.log(key);
      }),
    );
  keys
    .command('list')
    .description('list the keys (id, name, created)')
    .action(
      action(async () => {
        const { readKeyFile } = await import('../../api/keys.js');
        for (const k of readKeyFile(await keysFile())) console.log(`${k.id}  ${k.createdAt}  ${k.name}`);
      }),
    );
  keys
    .command('revoke <id-or-name>')
    .description('remove a key; a running API refuses it from its next request')
    .action(
      action(async (idOrName: string) => {
        const { revokeKey } = await import('../../api/keys.js');
        if (!revokeKey(await keysFile(), idOrName)) throw new CliError(`no API key ${idOrName}`);
        console.log(`revoked ${idOrName}`);
      }),
    );
}
