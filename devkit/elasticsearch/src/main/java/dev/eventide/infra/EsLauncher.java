package dev.eventide.infra;

import org.elasticsearch.cluster.ClusterState;
import org.elasticsearch.cluster.health.ClusterHealthStatus;
import org.elasticsearch.cluster.health.ClusterStateHealth;
import org.elasticsearch.cluster.service.ClusterService;
import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.gateway.GatewayService;
import org.elasticsearch.http.HttpServerTransport;
import org.elasticsearch.node.ClasspathNode;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.transport.TransportService;
import org.elasticsearch.transport.netty4.Netty4Plugin;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Runs a real single-node Elasticsearch 8.x in this JVM, built only from Maven Central artifacts.
 *
 * Why not bin/elasticsearch: the distribution tarball lives on artifacts.elastic.co (unreachable), and
 * most 8.x modules are not on Maven Central. What IS published is the server jar + transport-netty4,
 * which is everything needed for core indexing/search/aggregations over plain HTTP (no x-pack => no
 * security, no auth, no TLS).
 *
 * Usage: EsLauncher <httpPort> <transportPort> <homeDir> <clusterName> [logLevel]
 *   ports may be 0 (= pick a free port; the real one is printed in the READY line).
 * Prints exactly one line "EVENTIDE_ES_READY http://127.0.0.1:<port>" once the node is started, has
 * elected itself master and recovered cluster state. SIGTERM/SIGINT closes the node and exits.
 */
public final class EsLauncher {

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: EsLauncher <httpPort> <transportPort> <homeDir> <clusterName> [logLevel=warn]");
            System.exit(2);
        }
        Path home = Path.of(args[2]).toAbsolutePath();
        String logLevel = args.length > 4 ? args[4] : "warn";
        Files.createDirectories(home.resolve("config")); // elasticsearch.yml is optional; the dir is not

        Settings settings = Settings.builder()
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("cluster.name", args[3])
            .put("node.name", args[3] + "-node")
            .put("network.host", "127.0.0.1")        // loopback only (also skips production bootstrap checks)
            .put("http.port", args[0])
            .put("transport.port", args[1])
            .put("discovery.type", "single-node")
            // test-friendly: no read-only flip when the shared disk is >90% full; allow DELETE of wildcards
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .put("action.destructive_requires_name", false)
            .put("logger.level", logLevel)
            .build();

        // No log4j2.properties: console logging at the requested root level.
        LogConfigurator.configureWithoutConfig(settings);
        Environment env = InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), home.resolve("config"), () -> args[3]);

        // Netty4Plugin = HTTP + transport layer; RootEndpointPlugin = GET / (rest-root isn't published).
        Node node = new ClasspathNode(env, List.of(Netty4Plugin.class, RootEndpointPlugin.class));

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.prepareForClose();
                node.close();
                node.awaitClose(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                System.out.println("EVENTIDE_ES_STOPPED");
                stopped.countDown();
            }
        }, "es-shutdown"));

        node.start();
        // start() returns once the node has joined; also wait until it is master, state is recovered and
        // no primary is unassigned (matters when reusing a data dir), so READY means "requests will succeed".
        ClusterService cs = node.injector().getInstance(ClusterService.class);
        for (;;) {
            ClusterState s = cs.state();
            if (s.nodes().getMasterNodeId() != null
                && s.blocks().hasGlobalBlock(GatewayService.STATE_NOT_RECOVERED_BLOCK) == false
                && new ClusterStateHealth(s).getStatus() != ClusterHealthStatus.RED) break;
            Thread.sleep(25);
        }
        var http = node.injector().getInstance(HttpServerTransport.class).boundAddress().publishAddress();
        var transport = node.injector().getInstance(TransportService.class).boundAddress().publishAddress();
        System.out.println("EVENTIDE_ES_READY http://127.0.0.1:" + http.getPort() + " transport=" + transport.getPort());
        System.out.flush();
        stopped.await(); // ES threads are daemons: keep the JVM alive until the shutdown hook has run
    }
}
