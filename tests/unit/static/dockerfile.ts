// A small Dockerfile reader for static checks: instructions with continuations joined, ARG defaults
// substituted into FROM, and .dockerignore matching for the `*` + `!path` style our images use.
import { readFileSync } from 'node:fs';

export interface Instruction {
  keyword: string;
  args: string;
}

export function readDockerfile(path: string): Instruction[] {
  const joined = readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

/** FROM images with ARG defaults substituted; build stages (FROM x AS name) referenced later are skipped. */
export function baseImages(instructions: Instruction[]): string[] {
  const args = new Map<string, string>();
  const stages = new Set<string>();
  const images: string[] = [];
  for (const { keyword, args: text } of instructions) {
    if (keyword === 'ARG') {
      const [name, value] = text.split('=');
      if (name && value !== undefined) args.set(name, value);
    }
    if (keyword === 'FROM') {
      const [image = '', as, stage] = text.split(/\s+/);
      const resolved = image.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => args.get(a ?? b ?? '') ?? '');
      if (!stages.has(resolved)) images.push(resolved);
      if (as?.toUpperCase() === 'AS' && stage) stages.add(stage);
    }
  }
  return images;
}

/** ENTRYPOINT in exec form, parsed. */
export function entrypoint(instructions: Instruction[]): string[] | undefined {
  const last = instructions.filter((i) => i.keyword === 'ENTRYPOINT').at(-1);
  return last ? (JSON.parse(last.args) as string[]) : undefined;
}

/** Whether a path of the build context survives a `*` + `!keep` style ignore file (last match wins). */
export function included(ignoreFile: string, path: string): boolean {
  const rules = readFileSync(ignoreFile, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  let keep = true;
  for (const rule of rules) {
    const negated = rule.startsWith('!');
    const pattern = (negated ? rule.slice(1) : rule).replace(/\/$/, '');
    const regex = new RegExp(`^${pattern.replace(/[.+^$()|[\]\\]/g, '\\$&').replace(/\*\*\//g, '(?:.*/)?').replace(/\*/g, '[^/]*')}(?:/.*)?$`);
    if (pattern === '*' || regex.test(path)) keep = negated;
  }
  return keep;
}
