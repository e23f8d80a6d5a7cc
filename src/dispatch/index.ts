export { KeyedDispatcher, type DispatcherOptions, type WorkItem } from './keyed-dispatcher.js';
