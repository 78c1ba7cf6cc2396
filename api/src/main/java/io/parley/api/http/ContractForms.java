package io.parley.api.http;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RequestExtractor;
import io.vertx.json.schema.JsonSchemaValidationException;
import io.vertx.json.schema.OutputUnit;
import io.vertx.openapi.contract.MediaType;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.validation.RequestValidator;
import io.vertx.openapi.validation.SchemaValidationException;
import io.vertx.openapi.validation.ValidationContext;
import java.util.List;
import java.util.Locale;

/**
 * Validates requests to the operations whose body may be {@code multipart/form-data} (photo, meal
 * and audio uploads) against their contract. Vert.x's own validator reads a multipart body as one
 * string and takes no image or audio part, and the uploads here are never held as one raw body
 * (they are parts in memory, see {@link MemoryUploads}), so for those operations the router's per-route
 * validation is off ({@link #takesForms}) and this handler runs instead: a multipart request is
 * checked as the object of its form fields and file parts (a file part stands as an empty string,
 * its bytes are checked by the handler: type, size, pixels), against the form schema of the
 * contract; a JSON object body (that of {@code POST /api/v1/meals}) goes to the contract's request
 * validator as usual, and a body that is no JSON object at all to the handler (400 invalid_body). Failures are the validator's, so they answer 400 {@code validation_failed}
 * naming the field like every other route.
 */
final class ContractForms implements Handler<RoutingContext> {

  private record Contract(OpenAPIContract contract, RequestValidator validator) {}

  private final List<Contract> contracts;
  private final RequestExtractor extractor = RequestExtractor.withBodyHandler();

  ContractForms(Vertx vertx, List<OpenAPIContract> contracts) {
    this.contracts = contracts.stream().map(c -> new Contract(c, RequestValidator.create(vertx, c))).toList();
  }

  /** Whether {@code op} takes a multipart form (then its route leaves validation to this handler). */
  static boolean takesForms(Operation op) {
    return op.getRequestBody() != null && op.getRequestBody().getContent().containsKey(MediaType.MULTIPART_FORM_DATA);
  }

  @Override
  public void handle(RoutingContext ctx) {
    for (Contract c : contracts) {
      Operation op = c.contract().findOperation(ctx.request().path(), ctx.request().method());
      if (op != null) {
        if (takesForms(op)) {
          validate(ctx, c, op);
        } else {
          ctx.next();
        }
        return;
      }
    }
    ctx.next();
  }

  private void validate(RoutingContext ctx, Contract c, Operation op) {
    String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
    if (type == null || !type.toLowerCase(Locale.ROOT).startsWith(MediaType.MULTIPART_FORM_DATA)) {
      if (!isJsonObject(ctx)) {
        ctx.next(); // not a JSON object at all: the handler's own answer (invalid_body)
        return;
      }
      extractor.extractValidatableRequest(ctx, op)
          .compose(request -> c.validator().validate(request, op.getOperationId()))
          .onSuccess(validated -> ctx.next())
          .onFailure(ctx::fail);
      return;
    }
    MediaType form = op.getRequestBody().getContent().get(MediaType.MULTIPART_FORM_DATA);
    OutputUnit result = c.contract().getSchemaRepository().validator(form.getSchema()).validate(fields(ctx));
    try {
      result.checkValidity();
      ctx.next();
    } catch (JsonSchemaValidationException e) {
      ctx.fail(400, SchemaValidationException.createInvalidValueBody(result, ValidationContext.REQUEST, e));
    }
  }

  private static boolean isJsonObject(RoutingContext ctx) {
    try {
      return ctx.body().asJsonObject() != null;
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** The form as an object: each field's (first) value, and each file part's name with "". */
  private static JsonObject fields(RoutingContext ctx) {
    JsonObject out = new JsonObject();
    ctx.request().formAttributes().names().forEach(name -> out.put(name, ctx.request().getFormAttribute(name)));
    MemoryUploads.partNames(ctx).forEach(name -> out.put(name, ""));
    return out;
  }
}
