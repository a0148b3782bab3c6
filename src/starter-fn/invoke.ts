// One function invocation: event in, the starter's answer out. Invalid events get a 400-style body
// (and Fn-Http-Status 400 behind an API gateway) instead of an error, so OCI Events does not redeliver
// them; Temporal failures throw, the FDK answers 502 and the event is delivered again later.
import { loadConfig, ConfigError } from '../config.js';
import { handleEvent, InvalidEventError, type StarterResult } from './handler.js';
import { createTemporalStarter } from './temporal-starter.js';
import { temporalClient, type Env } from './connection.js';

export interface FnContext {
  config: Record<string, string | undefined>;
  callID?: string | null;
  httpGateway?: { statusCode: number };
}

export type InvocationAnswer = StarterResult | { error: 'invalid-event' | 'invalid-config'; status: 400 | 500; message: string };

function log(fields: Record<string, unknown>): void {
  // One JSON line per invocation: outcome and ids only, never the event's secrets or the API key.
  console.log(JSON.stringify({ component: 'oci-transcode-starter', ...fields }));
}

export async function invoke(input: unknown, ctx: FnContext): Promise<InvocationAnswer> {
  const env: Env = ctx.config;
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    log({ callId: ctx.callID, error: 'invalid-config', message: error.message });
    return { error: 'invalid-config', status: 500, message: error.message };
  }
  const started = Date.now();
  try {
    const { client } = await temporalClient(env);
    const result = await handleEvent(input, { starter: createTemporalStarter(client, config), config });
    log({ callId: ctx.callID, ...result, ms: Date.now() - started });
    return result;
  } catch (error) {
    if (error instanceof InvalidEventError) {
      if (ctx.httpGateway) ctx.httpGateway.statusCode = 400;
      log({ callId: ctx.callID, error: 'invalid-event', message: error.message });
      return { error: 'invalid-event', status: 400, message: error.message };
    }
    log({ callId: ctx.callID, error: 'failed', message: error instanceof Error ? error.message : String(error) });
    throw error;
  }
}
