import { PROBLEM_BASE_URI } from '@corridor/protocol';

/** One offending field of a request, as a JSON Pointer into the body (RFC 6901). */
export interface ProblemFieldError {
  pointer: string;
  detail: string;
}

/** An RFC 9457 problem document. `type` is a stable URI per kind of problem; `detail` says what exactly. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: ProblemFieldError[];
  [extension: string]: unknown;
}

/**
 * A failure the client can act on. Thrown anywhere below a controller; the problem filter renders it.
 * `slug` becomes the `type` URI: https://corridor-ledger.dev/problems/<slug>.
 */
export class ProblemException extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    readonly detail: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail);
  }

  toDocument(instance?: string): ProblemDocument {
    return { type: PROBLEM_BASE_URI + this.slug, title: this.title, status: this.status, detail: this.detail, ...(instance ? { instance } : {}), ...this.extensions };
  }
}

export const problem = {
  badRequest: (slug: string, title: string, detail: string, errors?: ProblemFieldError[]) => new ProblemException(400, slug, title, detail, errors ? { errors } : {}),
  notFound: (what: string, id: string) => new ProblemException(404, 'not-found', 'Not found', `${what} ${JSON.stringify(id)} does not exist`),
  conflict: (slug: string, title: string, detail: string, extensions: Record<string, unknown> = {}) => new ProblemException(409, slug, title, detail, extensions),
  unprocessable: (slug: string, title: string, detail: string, extensions: Record<string, unknown> = {}) => new ProblemException(422, slug, title, detail, extensions),
};
