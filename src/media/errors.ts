// Facts about a source, not accidents: the workflow never retries them (exit 65, BadInput).
import { EXIT } from '../domain/contract.js';

/** The source cannot become a stream; the message names the problem for the uploader. */
export class BadInputError extends Error {
  override readonly name = 'BadInputError';
  readonly exitCode = EXIT.BAD_INPUT;
}
