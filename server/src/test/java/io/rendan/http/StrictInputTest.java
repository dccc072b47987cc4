package io.rendan.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.rendan.protocol.api.v1.ClientFrame;
import io.rendan.protocol.api.v1.RegisterMeRequest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The strict reading of request bodies and WebSocket frames, without a node (the
 * corpus in src/test/resources/malformed replays the same against a real one).
 */
@Tag("unit")
class StrictInputTest {
  @Test
  void jsonNestedFarDeeperThanTheStackAllowsIsMalformed() {
    String deep = "{\"getMe\":".repeat(100_000) + "{}" + "}".repeat(100_000);
    assertMalformed(() -> StrictInput.mergeJson(deep, ClientFrame.newBuilder()));
    String arrays = "{\"capabilities\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}";
    assertMalformed(() -> StrictInput.mergeJson(arrays, RegisterMeRequest.newBuilder()));
  }

  @Test
  void wrongJsonTypesAreMalformedWhereTheLenientParserTookThem() {
    assertMalformed(() -> StrictInput.mergeJson("{\"meId\":true}", RegisterMeRequest.newBuilder()));
    assertMalformed(() -> StrictInput.mergeJson("{\"capabilities\":[1,2]}", RegisterMeRequest.newBuilder()));
    assertMalformed(() -> StrictInput.mergeJson("{\"name\":\"x\"/*c*/}", RegisterMeRequest.newBuilder()));
    assertMalformed(() -> StrictInput.mergeJson("\uFEFF{\"name\":\"x\"}", RegisterMeRequest.newBuilder()));
  }

  @Test
  void theContractsOwnFormsStillParse() {
    RegisterMeRequest.Builder b = RegisterMeRequest.newBuilder();
    StrictInput.mergeJson("{\"me_id\":\"m\",\"name\":\"x\",\"kind\":\"INTERNAL\",\"capabilities\":[\"a\"]}", b);
    assertEquals("m", b.getMeId());
    assertEquals(1, b.getCapabilitiesCount());
    ClientFrame.Builder f = ClientFrame.newBuilder();
    StrictInput.mergeJson("{\"requestId\":\"1\",\"getMe\":{\"meId\":\"m\"}}", f);
    assertEquals("m", f.getGetMe().getMeId());
  }

  @Test
  void protobufWithFieldsTheMessageDoesNotHaveIsMalformedLikeJson() throws Exception {
    byte[] unknownOnly = {(byte) 0x98, 0x06, 0x01};
    assertMalformed(() -> StrictInput.mergeProtobuf(unknownOnly, RegisterMeRequest.newBuilder()));
    // getMe (a message field) holding only field 99
    com.google.protobuf.UnknownFieldSet unknown =
        com.google.protobuf.UnknownFieldSet.newBuilder()
            .addField(99, com.google.protobuf.UnknownFieldSet.Field.newBuilder().addVarint(1).build())
            .build();
    byte[] withNested =
        ClientFrame.newBuilder()
            .setRequestId("1")
            .setGetMe(io.rendan.protocol.api.v1.GetMeRequest.newBuilder().setUnknownFields(unknown))
            .build()
            .toByteArray();
    assertMalformed(() -> StrictInput.mergeProtobuf(withNested, ClientFrame.newBuilder()));
    // found through the oneof's one member, and named by its path
    assertEquals("getMe#99", StrictInput.unknownField(ClientFrame.newBuilder().mergeFrom(withNested), ""));
    ClientFrame clean =
        ClientFrame.newBuilder()
            .setRequestId("2")
            .setPlaceBid(io.rendan.protocol.api.v1.PlaceBidRequest.newBuilder().setRoundId("r").setBidId("b").setMeId("m"))
            .build();
    ClientFrame.Builder parsed = ClientFrame.newBuilder();
    StrictInput.mergeProtobuf(clean.toByteArray(), parsed);
    assertEquals(clean, parsed.build());
  }

  private static void assertMalformed(Runnable parse) {
    ApiException e = assertThrows(ApiException.class, parse::run);
    assertEquals(ErrorCodes.REQUEST_MALFORMED, e.code());
  }
}
