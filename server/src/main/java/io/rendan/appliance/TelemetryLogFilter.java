package io.rendan.appliance;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.Marker;

/**
 * Drops Pekko HTTP's warning about a 2xx response sent before the end of its
 * request, for the telemetry route only: streaming acks while the device is
 * still sending is what that route is for, and the warning would otherwise be
 * logged once for every device connection. Bound in logback.xml.
 */
public final class TelemetryLogFilter extends TurboFilter {
  private static final String EARLY_RESPONSE = "Sending an 2xx 'early' response before end of request";

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (level == Level.WARN && format != null && format.startsWith(EARLY_RESPONSE) && format.contains("/telemetry ")) {
      return FilterReply.DENY;
    }
    return FilterReply.NEUTRAL;
  }
}
