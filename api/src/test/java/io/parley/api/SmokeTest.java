package io.parley.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.Api;
import io.parley.api.support.TestNode;
import org.junit.jupiter.api.Test;

class SmokeTest {

  @Test
  void signedUpUserSeesThemselves() {
    Api api = TestNode.shared().api();
    var user = api.newUser();
    Api.Res me = api.get("/api/v1/auth/me", user.getString("access_token"));
    assertThat(me.status()).isEqualTo(200);
    assertThat(me.json().getString("email")).isEqualTo(user.getString("email"));
  }
}
