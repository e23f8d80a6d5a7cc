export type { DeadLetter, DeadLetterError, DeadLetterSink } from './types.js';
