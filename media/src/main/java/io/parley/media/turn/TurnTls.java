package io.parley.media.turn;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The certificate of the TURN over TLS listener (RFC 8656 §3.1), read from PEM files and read again
 * by {@link #reloadIfChanged()}: when the files changed (a renewed certificate), new connections
 * get the new one while open ones keep theirs, without a restart. A file that does not parse keeps
 * the previous certificate in service and is logged. The TLS engine is BoringSSL (netty-tcnative)
 * where its native library loads, else the JDK's: ./parley bench turn tls measured the JDK's
 * costing Parley more CPU per relayed message than coturn's OpenSSL.
 */
final class TurnTls {

  private static final Logger LOG = LoggerFactory.getLogger(TurnTls.class);
  static final SslProvider PROVIDER = OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;

  private final TurnOptions.Tls options;
  private final AtomicReference<SslContext> context = new AtomicReference<>();
  /** The bytes the current context was built from; only the reloading thread touches them. */
  private byte[] certBytes;
  private byte[] keyBytes;

  /** Reads the certificate now; fails naming the setting when it cannot be used. */
  TurnTls(TurnOptions.Tls options) {
    this.options = options;
    try {
      if (!reloadIfChanged()) {
        throw new IOException("no certificate loaded");
      }
    } catch (IOException | IllegalArgumentException e) {
      throw new ParleyException(Reason.CONFIG, "PARLEY_TURN_TLS_CERT / PARLEY_TURN_TLS_KEY (or PARLEY_TLS_CERT / "
          + "PARLEY_TLS_KEY): cannot use " + options.cert() + " and " + options.key() + ": " + e.getMessage(), e);
    }
  }

  /** A handler for a new connection, with the current certificate. */
  SslHandler newHandler(ByteBufAllocator alloc) {
    return context.get().newHandler(alloc);
  }

  /**
   * Reads the files and, when they differ from those in service, builds a new context; returns
   * whether it did. Blocking: call it off the event loops.
   */
  boolean reloadIfChanged() throws IOException {
    byte[] cert = Files.readAllBytes(options.cert());
    byte[] key = Files.readAllBytes(options.key());
    if (Arrays.equals(cert, certBytes) && Arrays.equals(key, keyBytes)) {
      return false;
    }
    SslContext built = SslContextBuilder.forServer(new ByteArrayInputStream(cert), new ByteArrayInputStream(key))
        .sslProvider(PROVIDER).build();
    context.set(built);
    certBytes = cert;
    keyBytes = key;
    return true;
  }

  /** {@link #reloadIfChanged()} for the timer: a failure keeps the certificate in service. */
  void reloadQuietly() {
    try {
      if (reloadIfChanged()) {
        LOG.info("TURN TLS: certificate {} loaded again; new connections use it", options.cert());
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("TURN TLS: cannot reload {} / {}, keeping the certificate in service: {}", options.cert(),
          options.key(), e.toString());
    }
  }
}
