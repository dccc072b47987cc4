package io.rendan;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rendan.auth.Jwt;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A real node on a real port for tests, on an H2 file in a given directory or on
 * a PostgreSQL server, with a plain JDK HTTP client to talk to it.
 */
public final class TestNode implements AutoCloseable {
  public static final String SECRET = "rendan-test-secret-0123456789-abcdefghij";

  private final RendanNode node;
  private final Config config;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final Jwt jwt;

  private TestNode(RendanNode node, Config config) {
    this.node = node;
    this.config = config;
    this.jwt = new Jwt(SECRET.getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(30), Clock.systemUTC());
  }

  public static TestNode h2(Path dataDir, Map<String, Object> settings) throws Exception {
    Map<String, Object> all = new HashMap<>(settings);
    all.put("rendan.data-dir", dataDir.toString());
    all.putIfAbsent("rendan.db.url", "");
    return start(all);
  }

  public static TestNode h2(Path dataDir) throws Exception {
    return h2(dataDir, Map.of());
  }

  public static TestNode postgres(String url, String user, String password) throws Exception {
    return start(Map.of("rendan.db.url", url, "rendan.db.user", user, "rendan.db.password", password));
  }

  private static TestNode start(Map<String, Object> settings) throws Exception {
    Map<String, Object> all = new HashMap<>();
    all.put("rendan.http.host", "127.0.0.1");
    all.put("rendan.http.port", 0);
    all.put("rendan.dev-mode", "true");
    all.put("rendan.auth.hs256-secret", SECRET);
    // every request of every test is checked against the route tables
    all.put("rendan.http.undeclared-routes", "refuse");
    all.put("pekko.remote.artery.canonical.port", 0);
    all.put("pekko.remote.artery.canonical.hostname", "127.0.0.1");
    all.put("pekko.cluster.jmx.multi-mbeans-in-same-jvm", "on");
    // Never a fixed port: other builds on the machine run nodes at the same time.
    all.put("rendan.management.port", 0);
    all.put("rendan.management.bind-host", "127.0.0.1");
    // the benchmark's routes too, as the load harness serves them: tests cover them
    all.put("rendan.bench.enabled", true);
    all.putAll(settings);
    Config config = RendanNode.loadConfig(ConfigFactory.parseMap(all));
    return new TestNode(RendanNode.start(config), config);
  }

  public RendanNode node() {
    return node;
  }

  public int port() {
    return node.httpPort();
  }

  public URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port() + path);
  }

  public URI managementUri(String path) {
    return URI.create("http://127.0.0.1:" + node.managementPort() + path);
  }

  public URI wsUri() {
    return URI.create("ws://127.0.0.1:" + port() + "/v1/ws");
  }

  public String token(String subject, String... roles) {
    return jwt.issue(subject, List.of(roles), Duration.ofHours(1));
  }

  /** A token that expires after {@code ttl}. */
  public String tokenFor(Duration ttl, String subject, String... roles) {
    return jwt.issue(subject, List.of(roles), ttl);
  }

  public HttpResponse<String> get(String path, String token) throws Exception {
    return send(request(path, token).GET().build());
  }

  public HttpResponse<String> postJson(String path, String token, String json) throws Exception {
    return send(
        request(path, token)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build());
  }

  public HttpResponse<String> putJson(String path, String token, String json) throws Exception {
    return send(
        request(path, token)
            .header("Content-Type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofString(json))
            .build());
  }

  public HttpResponse<String> delete(String path, String token) throws Exception {
    return send(request(path, token).DELETE().build());
  }

  public HttpRequest.Builder request(String path, String token) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(15));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  public HttpResponse<String> send(HttpRequest request) throws Exception {
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  public HttpClient http() {
    return http;
  }

  /**
   * Rows that entities stored in the event journal, read through a separate JDBC
   * connection. Pekko's own sharding bookkeeping is left out: the appliance region
   * remembers its entities in the journal and writes a first row of its own,
   * asynchronously, when a node starts.
   */
  public long journalRows() throws Exception {
    return queryLong("SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" NOT LIKE '/sharding/%'");
  }

  /** The first column of the first row of a query on the node's database. */
  public long queryLong(String sql) throws Exception {
    try (Connection c = connection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  public Connection connection() throws Exception {
    return connection(config);
  }

  public Config config() {
    return config;
  }

  public static Connection connection(Config config) throws Exception {
    String url = config.getString("pekko-persistence-jdbc.shared-databases.slick.db.url");
    String user = config.getString("pekko-persistence-jdbc.shared-databases.slick.db.user");
    String password = config.getString("pekko-persistence-jdbc.shared-databases.slick.db.password");
    return DriverManager.getConnection(url, user, password);
  }

  /** Waits (polling, up to {@code within}) until {@code condition} holds; fails the test otherwise. */
  public static void await(Duration within, String what, java.util.concurrent.Callable<Boolean> condition)
      throws Exception {
    long deadline = System.nanoTime() + within.toNanos();
    while (!condition.call()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + within + ": " + what);
      }
      java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
    }
  }

  /** Stops the node (its coordinated shutdown) and logs how long that took. */
  @Override
  public void close() throws Exception {
    long started = System.nanoTime();
    node.close();
    org.slf4j.LoggerFactory.getLogger(TestNode.class)
        .info("test node stopped in {} ms", java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
  }
}
