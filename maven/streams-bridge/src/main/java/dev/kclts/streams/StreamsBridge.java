package dev.kclts.streams;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import com.amazonaws.services.dynamodbv2.streamsadapter.AmazonDynamoDBStreamsAdapterClient;
import com.amazonaws.services.dynamodbv2.streamsadapter.StreamsSchedulerFactory;
import com.amazonaws.services.dynamodbv2.streamsadapter.polling.DynamoDBStreamsPollingConfig;
import com.amazonaws.services.dynamodbv2.streamsadapter.util.KinesisMapperUtil;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClientBuilder;
import software.amazon.awssdk.services.kinesis.KinesisServiceClientConfiguration;
import software.amazon.kinesis.common.InitialPositionInStreamExtended;
import software.amazon.kinesis.coordinator.Scheduler;
import software.amazon.kinesis.multilang.MultiLangDaemonConfig;
import software.amazon.kinesis.multilang.MultiLangRecordProcessorFactory;
import software.amazon.kinesis.multilang.config.KclTsResolvedConfigs;
import software.amazon.kinesis.processor.ShardRecordProcessorFactory;
import software.amazon.kinesis.retrieval.RetrievalConfig;
import software.amazon.kinesis.retrieval.RetrievalSpecificConfig;
import software.amazon.kinesis.retrieval.polling.PollingConfig;

/**
 * kcl-ts's DynamoDB Streams bridge: the MultiLangDaemon for a DynamoDB stream, on KCL 3.
 *
 * <p>Same command line and .properties file as the MultiLangDaemon ({@code -p FILE [-l logback.xml]}), plus
 * {@code kcl-ts.source = dynamodb-streams} and {@code streamArn = <the table's stream ARN>} (see
 * {@link BridgeSettings}). The daemon's own classes read the file ({@link MultiLangDaemonConfig}: executable,
 * thread pool, every KCL property) and its own child-process record processor runs the children; the
 * DynamoDB Streams Kinesis Adapter builds the scheduler ({@link StreamsSchedulerFactory}) that feeds it.
 * Shutdown and exit codes follow the daemon: SIGTERM asks every shard for shutdownRequested and waits up to
 * shutdownGraceMillis; a failed child ends the JVM with 1.
 */
public final class StreamsBridge {
    private static final Logger log = LoggerFactory.getLogger(StreamsBridge.class);
    private static final BackoffStrategy BACKOFF = BackoffStrategy.exponentialDelay(Duration.ofMillis(100), Duration.ofSeconds(10));

    private StreamsBridge() {}

    public static void main(String[] args) {
        int exitCode = 1;
        try {
            Arguments a = Arguments.parse(args);
            if (a.logConfiguration != null) configureLogging(a.logConfiguration);
            exitCode = run(a.propertiesFile);
        } catch (IllegalArgumentException e) {
            System.err.println("kcl-ts streams bridge: " + e.getMessage());
        } catch (Throwable t) {
            log.error("kcl-ts streams bridge failed to start", t);
            System.err.println("kcl-ts streams bridge: " + t);
        }
        System.exit(exitCode);
    }

    private static int run(String propertiesFile) throws IOException {
        Properties file = new Properties();
        try (InputStream in = new FileInputStream(propertiesFile)) {
            file.load(in); // ISO-8859-1, as the daemon reads it
        }
        BridgeSettings settings = BridgeSettings.from(file);
        // The daemon's own configuration, read from the rewritten properties (it looks the name up on the
        // class loader first, so this loader serves them under the file's own name).
        MultiLangDaemonConfig daemon = new MultiLangDaemonConfig(propertiesFile, serving(propertiesFile, settings.daemonProperties()));
        MultiLangRecordProcessorFactory children = daemon.getRecordProcessorFactory();
        ShardRecordProcessorFactory processors = () -> new ChildProcessRecordProcessor(children.shardRecordProcessor());
        ResolvedConfigs configs = KclTsResolvedConfigs.resolve(daemon.getMultiLangDaemonConfiguration(), processors);

        // Region and credentials as the daemon resolved them for its (here unused) Kinesis client.
        KinesisServiceClientConfiguration kinesis = configs.retrieval.kinesisClient().serviceClientConfiguration();
        Region region = kinesis.region();
        DynamoDbStreamsClientBuilder streams = DynamoDbStreamsClient.builder()
                .region(region)
                .credentialsProvider(kinesis.credentialsProvider())
                .httpClientBuilder(ApacheHttpClient.builder())
                // The retries DynamoDB Streams recommends (and the adapter's own client uses): up to 10
                // attempts, exponential backoff from 100 ms to 10 s, for throttling too.
                .overrideConfiguration(ClientOverrideConfiguration.builder()
                        .retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder()
                                .maxAttempts(10)
                                .backoffStrategy(BACKOFF)
                                .throttlingBackoffStrategy(BACKOFF)
                                .build())
                        .build());
        if (settings.endpoint != null) streams.endpointOverride(settings.endpoint);
        AmazonDynamoDBStreamsAdapterClient adapter = new AmazonDynamoDBStreamsAdapterClient(streams.build(), region);

