package io.rendan.http;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.Message;
import com.typesafe.config.ConfigFactory;
import io.rendan.protocol.api.v1.BookReservationRequest;
import io.rendan.protocol.api.v1.InviteMemberRequest;
import io.rendan.protocol.api.v1.PlaceBidRequest;
import io.rendan.protocol.api.v1.PostCallRequest;
import io.rendan.protocol.api.v1.RecordRevenueRequest;
import io.rendan.protocol.api.v1.RegisterMeRequest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.stream.Materializer;
import org.junit.jupiter.api.Tag;

/**
 * Request bodies, JSON and protobuf, into the API's request messages: any body
 * parses or is refused with a 4xx whose message names no Java class.
 */
@Tag("unit")
class HttpCodecFuzzTest {
  private static final List<Supplier<Message.Builder>> MESSAGES =
      List.of(
          RegisterMeRequest::newBuilder,
          InviteMemberRequest::newBuilder,
          RecordRevenueRequest::newBuilder,
          PostCallRequest::newBuilder,
          PlaceBidRequest::newBuilder,
          BookReservationRequest::newBuilder);
  private static HttpCodec codec;

  private static synchronized HttpCodec codec() {
    if (codec == null) {
      // Pekko's defaults, not the node's application.conf: that one makes a
      // cluster member on the fixed remoting port 25520, which a node running
      // beside the tests may hold.
      ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "codec-fuzz", ConfigFactory.defaultReference());
      codec = new HttpCodec(Materializer.matFromSystem(system), 4096, Duration.ofSeconds(5));
    }
    return codec;
  }

  @FuzzTest(maxDuration = "2m")
  void anyBodyParsesOrIsRefusedWithA4xx(FuzzedDataProvider data) throws Exception {
    Message.Builder builder = data.pickValue(MESSAGES).get();
    boolean protobuf = data.consumeBoolean();
    byte[] body = data.consumeRemainingAsBytes();
    HttpRequest request =
        HttpRequest.POST("/")
            .withEntity(HttpEntities.create(protobuf ? HttpCodec.PROTOBUF : ContentTypes.APPLICATION_JSON, body));
    try {
      codec().read(request, builder).toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      assertTrue(cause instanceof ApiException, "not an ApiException: " + cause);
      ApiException api = (ApiException) cause;
      assertTrue(api.status() >= 400 && api.status() < 500, api.code());
      assertFalse(api.getMessage().matches("(?s).*[a-z]\\.[a-z]+\\.[A-Z]\\w*(Exception|Error).*"), api.getMessage());
    }
  }
}
