package io.rendan.load.harness;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class FileLimitsTest {
  @Test
  void readsTheOpenFilesLineOfProcLimits() {
    OptionalLong[] limits =
        FileLimits.parse(
            List.of(
                "Limit                     Soft Limit           Hard Limit           Units     ",
                "Max processes             unlimited            unlimited            processes ",
                "Max open files            20000                20000                files     "));
    assertEquals(OptionalLong.of(20_000), limits[0]);
    assertEquals(OptionalLong.of(20_000), limits[1]);
    assertTrue(FileLimits.parse(List.of("Max open files  unlimited  unlimited  files"))[0].isEmpty());
  }

  @Test
  void streamsBeyondTheLimitFailWithWhatToChange() {
    // this machine's case: a hard limit of 20 000 holds ~19 800 streams, not 50 000
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> FileLimits.requireRoomFor(50_000, OptionalLong.of(20_000), OptionalLong.of(20_000)));
    assertTrue(e.getMessage().contains("the limit is 20000"), e.getMessage());
    assertTrue(e.getMessage().contains("at most 19500 streams"), e.getMessage());
    assertTrue(e.getMessage().contains("nofile=65536"), e.getMessage());
    FileLimits.requireRoomFor(19_500, OptionalLong.of(20_000), OptionalLong.of(20_000));
    FileLimits.requireRoomFor(1_000_000, OptionalLong.empty(), OptionalLong.empty());
  }
}
