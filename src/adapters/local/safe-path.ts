// Object names -> file paths inside a bucket folder, reversibly, so no name can escape the folder.
//
// Ordinary segments (the part between two '/') are kept as they are, so a file dropped into a
// bucket folder by hand is the object of the same name. A segment that is unsafe or unrepresentable
// as a file name ('', '.', '..', starting with '%', holding NUL, or longer than MAX_NAME_BYTES) is
// written as '%' + escaped text, where the escape turns '%', '+' and NUL into %XX. A segment too
// long for one file name is split into folders '%+<piece>' (continued in the child) ending with
// '%<piece>'. A plain segment never starts with '%', so decoding is unambiguous.

/** Below Linux NAME_MAX (255 bytes), with room to spare for the escape marker. */
export const MAX_NAME_BYTES = 200;

export class ObjectNameError extends Error {
  override readonly name = 'ObjectNameError';
}

const utf8Length = (text: string): number => Buffer.byteLength(text, 'utf8');
const escape = (text: string): string => text.replace(/[%+\0]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`);

function isPlain(segment: string): boolean {
  return segment !== '' && segment !== '.' && segment !== '..' && !segment.startsWith('%') && !segment.includes('\0') && utf8Length(segment) <= MAX_NAME_BYTES;
}

/** One object-name segment -> one or more file names (several when it is too long for one). */
function encodeSegment(segment: string): string[] {
  if (isPlain(segment)) return [segment];
  const names: string[] = [];
  let piece = '';
  for (const char of segment) {
    if (utf8Length(`%+${escape(piece + char)}`) > MAX_NAME_BYTES) {
      names.push(`%+${escape(piece)}`);
      piece = '';
    }
    piece += char;
  }
  names.push(`%${escape(piece)}`);
  return names;
}

// UTF-16 halves without their pair cannot be written as UTF-8 file names (nor are they OCI names).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** File names (relative to the bucket folder) of an object. */
export function encodeObjectName(name: string): string[] {
  if (LONE_SURROGATE.test(name)) throw new ObjectNameError(`object name is not valid Unicode: ${JSON.stringify(name)}`);
  return name.split('/').flatMap(encodeSegment);
}

/**
 * The object name of a file, from its names relative to the bucket folder; undefined for a file
 * that no object name maps to (a hand-made '%zz' file, say), so listings never return a name that
 * get() would then miss.
 */
export function decodeObjectPath(names: string[]): string | undefined {
  let name: string;
  try {
    name = decodeNames(names);
  } catch {
    return undefined;
  }
  const again = encodeObjectName(name);
  return again.length === names.length && again.every((n, i) => n === names[i]) ? name : undefined;
}

function decodeNames(names: string[]): string {
  let out = '';
  let continued = false;
  names.forEach((fileName, i) => {
    if (i > 0 && !continued) out += '/';
    continued = fileName.startsWith('%+');
    if (continued) out += decodeURIComponent(fileName.slice(2));
    else if (fileName.startsWith('%')) out += decodeURIComponent(fileName.slice(1));
    else out += fileName;
  });
  return out;
}

/** Bucket names as OCI allows them; also never '.', '..' or hidden, so a bucket is always a plain folder. */
export function checkBucketName(bucket: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(bucket)) {
    throw new ObjectNameError(`invalid bucket name ${JSON.stringify(bucket)}: use letters, digits, '.', '_' and '-' (63 at most, not starting with '.')`);
  }
  return bucket;
}
