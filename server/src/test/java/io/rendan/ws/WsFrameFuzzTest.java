package io.rendan.ws;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.rendan.http.ApiException;
import io.rendan.http.ErrorCodes;
import org.junit.jupiter.api.Tag;

/**
 * Decoding of WebSocket client frames, text (JSON) and binary (protobuf): any
 * input decodes or is {@code request:malformed}, nothing else escapes.
 */
@Tag("unit")
class WsFrameFuzzTest {
  @FuzzTest(maxDuration = "2m")
  void anyMessageDecodesOrIsMalformed(FuzzedDataProvider data) {
    boolean binary = data.consumeBoolean();
    try {
      if (binary) {
        WsFrames.decode(data.consumeRemainingAsBytes());
      } else {
        WsFrames.decode(data.consumeRemainingAsString());
      }
    } catch (ApiException e) {
      assertEquals(ErrorCodes.REQUEST_MALFORMED, e.code());
    }
  }
}
