export { comparePositions, compareDecimal, type Position } from './position.js';
export { CheckpointTracker, TrackerErrorCode } from './tracker.js';
