export type { DeadLetter, DeadLetterError, DeadLetterSink } from './types.js';
export { NonRetryableError, errorInfo, toDeadLetter, type FailureDecision, type FailurePolicy } from './policy.js';
