/** Studies: configs, presets, the content-keyed step plan, the runner and its report data. */
export * from './campaign-report.js';
export * from './config.js';
export * from './data.js';
export * from './plan.js';
export * from './presets.js';
export * from './report-data.js';
export * from './runner.js';
export * from './steps.js';
export * from './store.js';
export * from './sweeps.js';
