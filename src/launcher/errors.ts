import { KclTsError } from '../errors.js';

/** Error codes of the launcher area. */
export const LauncherErrorCode = {
  JAVA_NOT_FOUND: 'KCLTS_ERR_LAUNCHER_JAVA_NOT_FOUND',
  JAVA_TOO_OLD: 'KCLTS_ERR_LAUNCHER_JAVA_TOO_OLD',
  JARS_MISSING: 'KCLTS_ERR_LAUNCHER_JARS_MISSING',
  JARS_CHECKSUM: 'KCLTS_ERR_LAUNCHER_JARS_CHECKSUM',
  JARS_INSTALL_FAILED: 'KCLTS_ERR_LAUNCHER_JARS_INSTALL_FAILED',
  /** A jar path Java would read differently from what was verified (a `:` in it, a symlink out of its folder). */
  JARS_PATH_UNSAFE: 'KCLTS_ERR_LAUNCHER_JARS_PATH_UNSAFE',
  NO_MAVEN: 'KCLTS_ERR_LAUNCHER_NO_MAVEN',
  PROPERTIES_INVALID: 'KCLTS_ERR_LAUNCHER_PROPERTIES_INVALID',
  PORT_BUSY: 'KCLTS_ERR_LAUNCHER_PORT_BUSY',
  CONSUMER_NOT_FOUND: 'KCLTS_ERR_LAUNCHER_CONSUMER_NOT_FOUND',
  PREFLIGHT_FAILED: 'KCLTS_ERR_LAUNCHER_PREFLIGHT_FAILED',
} as const;

/** A launcher problem; the message says what to install or change. */
export class LauncherError extends KclTsError {}
