package dev.kclts.streams;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The bridge's reading of a MultiLangDaemon .properties file: the kcl-ts keys (which the daemon's own
 * configuration classes must not see) and the DynamoDB stream ARN (which they would reject, as it is not a
 * Kinesis ARN). {@link #daemonProperties()} is the file as the daemon's classes get it: kcl-ts keys and
 * streamArn removed, streamName set to the table name (a label only), retrieval by polling.
 * Keep the messages in step with src/launcher/validate-source.ts, which checks the same file earlier.
 */
final class BridgeSettings {
    static final String SOURCE_KEY = "kcl-ts.source";
    static final String ENDPOINT_KEY = "kcl-ts.dynamoDBStreamsEndpoint";
    static final String SOURCE = "dynamodb-streams";

    /** arn:aws[-cn|-us-gov]:dynamodb:region:account:table/NAME/stream/LABEL */
    private static final Pattern STREAM_ARN =
            Pattern.compile("arn:aws[^:]*:dynamodb:[-a-z0-9]+:[0-9]{12}:table/([^/]+)/stream/(.+)");
    private static final Pattern TABLE_ARN = Pattern.compile("arn:aws[^:]*:dynamodb:[^:]*:[^:]*:table/([^/]+)/?");

    final String streamArn;
    final String tableName;
    /** null: the SDK's regional endpoint. */
    final URI endpoint;
    private final Properties daemonProperties;

    private BridgeSettings(String streamArn, String tableName, URI endpoint, Properties daemonProperties) {
        this.streamArn = streamArn;
        this.tableName = tableName;
        this.endpoint = endpoint;
        this.daemonProperties = daemonProperties;
    }

    /** The properties for the daemon's configuration classes (a copy). */
    Properties daemonProperties() {
        Properties copy = new Properties();
        copy.putAll(daemonProperties);
        return copy;
    }

    /**
     * @throws IllegalArgumentException naming the key, what is wrong and what to write instead
     */
    static BridgeSettings from(Properties file) {
        String source = trimmed(file, SOURCE_KEY);
        if (!SOURCE.equals(source)) {
            throw new IllegalArgumentException(SOURCE_KEY + " is " + (source == null ? "not set" : "`" + source + "`")
                    + ": this bridge reads DynamoDB Streams only; set `" + SOURCE_KEY + " = " + SOURCE
                    + "` (Kinesis streams run on the MultiLangDaemon itself)");
        }
        String key = trimmed(file, "streamArn") != null ? "streamArn" : "streamName";
        String arn = trimmed(file, key);
        if (arn == null) {
            throw new IllegalArgumentException("streamArn is missing: set `streamArn = <the table's stream ARN>`"
                    + " (aws dynamodb describe-table --table-name <table> --query Table.LatestStreamArn)");
        }
        Matcher m = STREAM_ARN.matcher(arn);
        if (!m.matches()) throw new IllegalArgumentException(describeWrongArn(key, arn));

        URI endpoint = null;
        String endpointValue = trimmed(file, ENDPOINT_KEY);
        if (endpointValue != null) {
            try {
                endpoint = new URI(endpointValue);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException(ENDPOINT_KEY + " `" + endpointValue + "` is not a URL: " + e.getMessage());
            }
            if (endpoint.getScheme() == null || endpoint.getHost() == null) {
                throw new IllegalArgumentException(ENDPOINT_KEY + " `" + endpointValue
                        + "` is not an absolute URL: write e.g. http://localhost:8000");
            }
        }

        Properties daemon = new Properties();
        for (String name : file.stringPropertyNames()) {
            if (name.startsWith("kcl-ts.") || name.equals("streamArn")) continue;
            daemon.setProperty(name, file.getProperty(name));
        }
        daemon.setProperty("streamName", m.group(1));
        // DynamoDB Streams are read by polling only (no enhanced fan-out).
        daemon.setProperty("retrievalMode", "POLLING");
        return new BridgeSettings(arn, m.group(1), endpoint, daemon);
    }

    private static String describeWrongArn(String key, String value) {
        Matcher table = TABLE_ARN.matcher(value);
        if (table.matches()) {
            return key + " `" + value + "` is a table ARN, not a stream ARN: use the table's stream ARN, "
                    + value.replaceAll("/$", "") + "/stream/<label> (aws dynamodb describe-table --table-name "
                    + table.group(1) + " --query Table.LatestStreamArn)";
        }
        if (value.startsWith("arn:") && value.contains(":kinesis:")) {
            return key + " `" + value + "` is a Kinesis stream ARN, but " + SOURCE_KEY + " = " + SOURCE
                    + ": use a DynamoDB stream ARN, or remove " + SOURCE_KEY + " to read Kinesis";
        }
        return key + " `" + value + "` is not a DynamoDB stream ARN"
                + " (arn:aws:dynamodb:<region>:<12-digit account>:table/<table>/stream/<label>):"
                + " aws dynamodb describe-table --table-name <table> --query Table.LatestStreamArn prints it";
    }

    private static String trimmed(Properties file, String key) {
        String v = file.getProperty(key);
        if (v == null) return null;
        v = v.trim();
        return v.isEmpty() ? null : v;
    }
}
