// The --plan argument (the workflow's Plan, as JSON text or a file), validated before anything runs,
// so a malformed plan is a clear usage error rather than a confusing ffmpeg failure.
import { readFile } from 'node:fs/promises';
import { planSchema, type Plan } from '../domain/contract.js';
import { UsageError } from './errors.js';

/** `--plan` is JSON when it starts with '{', else the path of a JSON file. */
export async function loadPlan(value: string): Promise<Plan> {
  let text = value;
  if (!value.trimStart().startsWith('{')) {
    try {
      text = await readFile(value, 'utf8');
    } catch (error) {
      throw new UsageError(`--plan ${value}: cannot read the file (${(error as Error).message})`);
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--plan: not valid JSON (${(error as Error).message})`);
  }
  const parsed = planSchema.safeParse(json);
  if (!parsed.success) {
    throw new UsageError(`--plan: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'plan'}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}
