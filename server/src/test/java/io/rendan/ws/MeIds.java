package io.rendan.ws;

import io.rendan.TestNode;

final class MeIds {
  private MeIds() {}

  static String register(TestNode node, String token) throws Exception {
    var r = node.postJson("/v1/mes", token, "{\"name\":\"Test ME\",\"kind\":\"INTERNAL\"}");
    if (r.statusCode() != 201) {
      throw new AssertionError(r.body());
    }
    return r.body().replaceAll(".*\"meId\":\"([^\"]+)\".*", "$1");
  }
}
