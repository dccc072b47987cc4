package io.rendan.http;

import static io.rendan.http.Endpoint.Access.*;
import static org.apache.pekko.http.javadsl.server.Directives.*;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /v1/openapi.json}: the OpenAPI 3.1 description of the HTTP API, the
 * resource {@code openapi.json}, for client teams to generate clients from. Served
 * to anyone: it holds no data. OpenApiTest keeps it equal to the node's route table ({@code io.rendan.NodeRoutes.TABLE}).
 */
public final class OpenApiRoutes {
  /** The route table of this class: see {@link Endpoint}. */
  public static final List<Endpoint> ENDPOINTS =
      List.of(Endpoint.get("/v1/openapi.json", PUBLIC, "anyone: this description of the API"));

  /** Where the description is on the class path. */
  public static final String RESOURCE = "openapi.json";

  private final byte[] document;

  public OpenApiRoutes() {
    try (InputStream in = OpenApiRoutes.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is not on the class path");
      }
      document = in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The route under {@code /v1}. */
  public Route route() {
    return path(
        "openapi.json",
        () ->
            get(
                () ->
                    complete(
                        HttpResponse.create()
                            .withStatus(StatusCodes.OK)
                            .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, document)))));
  }
}
