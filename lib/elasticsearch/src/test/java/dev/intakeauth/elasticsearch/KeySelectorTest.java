package dev.intakeauth.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class KeySelectorTest {

  @Test
  void aBlankIdOrNameCountsAsNotGiven() {
    KeySelector byName = new KeySelector(" ", "java-001");
    assertThat(byName.id()).isNull();
    assertThat(byName.name()).isEqualTo("java-001");
    KeySelector byId = new KeySelector("abc", "");
    assertThat(byId.id()).isEqualTo("abc");
    assertThat(byId.name()).isNull();
  }

  @Test
  void exactlyOneIsRequired() {
    assertThatThrownBy(() -> new KeySelector(null, " ")).isInstanceOf(KeyManagementException.class)
        .hasMessage("give either a key id or a key name (exactly one)");
    assertThatThrownBy(() -> new KeySelector("a", "b")).isInstanceOf(KeyManagementException.class);
  }
}
