export { KeyedDispatcher, isThenable, type DispatcherOptions, type WorkItem } from './keyed-dispatcher.js';
