// `oci-transcode stop`: stops the stack found through <dataDir>/stack.json.
import { loadConfig } from '../../config.js';
import { stopStack } from '../../stack/control.js';
import { stackPaths } from '../../stack/paths.js';

export async function stop(): Promise<void> {
  const { dataDir } = stackPaths(loadConfig().dataDir);
  const stopped = await stopStack(dataDir);
  console.log(stopped ? `Stopped the local stack (pid ${stopped.pid}).` : `No local stack is running for ${dataDir}.`);
}
