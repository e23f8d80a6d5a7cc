package dev.kclts.streams;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The shards whose child processes are running: from initialize until leaseLost or shardEnded has
 * returned (the daemon's processor has then closed the child's stdin and waited for it to exit). A
 * graceful stop sends each shutdownRequested (the child checkpoints), then leaseLost (graceful lease
 * hand-off). On SIGTERM the bridge stops waiting for KCL's graceful shutdown once this is empty: KCL's own
 * wait also counts the consumers of shards that ended earlier (the adapter keeps their leases for 6 hours),
 * which never answer, so it would always run into shutdownGraceMillis. Waiting for leaseLost, not just
 * for shutdownRequested, keeps the JVM from halting while a processor still talks to its child (an error
 * there calls System.exit(1), which would then decide the exit code).
 */
final class LiveShards {
    private static final Set<Object> LIVE = ConcurrentHashMap.newKeySet();

    private LiveShards() {}

    static void started(Object processor) {
        LIVE.add(processor);
    }

    static void finished(Object processor) {
        LIVE.remove(processor);
    }

    static boolean none() {
        return LIVE.isEmpty();
    }

    static int count() {
        return LIVE.size();
    }
}
