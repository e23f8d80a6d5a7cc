/**
 * `import 'kcl-ts/register'` as the FIRST import of a consumer (or `node --import kcl-ts/register`)
 * claims stdout for the protocol before any other module's top-level code runs, so even a
 * `console.log` at import time of a dependency goes to the log. Until `run()` is called, logging is
 * configured from the environment (`KCL_TS_LOG_DEST`, `KCL_TS_LOG_LEVEL`); `run({ log })` options then
 * take over (a `destination` replaces the logger, a `level` changes it).
 * @packageDocumentation
 */
import { claimProcessStdio } from './processor/stdio.js';

claimProcessStdio();
