package io.rendan;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigResolveOptions;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Where a node listens when RENDAN_HTTP_HOST is not set, and that setting it wins. */
@Tag("unit")
class HttpHostTest {
  @Test
  void devModeListensOnLoopbackUnlessTold() {
    var unset = ConfigFactory.parseMap(Map.of("rendan.http.host", ""));
    assertEquals("127.0.0.1", RendanNode.httpHost(unset, true), "anyone who reaches a dev node can mint an admin token");
    assertEquals("0.0.0.0", RendanNode.httpHost(unset, false));

    var docker = ConfigFactory.parseMap(Map.of("rendan.http.host", "0.0.0.0"));
    assertEquals("0.0.0.0", RendanNode.httpHost(docker, true));
    assertEquals("10.1.2.3", RendanNode.httpHost(ConfigFactory.parseMap(Map.of("rendan.http.host", " 10.1.2.3 ")), false));
  }

  @Test
  void theShippedDefaultLeavesTheChoiceToDevMode() {
    var shipped = ConfigFactory.parseResources("application.conf").resolve(ConfigResolveOptions.noSystem().setAllowUnresolved(true));
    assertEquals("", shipped.getString("rendan.http.host"));
  }
}
