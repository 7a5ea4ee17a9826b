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
  | 'CAMPAIGN_LOCKED'
  | 'STUDY_CONFIG'
  | 'REPORT_INPUT'
  | 'QUEUE'
  | 'IO'
  | 'USAGE';

/**
 * A domain error with a stable code; the CLI prints `message` alone and exits with `exitCode`.
 * The message is one line: line breaks in the text it quotes (a JSON parser's excerpt of the
 * file, a file name) become spaces, so a script reading stderr gets exactly one line per error.
 */
export class PrunefiError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; exitCode?: number }) {
    super(
      message.replace(/\s*[\r\n\u2028\u2029]+\s*/g, ' '),
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'PrunefiError';
    this.code = code;
    this.exitCode = options?.exitCode ?? 2;
  }
}

/** Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b`. */
function editDistance(a: string, b: string): number {
  const w = b.length + 1;
  // d[i * w + j]: the distance between the first i characters of a and the first j of b.
  const d = new Array<number>((a.length + 1) * w).fill(0);
  const at = (i: number, j: number): number => d[i * w + j] ?? 0;
  for (let i = 0; i <= a.length; i++) d[i * w] = i;
  for (let j = 0; j <= b.length; j++) d[j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      let best = Math.min(
        at(i - 1, j) + 1,
        at(i, j - 1) + 1,
        at(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      // Optimal string alignment: a swapped pair ('mangitude') is one typo, not two.
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      d[i * w + j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * The valid name `name` is most likely a typo of, or undefined when none is close: at most one
 * edit in three characters (ignoring case), so 'magnitud' suggests 'magnitude' but 'frobnicate'
 * suggests nothing. Ties go to the earlier name (registries list the common entries first).
 */
function closestName(name: string, valid: readonly string[]): string | undefined {
  const typed = name.toLowerCase();
  const limit = Math.max(1, Math.floor(typed.length / 3));
  let best: { name: string; distance: number } | undefined;
  for (const v of valid) {
    const distance = editDistance(typed, v.toLowerCase());
    if (distance <= limit && (!best || distance < best.distance)) best = { name: v, distance };
  }
  return best?.name;
}

/**
 * Builds the error thrown when a registry lookup misses: it lists the valid names, and the one the
 * user probably meant, so the typo is fixed without reading the docs.
 */
export function unknownName(kind: string, name: string, valid: readonly string[]): PrunefiError {
  return new PrunefiError(
    'UNKNOWN_NAME',
    `unknown ${kind} '${name}'; valid ${kind} names: ${valid.join(', ')}${didYouMean(name, valid)}`,
  );
}

/**
 * The end of a message about an unknown name: `; did you mean 'x'?` when `name` is likely a typo
 * of the valid name x, else nothing. For messages that list the valid names their own way (the
 * CLI's option choices), so every such error suggests the same name `unknownName` would.
 */
export function didYouMean(name: string, valid: readonly string[]): string {
  const guess = closestName(name, valid);
  return guess ? `; did you mean '${guess}'?` : '';
}

/** Message of any thrown value, for wrapping errors from libraries that throw non-Errors. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** What to do about a failed file operation, by its system error code. */
export function fileErrorHint(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return 'the disk is full: free space, then continue (what was written before is intact)';
  if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM')
    return 'check permissions: the file or its folder is read-only or not writable (what was written before is intact)';
  if (code === 'ENOENT' || code === 'ENOTDIR')
    return 'its folder does not exist (was it removed?): create it, or choose another output path';
  return 'check that the folder exists, is writable and has free space';
}

/**
 * A Node system error from a file operation (it carries `code` and `path`) as a one-line
 * `PrunefiError('IO')` naming the path and what to do, or undefined for any other error: the
 * CLI's last line of defence for writes that no stage wrapped.
 */
export function systemFileError(err: unknown): PrunefiError | undefined {
  const e = err as { code?: unknown; path?: unknown; syscall?: unknown };
  if (!(err instanceof Error) || typeof e.code !== 'string' || typeof e.path !== 'string') return undefined;
  return new PrunefiError(
    'IO',
    `cannot ${typeof e.syscall === 'string' ? e.syscall : 'use'} ${e.path}: ${err.message}; ${fileErrorHint(err)}`,
    { cause: err },
  );
}