        RetrievalConfig retrieval = streamsRetrieval(configs.retrieval, settings, adapter, daemon.getMultiLangDaemonConfiguration().getApplicationName());
        Scheduler scheduler = StreamsSchedulerFactory.createScheduler(
                configs.checkpoint,
                configs.coordinator,
                configs.leaseManagement,
                configs.lifecycle,
                configs.metrics,
                configs.processor,
                retrieval,
                adapter);
        log.info("kcl-ts streams bridge: reading {} ({}) with executable {}", settings.streamArn, region,
                file.getProperty("executableName").trim());

        long graceMillis = daemon.getMultiLangDaemonConfiguration().getShutdownGraceMillis();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("Process terminated, will initiate shutdown.");
            try {
                Future<Boolean> done = scheduler.startGracefulShutdown();
                long deadline = System.currentTimeMillis() + graceMillis;
                // Done when KCL says so, or when every live shard's child has had shutdownRequested and
                // leaseLost and exited (KCL would also wait for consumers of ended shards; see LiveShards).
                while (!done.isDone() && !LiveShards.none() && System.currentTimeMillis() < deadline) {
                    Thread.sleep(100);
                }
                if (done.isDone() || LiveShards.none()) {
                    log.info("Process shutdown is complete.");
                } else {
                    log.error("Shutdown did not complete within shutdownGraceMillis ({} ms): {} shard(s) still running",
                            graceMillis, LiveShards.count());
                }
            } catch (InterruptedException e) {
                log.error("Interrupted during shutdown.", e);
            }
        }));
        Future<Integer> running = daemon.getExecutorService().submit(() -> {
            try {
                scheduler.run();
                return 0;
            } catch (Throwable t) {
                log.error("Caught throwable while processing data", t);
                return 1;
            }
        });
        try {
            return running.get();
        } catch (Exception e) {
            log.error("Encountered an error while running the bridge", e);
            return 1;
        }
    }

    /**
     * The retrieval config for the stream: the adapter's stream tracker and polling config, with the settings
     * the daemon resolved from the properties (initial position, polling keys, list-shards retries).
     */
    private static RetrievalConfig streamsRetrieval(
            RetrievalConfig resolved, BridgeSettings settings, AmazonDynamoDBStreamsAdapterClient adapter, String applicationName) {
        // The daemon sets the initial position on its stream tracker (RetrievalConfig's own field keeps LATEST).
        InitialPositionInStreamExtended position =
                resolved.streamTracker().streamConfigList().get(0).initialPositionInStreamExtended();
        RetrievalConfig retrieval = new RetrievalConfig(
                        adapter, StreamsSchedulerFactory.createSingleStreamTracker(settings.streamArn, position), applicationName)
                .listShardsBackoffTimeInMillis(resolved.listShardsBackoffTimeInMillis())
                .maxListShardsRetryAttempts(resolved.maxListShardsRetryAttempts());
        DynamoDBStreamsPollingConfig polling = new DynamoDBStreamsPollingConfig(
                KinesisMapperUtil.createKinesisStreamIdentifierFromDynamoDBStreamsArn(settings.streamArn, false), adapter);
        RetrievalSpecificConfig specific = resolved.retrievalSpecificConfig();
        if (specific instanceof PollingConfig) {
            PollingConfig p = (PollingConfig) specific;
            polling.maxRecords(p.maxRecords());
            polling.retryGetRecordsInSeconds(p.retryGetRecordsInSeconds());
            polling.maxGetRecordsThreadPool(p.maxGetRecordsThreadPool());
            polling.millisBehindLatestThresholdForReducedTps(p.millisBehindLatestThresholdForReducedTps());
            polling.kinesisRequestTimeout(p.kinesisRequestTimeout());
            if (p.usePollingConfigIdleTimeValue()) polling.idleTimeBetweenReadsInMillis(p.idleTimeBetweenReadsInMillis());
        }
        retrieval.retrievalSpecificConfig(polling);
        return retrieval;
    }

    /** A class loader that serves {@code props} as the resource {@code name}. */
    private static ClassLoader serving(String name, Properties props) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        props.store(bytes, null);
        byte[] content = bytes.toByteArray();
        return new ClassLoader(StreamsBridge.class.getClassLoader()) {
            @Override
            public InputStream getResourceAsStream(String resource) {
                return name.equals(resource) ? new ByteArrayInputStream(content) : super.getResourceAsStream(resource);
            }
        };
    }

    private static void configureLogging(String logConfiguration) throws Exception {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        context.reset();
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        try (InputStream in = new FileInputStream(new File(logConfiguration))) {
            configurator.doConfigure(in);
        }
    }

    /** {@code -p/--properties-file FILE} (or one bare FILE) and {@code -l/--log-configuration FILE}, as the daemon. */
    static final class Arguments {
        String propertiesFile;
        String logConfiguration;

        static Arguments parse(String[] args) {
            Arguments a = new Arguments();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                boolean hasValue = i + 1 < args.length;
                if ((arg.equals("-p") || arg.equals("--properties-file")) && hasValue) a.propertiesFile = args[++i];
                else if ((arg.equals("-l") || arg.equals("--log-configuration")) && hasValue) a.logConfiguration = args[++i];
                else if (!arg.startsWith("-") && a.propertiesFile == null) a.propertiesFile = arg;
                else throw new IllegalArgumentException("unexpected argument `" + arg + "`; usage: -p <app.properties> [-l <logback.xml>]");
            }
            if (a.propertiesFile == null) throw new IllegalArgumentException("usage: -p <app.properties> [-l <logback.xml>]");
            return a;
        }
    }

}
