/**
 * The capability registry: one line per capability, nothing else lists them.
 * electron/platform/registry.ts adds up what they declare (services, jobs,
 * migrations, CLI); the renderer finds their ui/ folders by itself.
 */
export { default as patients } from './patients/index.js';
export { default as studies } from './studies/index.js';
export { default as twins } from './twins/index.js';
export { default as records } from './records/index.js';
export { default as spine } from './spine/index.js';
export { default as jobs } from './jobs/index.js';
export { default as devices } from './devices/index.js';
export { default as fusion } from './fusion/index.js';
export { default as security } from './security/index.js';
export { default as system } from './system/index.js';
export { default as about } from './about/index.js';
export { default as annotations } from './annotations/index.js';
export { default as motion } from './motion/index.js';
export { default as enhance } from './enhance/index.js';
export { default as inference } from './inference/index.js';
export { default as exchange } from './exchange/index.js';
export { default as pacs } from './pacs/index.js';
export { default as planning } from './planning/index.js';
