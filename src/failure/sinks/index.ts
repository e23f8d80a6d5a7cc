export { createSink } from './create.js';
export { FileSink, type FileSinkOptions } from './file.js';
export { S3Sink, type S3SinkOptions } from './s3.js';
export { SqsSink, SQS_MAX_BYTES, type SqsSinkOptions } from './sqs.js';
