package io.parley.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.Roles.Role;
import io.parley.core.config.ConfigSource;
import io.parley.core.config.ParleyConfig;
import io.parley.core.testing.ConfigErrors;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** PARLEY_ROLES: what a node runs, and the engines a node without their role leaves unloaded. */
class RolesTest {

  private static Roles roles(String value) {
    return Roles.from(ConfigSource.of(Map.of("PARLEY_ROLES", value)));
  }

  @Test
  void byDefaultANodeRunsEverything() {
    assertThat(Roles.from(ConfigSource.of(Map.of()))).isEqualTo(Roles.ALL);
    assertThat(Roles.ALL.turnOnly()).isFalse();
  }

  @Test
  void turnAloneIsAnEdgeNode() {
    assertThat(roles("turn").turnOnly()).isTrue();
    assertThat(roles(" TURN ").turnOnly()).isTrue();
    assertThat(roles("turn,api").turnOnly()).isFalse();
  }

  @Test
  void signalVoiceAndVisionBringTheApiTheyAreServedThrough() {
    assertThat(roles("signal").roles()).isEqualTo(EnumSet.of(Role.SIGNAL, Role.API));
    assertThat(roles("voice,vision").roles()).isEqualTo(EnumSet.of(Role.VOICE, Role.VISION, Role.API));
    assertThat(roles("api,signal").toString()).isEqualTo("api,signal");
  }

  @ParameterizedTest
  @ValueSource(strings = {" , ", "turn,relay", "all"})
  void anUnknownOrEmptyListIsRefusedNamingTheKey(String value) {
    ConfigErrors.assertRefusedNaming("PARLEY_ROLES", () -> roles(value));
  }

  @Test
  void aNodeWithoutVoiceOrVisionLoadsNeitherEngine() {
    ParleyServer.FeatureOptions api = ParleyServer.FeatureOptions.of(ParleyConfig.of(Map.of("PARLEY_ROLES", "api,signal")));
    assertThat(api.voice().enabled()).isFalse();
    assertThat(api.vision().enabled()).isFalse();
    ParleyServer.FeatureOptions inference = ParleyServer.FeatureOptions.of(ParleyConfig.of(Map.of("PARLEY_ROLES",
        "voice,vision")));
    assertThat(inference.voice().enabled()).isTrue();
    assertThat(inference.vision().enabled()).isTrue();
  }

  @Test
  void edgeTurnUrlsNeedTheSharedSecret() {
    ConfigErrors.assertRefusedNaming("PARLEY_TURN_SECRET", () -> ParleyServer.FeatureOptions.of(ParleyConfig.of(Map.of(
        "PARLEY_CALL_TURN_URLS", "turn:edge.example:3478?transport=udp"))));
    ConfigErrors.assertRefusedNaming("PARLEY_CALL_TURN_URLS", () -> ParleyServer.FeatureOptions.of(ParleyConfig.of(
        Map.of("PARLEY_CALL_TURN_URLS", "https://edge.example", "PARLEY_TURN_SECRET", "0123456789abcdef"))));
  }

  @Test
  void aTurnNodeReadsOnlyItsOwnSettings(@TempDir Path dir) {
    // A voice setting that would stop a full node does not concern an edge node.
    ParleyConfig config = ParleyConfig.of(Map.of("PARLEY_HOME", dir.toString(), "PARLEY_ROLES", "turn",
        "PARLEY_STT_WORKERS", "0"));
    assertThat(TurnNode.Options.of(config.source()).turn().enabled()).isTrue();
    ConfigErrors.assertRefusedNaming("PARLEY_TURN_ENABLED", () -> TurnNode.Options.of(ConfigSource.of(Map.of(
        "PARLEY_ROLES", "turn", "PARLEY_TURN_ENABLED", "false"))));
  }
}
