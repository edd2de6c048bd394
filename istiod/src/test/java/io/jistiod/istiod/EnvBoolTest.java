package io.jistiod.istiod;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Boolean environment variables read as istiod reads them (Go's strconv.ParseBool). */
class EnvBoolTest {
  @Test
  void goSpellingsOfTrueAndFalse() {
    for (String t : new String[] {"1", "t", "T", "TRUE", "true", "True"}) {
      assertThat(Main.goBool("X", t, false)).as(t).isTrue();
    }
    for (String f : new String[] {"0", "f", "F", "FALSE", "false", "False"}) {
      assertThat(Main.goBool("X", f, true)).as(f).isFalse();
    }
  }

  @Test
  void unsetOrUnreadableKeepsTheDefault() {
    assertThat(Main.goBool("X", null, true)).isTrue();
    assertThat(Main.goBool("X", "", false)).isFalse();
    assertThat(Main.goBool("X", "yes", true)).isTrue();
    assertThat(Main.goBool("X", "tRUE", false)).isFalse();
  }
}
