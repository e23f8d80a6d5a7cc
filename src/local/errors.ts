import { KclTsError } from '../errors.js';

/** Error codes of the local area (emulators, the KCL tables). */
export const LocalErrorCode = {
  /** The KCL tables are missing or do not have the schema KCL 3.1.3 expects. */
  TABLES_INVALID: 'KCLTS_ERR_LOCAL_TABLES_INVALID',
  /** A table command needs a DynamoDB endpoint and none was given. */
  TABLES_NO_ENDPOINT: 'KCLTS_ERR_LOCAL_TABLES_NO_ENDPOINT',
  /** The properties file cannot be read or lacks what the command needs. */
  PROPERTIES: 'KCLTS_ERR_LOCAL_PROPERTIES',
  /** An emulator package (kinesis-local, dynalite) is not installed and could not be installed. */
  EMULATOR_MISSING: 'KCLTS_ERR_LOCAL_EMULATOR_MISSING',
} as const;

/** A problem of the local stack or of the KCL tables; the message says what to do next. */
export class LocalError extends KclTsError {}
