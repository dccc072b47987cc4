package io.rendan.appliance;

import static org.junit.jupiter.api.Assertions.*;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rendan.http.ApiException;
import io.rendan.http.ErrorCodes;
import io.rendan.http.HttpCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A batch of a device stream that was not stored ends the stream before any later
 * batch is written. Before, the next batch was already on its way to the entity
 * when the error frame ended the stream: stored after a lost batch, it left a gap
 * under a higher stored seq, and the device's next stream, opening at that seq,
 * took the lost readings as acknowledged (the rolling restart of issue 20).
 */
@Tag("unit")
class TelemetryBatchFailureTest {
  private static ActorTestKit testKit;
  private static TelemetryIngest ingest;
  private static Materializer materializer;

  @BeforeAll
  static void start() {
    Config config =
        ConfigFactory.parseString("rendan.appliance.ingest { max-batch = 1, linger = 0ms }")
            .withFallback(ConfigFactory.parseResources("application.conf"))
            .resolve();
    // a local actor system: binding the cluster's port would collide with node tests running beside it
    testKit = ActorTestKit.create(ConfigFactory.parseString("pekko.actor.provider = local").withFallback(ConfigFactory.load()));
    materializer = Materializer.createMaterializer(testKit.system());
    ingest =
        new TelemetryIngest(testKit.system(), null, new HttpCodec(materializer, 1_000_000, Duration.ofSeconds(5)), ApplianceConfig.from(config));
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void noBatchIsWrittenAfterOneThatWasNotStored() throws Exception {
    List<Long> written = new CopyOnWriteArrayList<>();
    TelemetryIngest.Store store =
        readings -> {
          long seq = readings.get(0).seq();
          written.add(seq);
          if (seq == 2) { // lost in a hand-over: the ask timed out
            return CompletableFuture.failedFuture(new ApiException(ErrorCodes.SERVER_UNAVAILABLE, "ask timed out"));
          }
          return CompletableFuture.completedFuture(new ApplianceProtocol.Recorded(seq, 1, 0, List.of()));
        };
    StringBuilder lines = new StringBuilder();
    for (int seq = 1; seq <= 4; seq++) {
      lines.append("{\"seq\":").append(seq).append(",\"heartbeat\":{}}\n");
    }
    HttpRequest request =
        HttpRequest.POST("/v1/admin/sink/a1/telemetry")
            .withEntity(HttpEntities.create(TelemetryIngest.NDJSON, lines.toString().getBytes(StandardCharsets.UTF_8)));
    HttpResponse response = ingest.openStream("a1", request, store);
    String body =
        response.entity().getDataBytes().runFold(ByteString.emptyByteString(), ByteString::concat, materializer)
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS)
            .utf8String();
    assertEquals(List.of(1L, 2L), written, "nothing after the failed batch reaches the store: " + body);
    assertTrue(body.contains("server:unavailable"), body);
    assertFalse(body.contains("\"seq\":\"3\"") || body.contains("\"seq\":\"4\""), "no ack beyond the failure: " + body);
  }
}
