package io.jistiod.istiod;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JvmProfilesTest {
  @Test
  void theThreadDumpHasEveryThreadWithItsStack() {
    String dump = JvmProfiles.threadDump();
    assertThat(dump).contains("\"" + Thread.currentThread().getName() + "\"");
    assertThat(dump).contains("\tat io.jistiod.istiod.JvmProfilesTest.");
  }

  @Test
  void theHeapHistogramCountsClasses() {
    assertThat(JvmProfiles.heapHistogram()).contains("java.lang.String").contains("Total");
  }

  @Test
  void theCommandLineIsNulSeparatedAsGos() {
    assertThat(JvmProfiles.commandLine()).contains("java").contains("\0");
  }
}
