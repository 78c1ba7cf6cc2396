package io.parley.api.calls.signal;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.accounts.DeletedAccounts;
import io.parley.api.calls.signal.protocol.ClientMessage;
import io.parley.api.support.Poll;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Who is on a signalling connection: the upgrade's checks, the auth message and its timeout, the account checks. */
class SignalAuthTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(1);
  private static Vertx vertx;
  private static JWTAuth jwt;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    jwt = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer("signal-auth-test-secret")));
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  private static String token(String subject, String role) {
    return jwt.generateToken(new JsonObject().put("sub", subject).put("role", role),
        new JWTOptions().setAlgorithm("HS256").setExpiresInSeconds(60));
  }

  @ParameterizedTest(name = "{0} | {1} | closing {2} -> {3}")
  @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
      token=abc          | -                  | false | 400
      access_token=abc   | -                  | false | 400
      jwt=abc            | -                  | false | 400
      token=abc          | -                  | true  | 400
      -                  | -                  | true  | 503
      -                  | -                  | false | 101
      x=1                | -                  | false | 101
      -                  | Basic dTpw         | false | 401
      -                  | Bearer not-a-jwt   | false | 401
      """)
  void theUpgradeIsRefusedOrAcceptedAsDocumented(String query, String authorization, boolean closing, int status)
      throws Exception {
    FakeSocket.Handshake h = new FakeSocket.Handshake(query, authorization);
    CompletableFuture<String> opened = new CompletableFuture<>();
    new SignalAuth(vertx, jwt, new DeletedAccounts(Duration.ofMinutes(15)), TIMEOUT)
        .handshake(h.h, closing, (ws, subject, role) -> opened.complete(subject + "/" + role));
    assertThat(h.outcome.get(5, TimeUnit.SECONDS)).isEqualTo(status);
    if (status == 101) {
      assertThat(opened.get(5, TimeUnit.SECONDS)).as("no bearer header: identity to come").isEqualTo("null/null");
    }
  }

  @Test
  void aValidBearerHeaderOpensTheSocketWithItsIdentity() throws Exception {
    String user = UUID.randomUUID().toString();
    FakeSocket.Handshake h = new FakeSocket.Handshake(null, "bearer " + token(user, "expert"));
    CompletableFuture<String> opened = new CompletableFuture<>();
    new SignalAuth(vertx, jwt, new DeletedAccounts(Duration.ofMinutes(15)), TIMEOUT)
        .handshake(h.h, false, (ws, subject, role) -> opened.complete(subject + "/" + role));
    assertThat(opened.get(5, TimeUnit.SECONDS)).isEqualTo(user + "/expert");
    assertThat(h.outcome.get()).isEqualTo(101);
  }

  @Test
  void aConnectionWithAnIdentityIsReadyAtOnce() throws Exception {
    UUID user = UUID.randomUUID();
    FakeSocket socket = new FakeSocket();
    SignalConnection c = socket.connect(vertx, 10, x -> { });
    auth(new DeletedAccounts(Duration.ofMinutes(15)), a -> a.started(c, user.toString(), "user"), c);
    Poll.until(Duration.ofSeconds(5), "ready", () -> !socket.sent.isEmpty());
    JsonObject ready = socket.sent.getFirst();
    assertThat(ready.getString("type")).isEqualTo("ready");
    assertThat(ready.getString("user_id")).isEqualTo(user.toString());
    assertThat(ready.getString("role")).isEqualTo("user");
    assertThat(ready.getLong("seq")).isEqualTo(1L);
    assertThat(socket.closeCode()).isNull();
  }

  @Test
  void aSubjectThatIsNotAUserOrADeletedAccountIsClosed() throws Exception {
    FakeSocket notAUser = new FakeSocket();
    SignalConnection c1 = notAUser.connect(vertx, 10, x -> { });
    auth(new DeletedAccounts(Duration.ofMinutes(15)), a -> a.started(c1, "service-account", "user"), c1);
    Poll.until(Duration.ofSeconds(5), "closed", () -> notAUser.closeCode() != null);
    assertThat(notAUser.closeCode()).isEqualTo(CloseCodes.AUTH_FAILED);

    UUID gone = UUID.randomUUID();
    DeletedAccounts deleted = new DeletedAccounts(Duration.ofMinutes(15));
    deleted.deleted(gone);
    FakeSocket deletedSocket = new FakeSocket();
    SignalConnection c2 = deletedSocket.connect(vertx, 10, x -> { });
    auth(deleted, a -> a.started(c2, gone.toString(), "user"), c2);
    Poll.until(Duration.ofSeconds(5), "closed", () -> deletedSocket.closeCode() != null);
    assertThat(deletedSocket.closeCode()).isEqualTo(CloseCodes.ACCOUNT_DELETED);
    assertThat(notAUser.sent).isEmpty();
    assertThat(deletedSocket.sent).isEmpty();
  }

  @Test
  void withoutAnIdentityTheAuthMessageMustComeWithinTheTimeout() throws Exception {
    SignalAuth auth = new SignalAuth(vertx, jwt, new DeletedAccounts(Duration.ofMinutes(15)), TIMEOUT);
    FakeSocket silent = new FakeSocket();
    SignalConnection quiet = silent.connect(vertx, 10, x -> { });
    FakeSocket prompt = new FakeSocket();
    SignalConnection ready = prompt.connect(vertx, 10, x -> { });
    UUID user = UUID.randomUUID();
    quiet.run(() -> auth.started(quiet, null, null));
    ready.run(() -> {
      auth.started(ready, null, null);
      auth.authenticate(ready, new ClientMessage.Auth(token(user.toString(), "user")));
    });
    Poll.until(Duration.ofSeconds(5), "the silent one closed", () -> silent.closeCode() != null);
    assertThat(silent.closeCode()).isEqualTo(CloseCodes.AUTH_TIMEOUT);
    assertThat(prompt.sent).hasSize(1);
    assertThat(prompt.sent.getFirst().getString("user_id")).isEqualTo(user.toString());
    // A further timeout after the silent one closed: the authenticated one's timer was cancelled.
    CompletableFuture<Void> later = new CompletableFuture<>();
    vertx.setTimer(TIMEOUT.toMillis(), id -> later.complete(null));
    later.get(5, TimeUnit.SECONDS);
    assertThat(prompt.closeCode()).isNull();
  }

  @Test
  void anInvalidAuthMessageClosesTheConnection() throws Exception {
    SignalAuth auth = new SignalAuth(vertx, jwt, new DeletedAccounts(Duration.ofMinutes(15)), TIMEOUT);
    FakeSocket socket = new FakeSocket();
    SignalConnection c = socket.connect(vertx, 10, x -> { });
    c.run(() -> auth.authenticate(c, new ClientMessage.Auth("not.a.token")));
    Poll.until(Duration.ofSeconds(5), "closed", () -> socket.closeCode() != null);
    assertThat(socket.closeCode()).isEqualTo(CloseCodes.AUTH_FAILED);
    assertThat(socket.sent).isEmpty();
  }

  /** Runs {@code step} with a new {@link SignalAuth} on the connection's context. */
  private static void auth(DeletedAccounts deleted, java.util.function.Consumer<SignalAuth> step, SignalConnection c) {
    SignalAuth auth = new SignalAuth(vertx, jwt, deleted, TIMEOUT);
    c.run(() -> step.accept(auth));
  }
}
