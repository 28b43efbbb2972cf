/**
 * Errors that cross the API boundary. A host turns every failure into an `ApiError` with a code the
 * UI can act on (e.g. hide a panel when a service is `not-available`) and a message for people.
 */

/** Why a request failed. */
export type ApiErrorCode =
  /** An argument failed validation in the host; nothing was done. */
  | 'invalid-argument'
  /** The service behind the method is not part of this build or host yet. */
  | 'not-available'
  /** A file, template, run or other named thing does not exist. */
  | 'not-found'
  /** The request was refused (bad or missing token, wrong origin). */
  | 'unauthorized'
  /** The method name is not part of the contract. */
  | 'unknown-method'
  /** The service ran and failed; the message says why and what to do. */
  | 'failed';

/** The serialisable form of an error, as sent over IPC or the WebSocket. */
export interface ApiErrorInfo {
  readonly code: ApiErrorCode;
  readonly message: string;
  /** Extra lines, e.g. every problem found in a project file. */
  readonly details?: readonly string[];
}

/** An error raised by a host or service for a request. */
export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly details: readonly string[];

  constructor(code: ApiErrorCode, message: string, details: readonly string[] = []) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.details = details;
  }

  /** The wire form. */
  toInfo(): ApiErrorInfo {
    return this.details.length ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }

  /** Rebuilds an error from its wire form (renderer side). */
  static fromInfo(info: ApiErrorInfo): ApiError {
    return new ApiError(info.code, info.message, info.details ?? []);
  }
}

/** The error for a method whose service has not been connected in this build. */
export function notAvailable(what: string, detail?: string): ApiError {
  return new ApiError('not-available', `${what} is not available in this build yet.${detail ? ` ${detail}` : ''}`);
}

/** True for a value that looks like an `ApiErrorInfo` (used when decoding wire messages). */
export function isApiErrorInfo(v: unknown): v is ApiErrorInfo {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as { code?: unknown; message?: unknown };
  return typeof o.code === 'string' && typeof o.message === 'string';
}
