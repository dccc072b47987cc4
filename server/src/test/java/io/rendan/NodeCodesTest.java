package io.rendan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rendan.appliance.ApplianceCodes;
import io.rendan.auth.AuthCodes;
import io.rendan.bidding.BiddingCodes;
import io.rendan.charter.CharterCodes;
import io.rendan.emc.EmcCodes;
import io.rendan.http.ErrorCodes;
import io.rendan.me.MeCodes;
import io.rendan.painpoint.PainPointCodes;
import io.rendan.vocabulary.CommonCodes;
import io.rendan.vocabulary.ErrorCode;
import io.rendan.ws.WsCodes;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Each package declares its error codes with their HTTP status; the node gathers
 * them (NodeCodes) and http/ErrorCodes looks them up. Codes and statuses are
 * part of the API: docs/API.md lists each with its status.
 */
@Tag("unit")
class NodeCodesTest {
  /** Each package's codes class, in the order of NodeCodes.BY_PACKAGE. */
  private static final List<Class<?>> OWNERS =
      List.of(
          CommonCodes.class,
          ErrorCodes.class,
          AuthCodes.class,
          WsCodes.class,
          MeCodes.class,
          EmcCodes.class,
          CharterCodes.class,
          BiddingCodes.class,
          PainPointCodes.class,
          ApplianceCodes.class);

  @Test
  void noTwoPackagesDeclareTheSameCodeAndEachHasOneStatus() {
    Map<String, String> owner = new HashMap<>();
    assertEquals(OWNERS.size(), NodeCodes.BY_PACKAGE.size(), "a codes class registered in NodeCodes but not listed here");
    for (int i = 0; i < OWNERS.size(); i++) {
      String pkg = OWNERS.get(i).getSimpleName();
      for (ErrorCode code : NodeCodes.BY_PACKAGE.get(i)) {
        String before = owner.put(code.code(), pkg);
        assertEquals(null, before, code.code() + " is declared by " + before + " and by " + pkg);
        assertEquals(code.status(), ErrorCodes.status(code.code()), code.code() + " is registered with another status");
      }
    }
    assertEquals(116, owner.size(), "a code was added or dropped: add it to docs/API.md too, never drop one");
  }

  @Test
  void everyCodeConstantOfAPackageIsDeclaredWithItsStatus() throws IllegalAccessException {
    for (int i = 0; i < OWNERS.size(); i++) {
      List<String> declared = NodeCodes.BY_PACKAGE.get(i).stream().map(ErrorCode::code).toList();
      for (Field f : OWNERS.get(i).getDeclaredFields()) {
        if (f.getType() != String.class || !Modifier.isStatic(f.getModifiers()) || !Modifier.isPublic(f.getModifiers())) {
          continue;
        }
        String code = (String) f.get(null);
        // http/ErrorCodes re-exports the shared codes of CommonCodes, which declares them
        assertTrue(
            declared.contains(code) || (OWNERS.get(i) == ErrorCodes.class && CommonCodes.CODES.stream().anyMatch(c -> c.code().equals(code))),
            OWNERS.get(i).getSimpleName() + "." + f.getName() + " (" + code + ") has no status in its CODES");
      }
    }
  }

  @Test
  void docsApiListsEveryCodeWithItsStatus() throws IOException {
    String doc = Files.readString(Path.of("..", "docs", "API.md"));
    for (List<ErrorCode> codes : NodeCodes.BY_PACKAGE) {
      for (ErrorCode code : codes) {
        Matcher row = Pattern.compile("\\|\\s*`" + Pattern.quote(code.code()) + "`\\s*\\|\\s*(\\d{3})\\s*\\|").matcher(doc);
        assertTrue(row.find(), "docs/API.md has no row for " + code.code());
        assertEquals(code.status(), Integer.parseInt(row.group(1)), "docs/API.md gives " + code.code() + " another status");
      }
    }
  }

  @Test
  void aCodeCannotBeRegisteredWithASecondStatus() {
    ErrorCodes.register(List.of(ErrorCode.of(MeCodes.NOT_FOUND, 404)));
    assertThrows(IllegalStateException.class, () -> ErrorCodes.register(List.of(ErrorCode.of(MeCodes.NOT_FOUND, 410))));
    assertEquals(404, ErrorCodes.status(MeCodes.NOT_FOUND));
    assertFalse(ErrorCodes.isRegistered("me:no-such-code"));
    assertThrows(IllegalArgumentException.class, () -> ErrorCodes.status("me:no-such-code"));
  }
}
