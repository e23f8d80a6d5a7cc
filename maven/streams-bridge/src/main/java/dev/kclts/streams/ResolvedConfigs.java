package dev.kclts.streams;

import software.amazon.kinesis.checkpoint.CheckpointConfig;
import software.amazon.kinesis.coordinator.CoordinatorConfig;
import software.amazon.kinesis.leases.LeaseManagementConfig;
import software.amazon.kinesis.lifecycle.LifecycleConfig;
import software.amazon.kinesis.metrics.MetricsConfig;
import software.amazon.kinesis.processor.ProcessorConfig;
import software.amazon.kinesis.retrieval.RetrievalConfig;

/** The seven KCL config objects a scheduler is built from. */
public final class ResolvedConfigs {
    public final CheckpointConfig checkpoint;
    public final CoordinatorConfig coordinator;
    public final LeaseManagementConfig leaseManagement;
    public final LifecycleConfig lifecycle;
    public final MetricsConfig metrics;
    public final ProcessorConfig processor;
    public final RetrievalConfig retrieval;

    public ResolvedConfigs(
            CheckpointConfig checkpoint,
            CoordinatorConfig coordinator,
            LeaseManagementConfig leaseManagement,
            LifecycleConfig lifecycle,
            MetricsConfig metrics,
            ProcessorConfig processor,
            RetrievalConfig retrieval) {
        this.checkpoint = checkpoint;
        this.coordinator = coordinator;
        this.leaseManagement = leaseManagement;
        this.lifecycle = lifecycle;
        this.metrics = metrics;
        this.processor = processor;
        this.retrieval = retrieval;
    }
}
