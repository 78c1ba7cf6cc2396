package io.parley.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.core.ParleyException;
import io.parley.core.testing.ConfigErrors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ParleyConfigTest {

  @Test
  void defaultsMatchTheContract() {
    ParleyConfig c = ParleyConfig.of(Map.of());
    assertThat(c.http().port()).isEqualTo(8080);
    assertThat(c.home()).isEqualTo(Path.of(".parley").toAbsolutePath().normalize());
    assertThat(c.storage().embeddedPostgres()).isTrue();
    assertThat(c.storage().embeddedRedis()).isTrue();
    assertThat(c.auth().accessTokenTtl()).isEqualTo(Duration.ofMinutes(15));
    assertThat(c.auth().refreshTokenTtl()).isEqualTo(Duration.ofDays(7));
    assertThat(c.shutdownTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.models()).isEqualTo(Path.of("models").toAbsolutePath().normalize());
  }

  @Test
  void environmentNamesAreHonoured() {
    ParleyConfig c = ParleyConfig.of(Map.of(
        "PARLEY_HOME", "/srv/parley",
        "PARLEY_HTTP_PORT", "9090",
        "PARLEY_PG_URL", "postgresql://app:s3cret@db.internal:5433/parley",
        "PARLEY_REDIS_URL", "redis://cache.internal:6380/1",
        "PARLEY_MODELS", "/srv/models"));
    assertThat(c.home()).isEqualTo(Path.of("/srv/parley"));
    assertThat(c.http().port()).isEqualTo(9090);
    assertThat(c.storage().embeddedPostgres()).isFalse();
    assertThat(c.storage().pgUrl().orElseThrow().getPort()).isEqualTo(5433);
    assertThat(c.storage().redisUrl().orElseThrow().getHost()).isEqualTo("cache.internal");
    assertThat(c.models()).isEqualTo(Path.of("/srv/models"));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "PARLEY_HTTP_PORT|abc",
      "PARLEY_HTTP_PORT|70000",
      "PARLEY_PG_POOL_SIZE|0",
      "PARLEY_RATE_LIMIT_ENABLED|maybe",
      "PARLEY_LOG_FORMAT|xml",
      "PARLEY_JWT_SECRET|too-short",
      "PARLEY_PG_URL|mysql://db/x",
      "PARLEY_REDIS_URL|not a url",
      "PARLEY_ACCESS_TOKEN_TTL|-5",
      "PARLEY_MAX_BODY_BYTES|10",
      "PARLEY_SHUTDOWN_TIMEOUT|0",
  })
  void invalidValuesNameTheirKey(String key, String value) {
    ConfigErrors.assertRefusedNaming(key, () -> ParleyConfig.of(Map.of(key, value)));
  }

  /** An operator who relied on the admin address list learns at start that it is gone, not later. */
  @Test
  void theRetiredAdminAddressListStopsTheStart(@TempDir Path dir) throws IOException {
    assertThatThrownBy(() -> ParleyConfig.of(Map.of("PARLEY_ADMIN_EMAILS", "admin@example.org")))
        .isInstanceOf(ParleyException.class)
        .hasMessageStartingWith("PARLEY_ADMIN_EMAILS: no longer read")
        .hasMessageContaining("./parley admin grant EMAIL");
    Path file = dir.resolve("parley.properties");
    Files.writeString(file, "PARLEY_ADMIN_EMAILS=admin@example.org\n");
    assertThatThrownBy(() -> ParleyConfig.from(ConfigSource.load(Map.of("PARLEY_CONFIG", file.toString()))))
        .hasMessageStartingWith("PARLEY_ADMIN_EMAILS: no longer read");
  }

  @Test
  void refreshMustOutliveAccessTokens() {
    assertThatThrownBy(() -> ParleyConfig.of(Map.of("PARLEY_ACCESS_TOKEN_TTL", "3600", "PARLEY_REFRESH_TOKEN_TTL", "600")))
        .hasMessageStartingWith("PARLEY_REFRESH_TOKEN_TTL:");
  }

  @Test
  void passwordsInUrlsAreNeverEchoed() {
    assertThatThrownBy(() -> ParleyConfig.of(Map.of("PARLEY_PG_URL", "mysql://app:hunter2@db/x")))
        .hasMessageNotContaining("hunter2");
    assertThat(ConfigSource.redact("postgresql://app:hunter2@db:5432/p")).isEqualTo("postgresql://***@db:5432/p");
  }

  @Test
  void fileValuesAreOverriddenByTheEnvironment(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("parley.properties");
    Files.writeString(file, "PARLEY_HTTP_PORT=7000\nPARLEY_PG_POOL_SIZE=40\n");
    ParleyConfig c = ParleyConfig.from(ConfigSource.load(Map.of(
        "PARLEY_CONFIG", file.toString(), "PARLEY_HTTP_PORT", "7001", "HOME", "/ignored")));
    assertThat(c.http().port()).isEqualTo(7001);
    assertThat(c.storage().pgPoolSize()).isEqualTo(40);
  }

  @Test
  void unknownKeysInTheFileAreRejected(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("parley.properties");
    Files.writeString(file, "PARLEY_HTTP_PROT=7000\n");
    assertThatThrownBy(() -> ConfigSource.load(Map.of("PARLEY_CONFIG", file.toString())))
        .hasMessageStartingWith("PARLEY_HTTP_PROT: unknown configuration key");
  }

  @Test
  void missingConfigFileIsAClearError() {
    assertThatThrownBy(() -> ConfigSource.load(Map.of("PARLEY_CONFIG", "/nonexistent/parley.properties")))
        .hasMessageStartingWith("PARLEY_CONFIG: cannot read");
  }
}
