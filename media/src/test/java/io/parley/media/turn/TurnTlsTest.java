package io.parley.media.turn;

import static io.parley.media.turn.TurnTestClient.expectSuccess;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import io.parley.core.testing.TestCertificate;
import io.parley.media.turn.codec.StunMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * TURN over TLS (RFC 8656 §3.1) with a Java TLS client: the TCP framing behind the handshake, and
 * a certificate replaced on disk served to new connections without a restart while open ones go
 * on; a file that does not parse keeps the certificate in service. (coturn's uclient over TLS is
 * in {@link CoturnClientsTest}.)
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TurnTlsTest {

  @TempDir
  Path dir;

  private TurnTestServer server(Path cert, Path key) {
    return TurnTestServer.start(Map.of("PARLEY_TURN_TLS_CERT", cert.toString(), "PARLEY_TURN_TLS_KEY", key.toString(),
        "PARLEY_TURN_TLS_PORT", "0"));
  }

  /** BoringSSL's native library loads here (the build ships it for Linux x86-64): no silent JDK fallback. */
  @Test
  void theEngineIsBoringSsl() {
    assertThat(TurnTls.PROVIDER).as("netty-tcnative: %s", OpenSsl.unavailabilityCause()).isEqualTo(SslProvider.OPENSSL);
  }

  @Test
  void aReplacedCertificateServesNewConnectionsWithoutARestart() throws Exception {
    TestCertificate first = TestCertificate.create(dir, "first");
    TestCertificate second = TestCertificate.create(dir, "second");
    Path cert = dir.resolve("served.pem");
    Path key = dir.resolve("served.key");
    Files.copy(first.cert(), cert);
    Files.copy(first.key(), key);
    SSLContext trustBoth = TestCertificate.trusting(first, second);
    try (TurnTestServer server = server(cert, key);
         TurnTestClient before = TurnTestClient.tls(server, trustBoth)) {
      assertThat(server.server.tlsPort()).isPositive();
      assertThat(before.tlsSession().getPeerCertificates()[0]).isEqualTo(first.certificate());
      assertThat(expectSuccess(before.binding(), "Binding over TLS").cls()).isNotNull();
      before.allocateOrFail();
      assertThat(server.server.reloadTls()).as("unchanged files").isFalse();

      Files.copy(second.cert(), cert, StandardCopyOption.REPLACE_EXISTING);
      Files.copy(second.key(), key, StandardCopyOption.REPLACE_EXISTING);
      assertThat(server.server.reloadTls()).as("changed files").isTrue();

      try (TurnTestClient after = TurnTestClient.tls(server, trustBoth)) {
        assertThat(after.tlsSession().getPeerCertificates()[0]).isEqualTo(second.certificate());
        after.allocateOrFail();
        assertThat(server.server.allocations()).isEqualTo(2);
      }
      // The connection opened before goes on with its allocation.
      StunMessage refreshed = expectSuccess(before.refresh(600), "Refresh on the older connection");
      assertThat(TurnTestClient.lifetime(refreshed)).isEqualTo(600);
    }
  }

  @Test
  void aFileThatDoesNotParseKeepsTheCertificateInService() throws Exception {
    TestCertificate first = TestCertificate.create(dir, "first");
    SSLContext trust = TestCertificate.trusting(first);
    try (TurnTestServer server = server(first.cert(), first.key())) {
      Files.writeString(first.cert(), "-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n");
      assertThatThrownBy(server.server::reloadTls).isNotNull();
      try (TurnTestClient c = TurnTestClient.tls(server, trust)) {
        c.allocateOrFail();
      }
    }
  }
}
