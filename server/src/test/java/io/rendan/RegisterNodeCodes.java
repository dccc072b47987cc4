package io.rendan;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Registers every package's error codes before each test class, as a node does
 * when it starts: unit tests that map a rejection to its status start no node.
 * Loaded for every test class (junit-platform.properties turns on JUnit's
 * extension autodetection; META-INF/services names this class).
 */
public final class RegisterNodeCodes implements BeforeAllCallback {
  @Override
  public void beforeAll(ExtensionContext context) {
    NodeCodes.register();
  }
}
