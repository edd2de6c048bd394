package io.jistiod.galley.file;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SettledContentTest {
  @Test
  void aChangeIsTakenOnceReadTheSameTwice() {
    SettledContent<String> c = new SettledContent<>("a");
    assertThat(c.offer("a")).isEmpty(); // unchanged
    assertThat(c.offer("b")).isEmpty(); // first read of a change
    assertThat(c.offer("b")).contains("b");
    assertThat(c.offer("b")).isEmpty(); // already applied
  }

  @Test
  void aFileCaughtMidRewriteIsNeverTaken() {
    SettledContent<String> c = new SettledContent<>("policy: a");
    assertThat(c.offer("")).isEmpty(); // truncated by the writer
    assertThat(c.offer("policy: b")).isEmpty(); // written since: still one read only
    assertThat(c.offer("policy: b")).contains("policy: b");
    // an empty file that stays empty is a real edit
    assertThat(c.offer("")).isEmpty();
    assertThat(c.offer("")).contains("");
  }
}
