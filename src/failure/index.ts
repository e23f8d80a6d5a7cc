/**
 * kcl-ts/failure: dead-letter sinks (file, SQS, S3) and the failure-policy types. Replay lives in the
 * CLI (`kcl-ts replay`) because it loads the local emulator clients, which the child path must not.
 * @packageDocumentation
 */
export type { DeadLetter, DeadLetterError, DeadLetterSink, DeadLetterDataRef } from './types.js';
export { NonRetryableError, errorInfo, toDeadLetter, type FailureDecision, type FailurePolicy } from './policy.js';
export { FailureError, FailureErrorCode } from './errors.js';
export * from './sinks/index.js';
