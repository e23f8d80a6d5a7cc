package dev.kclts.streams;

import com.amazonaws.services.dynamodbv2.streamsadapter.adapter.DynamoDBStreamsClientRecord;
import com.amazonaws.services.dynamodbv2.streamsadapter.model.DynamoDBStreamsProcessRecordsInput;
import com.amazonaws.services.dynamodbv2.streamsadapter.processor.DynamoDBStreamsShardRecordProcessor;
import java.util.ArrayList;
import java.util.List;
import software.amazon.kinesis.lifecycle.events.InitializationInput;
import software.amazon.kinesis.lifecycle.events.LeaseLostInput;
import software.amazon.kinesis.lifecycle.events.ProcessRecordsInput;
import software.amazon.kinesis.lifecycle.events.ShardEndedInput;
import software.amazon.kinesis.lifecycle.events.ShutdownRequestedInput;
import software.amazon.kinesis.processor.ShardRecordProcessor;
import software.amazon.kinesis.retrieval.KinesisClientRecord;

/**
 * The adapter's record processor type around the MultiLangDaemon's own child-process record processor: every
 * callback goes to the daemon's processor unchanged (same protocol, same children, same failure handling),
 * and a batch of the adapter's records goes as the daemon's input with two changes per record: the partition
 * key is the item's primary key (see {@link ItemKeys}) instead of the sequence number the adapter puts
 * there, so a child that orders by partition key keeps each item's changes in order; and the data leaves
 * out images the change does not have (see {@link ChangeData}).
 */
final class ChildProcessRecordProcessor implements DynamoDBStreamsShardRecordProcessor {
    private final ShardRecordProcessor child;

    ChildProcessRecordProcessor(ShardRecordProcessor child) {
        this.child = child;
    }

    @Override
    public void initialize(InitializationInput input) {
        child.initialize(input);
        LiveShards.started(this);
    }

    @Override
    public void processRecords(DynamoDBStreamsProcessRecordsInput input) {
        List<KinesisClientRecord> records = new ArrayList<>(input.records().size());
        for (DynamoDBStreamsClientRecord record : input.records()) {
            records.add(record.toBuilder().partitionKey(ItemKeys.of(record)).data(ChangeData.of(record)).build());
        }
        child.processRecords(ProcessRecordsInput.builder()
                .records(records)
                .checkpointer(input.checkpointer())
                .cacheEntryTime(input.cacheEntryTime())
                .cacheExitTime(input.cacheExitTime())
                .millisBehindLatest(input.millisBehindLatest())
                .childShards(input.childShards())
                .isAtShardEnd(input.isAtShardEnd())
                .build());
    }

    @Override
    public void leaseLost(LeaseLostInput input) {
        try {
            child.leaseLost(input);
        } finally {
            LiveShards.finished(this);
        }
    }

    @Override
    public void shardEnded(ShardEndedInput input) {
        try {
            child.shardEnded(input);
        } finally {
            LiveShards.finished(this);
        }
    }

    @Override
    public void shutdownRequested(ShutdownRequestedInput input) {
        child.shutdownRequested(input);
    }
}
