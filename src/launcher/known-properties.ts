/**
 * The keys the MultiLangDaemon (amazon-kinesis-client-multilang 3.1.x) reads, with the type of the field
 * each one sets. `boolean` (primitive) ignores `false`; numbers ignore 0; `Boolean`/`Integer`/`Long`
 * wrappers honour both. Unknown keys are ignored by the daemon without a word, hence this list.
 */
export type PropertyType =
  | 'string'
  | 'boolean'
  | 'Boolean'
  | 'int'
  | 'long'
  | 'Integer'
  | 'Long'
  | 'double'
  | 'enum'
  | 'other';

export const KNOWN_PROPERTIES: Readonly<Record<string, PropertyType>> = {
  executableName: 'string',
  processingLanguage: 'string',
  maxActiveThreads: 'int',
  allowThroughputOvershoot: 'Boolean',
  applicationName: 'string',
  AWSCredentialsProvider: 'string',
  AWSCredentialsProviderCloudWatch: 'string',
  AWSCredentialsProviderDynamoDB: 'string',
  callProcessRecordsEvenForEmptyRecordList: 'boolean',
  cleanupLeasesUponShardCompletion: 'boolean',
  clientVersionConfig: 'enum',
  coordinatorStateBillingMode: 'enum',
  coordinatorStateDeletionProtectionEnabled: 'Boolean',
  coordinatorStatePointInTimeRecoveryEnabled: 'Boolean',
  coordinatorStateReadCapacity: 'long',
  coordinatorStateTableName: 'string',
  coordinatorStateTags: 'other',
  coordinatorStateWriteCapacity: 'long',
  dampeningPercentage: 'int',
  disableWorkerMetrics: 'Boolean',
  dynamoDBEndpoint: 'string',
  enablePriorityLeaseAssignment: 'Boolean',
  failoverTimeMillis: 'long',
  gracefulLeaseHandoffTimeoutMillis: 'Long',
  idleTimeBetweenReadsInMillis: 'long',
  ignoreUnexpectedChildShards: 'boolean',
  inMemoryWorkerMetricsCaptureFrequencyMillis: 'long',
  initialLeaseTableReadCapacity: 'int',
  initialLeaseTableWriteCapacity: 'int',
  initialPositionInStream: 'enum',
  initialPositionInStreamExtended: 'long',
  isGracefulLeaseHandoffEnabled: 'Boolean',
  kinesisEndpoint: 'string',
  leaseAssignmentIntervalMillis: 'long',
  leaseTableDeletionProtectionEnabled: 'Boolean',
  leaseTablePitrEnabled: 'Boolean',
  listShardsBackoffTimeInMillis: 'long',
  logWarningForTaskAfterMillis: 'Long',
  maxGetRecordsThreadPool: 'Integer',
  maxLeaseRenewalThreads: 'int',
  maxLeasesForWorker: 'int',
  maxLeasesToStealAtOneTime: 'int',
  maxListShardsRetryAttempts: 'int',
  maxRecords: 'int',
  maxThroughputPerHostKBps: 'double',
  metricsBufferTimeMillis: 'long',
  metricsEnabledDimensions: 'other',
  metricsLevel: 'enum',
  metricsMaxQueueSize: 'int',
  millisBehindLatestThresholdForReducedTps: 'long',
  noOfPersistedMetricsPerWorkerMetrics: 'int',
  parentShardPollIntervalMillis: 'long',
  reBalanceThresholdPercentage: 'int',
  regionName: 'string',
  retrievalMode: 'enum',
  retryGetRecordsInSeconds: 'Integer',
  schedulerInitializationBackoffTimeMillis: 'long',
  shardPrioritization: 'other',
  shardSyncIntervalMillis: 'long',
  shutdownGraceMillis: 'long',
  skipShardSyncAtWorkerInitializationIfLeasesExist: 'boolean',
  staleWorkerMetricsEntryCleanupDuration: 'other',
  streamArn: 'string',
  streamName: 'string',
  tableName: 'string',
  taskBackoffTimeMillis: 'long',
  timeoutInSeconds: 'Integer',
  validateSequenceNumberBeforeCheckpointing: 'boolean',
  varianceBalancingFrequency: 'int',
  workerId: 'string',
  workerIdentifier: 'string',
  workerMetricsBillingMode: 'enum',
  workerMetricsDeletionProtectionEnabled: 'Boolean',
  workerMetricsEMAAlpha: 'double',
  workerMetricsPointInTimeRecoveryEnabled: 'Boolean',
  workerMetricsReadCapacity: 'long',
  workerMetricsReporterFreqInMillis: 'long',
  workerMetricsTableName: 'string',
  workerMetricsTags: 'other',
  workerMetricsWriteCapacity: 'long',
};

/** Accepted values of enum keys (case-insensitive in the daemon). */
export const ENUM_VALUES: Readonly<Record<string, readonly string[]>> = {
  initialPositionInStream: ['LATEST', 'TRIM_HORIZON'],
  retrievalMode: ['FANOUT', 'POLLING', 'DEFAULT'],
  metricsLevel: ['NONE', 'SUMMARY', 'DETAILED'],
  clientVersionConfig: ['CLIENT_VERSION_CONFIG_3X', 'CLIENT_VERSION_CONFIG_COMPATIBLE_WITH_2X'],
  coordinatorStateBillingMode: ['PAY_PER_REQUEST', 'PROVISIONED'],
  workerMetricsBillingMode: ['PAY_PER_REQUEST', 'PROVISIONED'],
};

/** Prefixes of nested keys the daemon passes to its AWS clients and sub-configs (e.g. `kinesisClient.endpointOverride`). */
export const NESTED_PREFIXES = ['kinesisClient.', 'dynamoDbClient.', 'cloudWatchClient.', 'fanoutConfig.', 'pollingConfig.'];

/** Keys that make the daemon's DEFAULT retrieval mode choose POLLING. */
export const POLLING_KEYS = [
  'maxRecords',
  'idleTimeBetweenReadsInMillis',
  'millisBehindLatestThresholdForReducedTps',
  'retryGetRecordsInSeconds',
  'maxGetRecordsThreadPool',
];
