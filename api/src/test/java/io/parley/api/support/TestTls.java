package io.parley.api.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A self-signed certificate for 127.0.0.1 and localhost, made with the openssl command line, for
 * tests whose clients insist on TLS (the openai package's realtime client always uses wss).
 */
public record TestTls(Path cert, Path key) {

  public static TestTls create(Path dir) {
    Path cert = dir.resolve("cert.pem");
    Path key = dir.resolve("key.pem");
    List<String> cmd = List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        "-keyout", key.toString(), "-out", cert.toString());
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0 || !Files.exists(cert)) {
        throw new AssertionError("openssl could not make a test certificate: " + out);
      }
    } catch (IOException e) {
      throw new AssertionError("openssl is missing (Debian package openssl; ./parley test installs it): " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    return new TestTls(cert, key);
  }

  /** An HTTP client that trusts this certificate (and nothing else). */
  public java.net.http.HttpClient client() {
    try (var in = Files.newInputStream(cert)) {
      var certificate = java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in);
      var store = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
      store.load(null, null);
      store.setCertificateEntry("parley-test", certificate);
      var trust = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
      trust.init(store);
      var ssl = javax.net.ssl.SSLContext.getInstance("TLS");
      ssl.init(null, trust.getTrustManagers(), null);
      return java.net.http.HttpClient.newBuilder().sslContext(ssl)
          .connectTimeout(java.time.Duration.ofSeconds(5)).build();
    } catch (IOException | java.security.GeneralSecurityException e) {
      throw new AssertionError("cannot trust the test certificate: " + e, e);
    }
  }
}
