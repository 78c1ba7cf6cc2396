package io.parley.api.http;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.openapi.contract.MediaType;
import io.vertx.openapi.contract.OpenAPIContract;

/**
 * An OpenAPI document of the node: as written (what is served, for clients) and as the router's
 * contract. Vert.x's contract model refuses responses in media types it cannot validate (a meal's
 * photo, audio, subtitles, server-sent events), although responses are never validated here; the
 * contract is therefore built from a copy whose responses keep only the media types it takes, and
 * the document as written, with every response type, is what clients read.
 *
 * @param document the document as written
 * @param contract the contract the router, the authenticator and the validators use
 */
public record ContractDocument(JsonObject document, OpenAPIContract contract) {

  /** Loads the document from the classpath {@code resource}. */
  public static Future<ContractDocument> load(Vertx vertx, String resource) {
    return vertx.fileSystem().readFile(resource).map(b -> new JsonObject(b))
        .compose(doc -> OpenAPIContract.from(vertx, forRouter(doc)).map(c -> new ContractDocument(doc, c)));
  }

  /** A copy of {@code document} whose responses name only media types Vert.x's contract model takes. */
  static JsonObject forRouter(JsonObject document) {
    JsonObject copy = document.copy();
    JsonObject paths = copy.getJsonObject("paths", new JsonObject());
    for (String path : paths.fieldNames()) {
      JsonObject item = paths.getJsonObject(path);
      for (String method : item.fieldNames()) {
        if (item.getValue(method) instanceof JsonObject op && op.getValue("responses") instanceof JsonObject responses) {
          for (String status : responses.fieldNames()) {
            if (responses.getValue(status) instanceof JsonObject r && r.getValue("content") instanceof JsonObject c) {
              c.fieldNames().removeIf(type -> !MediaType.isMediaTypeSupported(type));
            }
          }
        }
      }
    }
    return copy;
  }
}
