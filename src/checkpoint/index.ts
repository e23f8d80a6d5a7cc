export { comparePositions, type Position } from './position.js';
