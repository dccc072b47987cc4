package io.rendan.console;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import io.rendan.http.ApiException;
import io.rendan.http.Endpoint;
import io.rendan.http.ErrorCodes;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.EntityTag;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The live console: static files (HTML, ES modules, CSS) from the class path under
 * {@code console/}, served at {@code /} and {@code /console/...} without a token.
 * Everything the page shows it reads through the public API like any app, with
 * the token its user signs in with; these files hold no data.
 *
 * <p>The files carry no version in their names, so browsers revalidate them on
 * every load ({@code no-cache} with an ETag): a node upgraded in place never serves
 * a page that mixes old and new modules.
 */
public final class ConsoleRoutes {
  public static final List<Endpoint> ENDPOINTS =
      List.of(
          Endpoint.get("/", Endpoint.Access.PUBLIC, "anyone: the console's page, no data in it"),
          Endpoint.get("/console/{file...}", Endpoint.Access.PUBLIC, "anyone: the console's scripts, styles and settings (dev mode or not)"));

  private static final String ROOT = "console/";
  /** Lower-case names with one known extension, at most three folders deep: no way out of {@code console/}. */
  private static final Pattern ASSET = Pattern.compile("([a-z0-9][a-z0-9_-]*/){0,3}[a-z0-9][a-z0-9_.-]*\\.[a-z0-9]+");

  private static final Map<String, ContentType> TYPES =
      Map.of(
          "html", ContentTypes.TEXT_HTML_UTF8,
          "js", ContentTypes.parse("text/javascript; charset=UTF-8"),
          "mjs", ContentTypes.parse("text/javascript; charset=UTF-8"),
          "css", ContentTypes.parse("text/css; charset=UTF-8"),
          "svg", ContentTypes.parse("image/svg+xml"),
          "png", ContentTypes.parse("image/png"),
          "ico", ContentTypes.parse("image/x-icon"),
          "json", ContentTypes.APPLICATION_JSON);

  /** The page talks only to this node: its own modules, styles and API (WebSocket included). */
  private static final String CSP =
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
          + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

  private record Asset(byte[] bytes, ContentType type, EntityTag etag) {}

  private final ClassLoader loader = ConsoleRoutes.class.getClassLoader();
  /** Files found, kept once read; a miss is not kept, so no request can grow this beyond the console's own files. */
  private final Map<String, Asset> assets = new ConcurrentHashMap<>();
  private final boolean devMode;

  /** {@code devMode}: whether the page may offer a dev token ({@code POST /v1/dev/tokens} exists). */
  public ConsoleRoutes(boolean devMode) {
    this.devMode = devMode;
  }

  public Route route() {
    // the path first, then the method: a POST to a path that is not the console's must stay
    // a 404, not become a 405 from this route's GET
    return concat(
        pathSingleSlash(() -> get(() -> serve("index.html"))),
        pathPrefix(
            "console",
            () ->
                get(
                    () ->
                        concat(
                            path("settings.json", this::settings),
                            path(PathMatchers.remaining(), this::serve)))));
  }

  /** What the page needs to know of the node before anyone signs in. */
  private Route settings() {
    return respondWithHeaders(
        List.of(RawHeader.create("Cache-Control", "no-store")),
        () -> complete(HttpResponse.create().withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, "{\"devMode\":" + devMode + "}"))));
  }

  Route serve(String name) {
    Asset asset = (ASSET.matcher(name).matches() ? find(name) : Optional.<Asset>empty())
        .orElseThrow(() -> new ApiException(ErrorCodes.ROUTE_NOT_FOUND, "no such file of the console: " + name));
    List<HttpHeader> headers =
        List.of(
            RawHeader.create("Cache-Control", "no-cache"),
            RawHeader.create("X-Content-Type-Options", "nosniff"),
            RawHeader.create("Content-Security-Policy", CSP),
            RawHeader.create("Referrer-Policy", "no-referrer"));
    return respondWithHeaders(
        headers,
        () -> conditional(asset.etag(), () -> complete(HttpResponse.create().withEntity(HttpEntities.create(asset.type(), asset.bytes())))));
  }

  private Optional<Asset> find(String name) {
    Asset known = assets.get(name);
    if (known != null) {
      return Optional.of(known);
    }
    Optional<Asset> loaded = load(name);
    loaded.ifPresent(a -> assets.putIfAbsent(name, a));
    return loaded;
  }

  /** How many files are held in memory (tests). */
  int cached() {
    return assets.size();
  }

  private Optional<Asset> load(String name) {
    ContentType type = TYPES.get(name.substring(name.lastIndexOf('.') + 1));
    if (type == null) {
      return Optional.empty();
    }
    try (InputStream in = loader.getResourceAsStream(ROOT + name)) {
      if (in == null) {
        return Optional.empty();
      }
      byte[] bytes = in.readAllBytes();
      String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 12);
      return Optional.of(new Asset(bytes, type, EntityTag.create(hash, false)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
