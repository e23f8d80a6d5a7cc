package dev.kclts.streams;

import com.amazonaws.services.dynamodbv2.streamsadapter.adapter.DynamoDBStreamsClientRecord;
import com.amazonaws.services.dynamodbv2.streamsadapter.serialization.RecordObjectMapper;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import java.util.TreeMap;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.Record;

/**
 * The partition key the children see for a change: the item's primary key as JSON in the DynamoDB attribute
 * format, attribute names sorted ({@code {"pk":{"S":"a"},"sk":{"N":"1"}}}), written by the adapter's own
 * mapper, the one that writes the record's data. Equal keys give equal strings.
 */
final class ItemKeys {
    private static final ObjectMapper MAPPER = new RecordObjectMapper();

    private ItemKeys() {}

    static String of(DynamoDBStreamsClientRecord record) {
        Record change = record.getRecord();
        if (change == null || change.dynamodb() == null || !change.dynamodb().hasKeys()) {
            return record.partitionKey();
        }
        Map<String, AttributeValue> sorted = new TreeMap<>(change.dynamodb().keys());
        try {
            return MAPPER.writeValueAsString(sorted);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the keys of change " + record.sequenceNumber() + " as JSON", e);
        }
    }
}
