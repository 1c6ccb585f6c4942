export * from './common.js';
export * from './tasks.js';
export * from './cluster.js';
export * from './scheduler.js';
