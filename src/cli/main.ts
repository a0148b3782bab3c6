// `oci-transcode`: one command line for the transcoder, the local stack and operators.
import { Command } from 'commander';
import { registerTranscode } from './commands/transcode.js';
import { registerStack } from './commands/stack.js';

const program = new Command('oci-transcode')
  .description('Video-on-demand transcoding for Oracle Cloud, orchestrated by Temporal')
  .showHelpAfterError();

registerTranscode(program);
registerStack(program);
(await import('./commands/janitor.js')).registerJanitor(program);
(await import('./commands/api.js')).registerApi(program);

await program.parseAsync(process.argv);
