/**
 * Domain errors. `TypeError` is for the wrong kind of argument and `RangeError` for a bad value
 * (both built in); everything that is about the user's files, models, data or configuration is a
 * `PrunefiError` with a stable `code` that scripts can match on. Messages name the argument or
 * file, what was expected, what was received and what to do.
 */

/** Stable error codes. Never rename one: scripts and tests match on them. */
export type ErrorCode =
  | 'ONNX_PARSE'
  | 'ONNX_INVALID'
  | 'ONNX_UNSUPPORTED'
  | 'MODEL_NOT_FOUND'
  | 'UNKNOWN_NAME'
  | 'SHAPE_MISMATCH'
  | 'DATA_NOT_FOUND'
  | 'DATA_INVALID'
  | 'DATA_DECODE'
  | 'RUNTIME'
  | 'DEVICE_UNAVAILABLE'
  | 'TRAIN_UNSUPPORTED_OP'
  | 'TRAIN'
  | 'CHECKPOINT'
  | 'PRUNE'
  | 'PRUNE_UNSUPPORTED'
  | 'FAULT_LIST'
  | 'FAULT_CONFIG'
  | 'CAMPAIGN_CONFIG_MISMATCH'
  | 'CAMPAIGN_STORE'
  | 'STUDY_CONFIG'
  | 'REPORT_INPUT'
  | 'IO'
  | 'USAGE';

/** A domain error with a stable code; the CLI prints `message` alone and exits with `exitCode`. */
export class PrunefiError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; exitCode?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PrunefiError';
    this.code = code;
    this.exitCode = options?.exitCode ?? 2;
  }
}

/**
 * Builds the error thrown when a registry lookup misses: it lists the valid names so the user can
 * fix the typo without reading the docs.
 */
export function unknownName(kind: string, name: string, valid: readonly string[]): PrunefiError {
  return new PrunefiError(
    'UNKNOWN_NAME',
    `unknown ${kind} '${name}'; valid ${kind} names: ${valid.join(', ')}`,
  );
}

/** Message of any thrown value, for wrapping errors from libraries that throw non-Errors. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
