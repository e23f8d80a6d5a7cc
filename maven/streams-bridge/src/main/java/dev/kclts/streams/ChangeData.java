package dev.kclts.streams;

import com.amazonaws.services.dynamodbv2.streamsadapter.adapter.DynamoDBStreamsClientRecord;
import com.amazonaws.services.dynamodbv2.streamsadapter.serialization.RecordObjectMapper;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.StreamRecord;

/**
 * The data the children see for a change: the adapter's JSON of the stream record, without the images the
 * record does not have. The adapter's mapper writes an absent image (the SDK's empty placeholder map) as
 * {@code {}}, so an INSERT would carry {@code "OldImage":{}} and a REMOVE {@code "NewImage":{}}; DynamoDB
 * Streams leave them out, and so does this (an item image is never empty: it holds at least the key).
 */
final class ChangeData {
    private static final ObjectMapper MAPPER = new RecordObjectMapper();

    private ChangeData() {}

    static ByteBuffer of(DynamoDBStreamsClientRecord record) {
        Record change = record.getRecord();
        StreamRecord d = change == null ? null : change.dynamodb();
        if (d == null || (d.hasNewImage() && d.hasOldImage())) return record.data();
        ObjectNode json = MAPPER.valueToTree(change);
        ObjectNode dynamodb = (ObjectNode) json.get("dynamodb");
        if (dynamodb != null) {
            if (!d.hasNewImage()) dynamodb.remove("NewImage");
            if (!d.hasOldImage()) dynamodb.remove("OldImage");
        }
        try {
            return ByteBuffer.wrap(MAPPER.writeValueAsBytes(json));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write change " + record.sequenceNumber() + " as JSON", e);
        }
    }
}
