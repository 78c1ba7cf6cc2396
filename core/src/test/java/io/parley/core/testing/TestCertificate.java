package io.parley.core.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A self-signed certificate for 127.0.0.1 and localhost with a common name of the test's choice,
 * made with the openssl command line (Debian package {@code openssl}; a missing tool fails the
 * test), and a client {@link SSLContext} that trusts it and nothing else.
 */
public record TestCertificate(Path cert, Path key) {

  /** Writes {@code name}.pem and {@code name}.key into {@code dir}. */
  public static TestCertificate create(Path dir, String name) {
    Path cert = dir.resolve(name + ".pem");
    Path key = dir.resolve(name + ".key");
    List<String> cmd = List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", "/CN=" + name, "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
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
    return new TestCertificate(cert, key);
  }

  /** The certificate itself. */
  public Certificate certificate() {
    try (InputStream in = Files.newInputStream(cert)) {
      return CertificateFactory.getInstance("X.509").generateCertificate(in);
    } catch (IOException | GeneralSecurityException e) {
      throw new AssertionError("cannot read the test certificate: " + e, e);
    }
  }

  /** A client TLS context that trusts the given certificates and nothing else. */
  public static SSLContext trusting(TestCertificate... trusted) {
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      for (int i = 0; i < trusted.length; i++) {
        store.setCertificateEntry("parley-test-" + i, trusted[i].certificate());
      }
      TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(store);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, trust.getTrustManagers(), null);
      return ssl;
    } catch (IOException | GeneralSecurityException e) {
      throw new AssertionError("cannot trust the test certificate: " + e, e);
    }
  }
}
