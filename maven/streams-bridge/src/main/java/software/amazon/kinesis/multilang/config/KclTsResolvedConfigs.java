package software.amazon.kinesis.multilang.config;

import dev.kclts.streams.ResolvedConfigs;
import software.amazon.kinesis.processor.ShardRecordProcessorFactory;

/**
 * Lives in the daemon's configuration package only to reach its package-private
 * {@code MultiLangDaemonConfiguration#resolvedConfiguration}: the seven KCL config objects exactly as the
 * MultiLangDaemon would build its scheduler from them (every property applied), before it builds one.
 */
public final class KclTsResolvedConfigs {
    private KclTsResolvedConfigs() {}

    /** The daemon's own resolution of the properties into KCL config objects, with our record processors. */
    public static ResolvedConfigs resolve(
            MultiLangDaemonConfiguration configuration, ShardRecordProcessorFactory processors) {
        MultiLangDaemonConfiguration.ResolvedConfiguration r = configuration.resolvedConfiguration(processors);
        return new ResolvedConfigs(
                r.getCheckpointConfig(),
                r.getCoordinatorConfig(),
                r.getLeaseManagementConfig(),
                r.getLifecycleConfig(),
                r.getMetricsConfig(),
                r.getProcessorConfig(),
                r.getRetrievalConfig());
    }
}
