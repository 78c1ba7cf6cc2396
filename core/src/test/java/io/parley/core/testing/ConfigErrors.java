package io.parley.core.testing;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.core.ParleyException;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/** The one check every settings test makes: a bad value is a configuration error that names its key. */
public final class ConfigErrors {

  private ConfigErrors() {}

  /** {@code parse} fails with {@link ParleyException.Reason#CONFIG} and a message starting {@code "KEY:"}. */
  public static void assertRefusedNaming(String key, ThrowingCallable parse) {
    assertThatThrownBy(parse)
        .isInstanceOf(ParleyException.class)
        .hasMessageStartingWith(key + ":")
        .extracting(e -> ((ParleyException) e).reason()).isEqualTo(ParleyException.Reason.CONFIG);
  }
}
