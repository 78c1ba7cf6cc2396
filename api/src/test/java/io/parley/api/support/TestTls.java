package io.parley.api.support;

import io.parley.core.testing.TestCertificate;
import java.nio.file.Path;

/**
 * A self-signed certificate for 127.0.0.1 and localhost, made with the openssl command line, for
 * tests whose clients insist on TLS (the openai package's realtime client always uses wss).
 */
public record TestTls(Path cert, Path key) {

  public static TestTls create(Path dir) {
    TestCertificate c = TestCertificate.create(dir, "127.0.0.1");
    return new TestTls(c.cert(), c.key());
  }

  /** An HTTP client that trusts this certificate (and nothing else). */
  public java.net.http.HttpClient client() {
    return java.net.http.HttpClient.newBuilder().sslContext(TestCertificate.trusting(new TestCertificate(cert, key)))
        .connectTimeout(java.time.Duration.ofSeconds(5)).build();
  }
}
