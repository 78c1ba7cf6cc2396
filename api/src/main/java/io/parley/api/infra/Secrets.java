package io.parley.api.infra;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Secrets a node makes for itself when the operator gives none (the JWT key, the TURN secret): one
 * laptop node needs no setting, and the same secret survives restarts. A cluster sets them.
 */
public final class Secrets {

  private Secrets() {}

  /** A secret generated once into {@code home}/{@code name} (mode 600) and read back after. */
  public static String generated(Path home, String name, int bytes) {
    Path file = home.resolve(name);
    try {
      if (Files.exists(file)) {
        return Files.readString(file, StandardCharsets.UTF_8).trim();
      }
      byte[] raw = new byte[bytes];
      new SecureRandom().nextBytes(raw);
      String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
      Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(file, secret, StandardCharsets.UTF_8);
      return secret;
    } catch (IOException e) {
      throw new ParleyException(Reason.UNAVAILABLE, "cannot read or create " + file + ": " + e.getMessage(), e);
    }
  }
}
