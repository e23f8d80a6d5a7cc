package dev.kclts.streams;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The shards whose child processes still await their final word: initialized, and not yet ended, lost or
 * answered a shutdownRequested. On SIGTERM the bridge stops waiting for KCL's graceful shutdown once this
 * is empty: KCL's own wait also counts the consumers of shards that ended earlier (the adapter keeps their
 * leases for 6 hours), which never answer, so it would always run into shutdownGraceMillis.
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
