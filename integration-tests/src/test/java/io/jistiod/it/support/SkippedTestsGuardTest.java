package io.jistiod.it.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The e2e skip guard over surefire reports in the format surefire 3.5 writes. */
class SkippedTestsGuardTest {
  @TempDir Path tmp;

  private static final String REPORT =
      """
      <?xml version="1.0" encoding="UTF-8"?>
      <testsuite name="io.jistiod.it.citadel.CitadelE2ETest" tests="3" errors="0" skipped="2" failures="0">
        <properties><property name="java.version" value="17"/></properties>
        <testcase name="issuesCertificates(Rig, TestNamespace)" classname="io.jistiod.it.citadel.CitadelE2ETest" time="1.2"/>
        <testcase name="pilotAgentGetsACertificateAndConnectsToXdsOverTls(Rig, TestNamespace)" classname="io.jistiod.it.citadel.CitadelE2ETest" time="0">
          <skipped message="Assumption failed: pilot-agent not built"/>
        </testcase>
        <testcase name="circuitBreakingGrpcJava" classname="io.jistiod.it.citadel.CitadelE2ETest" time="0">
          <skipped message="known limitation"/>
        </testcase>
      </testsuite>
      """;

  private Path reports() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("surefire-reports"));
    Files.writeString(dir.resolve("TEST-io.jistiod.it.citadel.CitadelE2ETest.xml"), REPORT);
    // not a report: ignored
    Files.writeString(dir.resolve("io.jistiod.it.citadel.CitadelE2ETest.txt"), "Tests run: 3");
    return dir;
  }

  private Path allowList(String text) throws Exception {
    return Files.writeString(tmp.resolve("allowed.txt"), text);
  }

  private String run(Path reports, Path allowList, boolean expectPass) throws Exception {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    SkippedTestsGuard.Outcome o =
        SkippedTestsGuard.check(reports, allowList, new PrintStream(buf, true, "UTF-8"));
    assertThat(o.passed()).isEqualTo(expectPass);
    return buf.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aSkipThatIsNotAllowedFailsTheRunNamingTheTestAndItsReason() throws Exception {
    String out =
        run(
            reports(),
            allowList(
                "# reasons\n"
                    + "io.jistiod.it.citadel.CitadelE2ETest#circuitBreakingGrpcJava"
                    + "  grpc-java limitation\n"),
            false);
    assertThat(out)
        .contains(
            "FAILED: io.jistiod.it.citadel.CitadelE2ETest#pilotAgentGetsACertificateAndConnectsToXdsOverTls"
                + " was skipped (Assumption failed: pilot-agent not built)")
        .contains("allowed skip io.jistiod.it.citadel.CitadelE2ETest#circuitBreakingGrpcJava")
        .contains("3 tests, 2 skipped (1 allowed, 1 not allowed)");
  }

  @Test
  void everySkipAllowedPasses() throws Exception {
    String out =
        run(
            reports(),
            allowList(
                "io.jistiod.it.citadel.CitadelE2ETest#circuitBreakingGrpcJava why\n"
                    + "io.jistiod.it.citadel.CitadelE2ETest#pilotAgentGetsACertificateAndConnectsToXdsOverTls"
                    + " why not\n"),
            true);
    assertThat(out).contains("3 tests, 2 skipped (2 allowed, 0 not allowed)");
  }

  @Test
  void noTestAtAllFails() throws Exception {
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    assertThat(run(empty, allowList(""), false)).contains("no test ran");
  }

  @Test
  void missingReportsOrAnEntryWithoutReasonAreErrors() throws Exception {
    assertThatThrownBy(() -> run(tmp.resolve("nope"), allowList(""), false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("did the tests run?");
    Path reports = reports();
    Path list = allowList("io.jistiod.it.citadel.CitadelE2ETest#circuitBreakingGrpcJava\n");
    assertThatThrownBy(() -> run(reports, list, false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("line 1: expected 'fully.qualified.Class#method reason'");
  }

  @Test
  void methodNamesLoseTheirParameters() {
    assertThat(SkippedTestsGuard.method("m(Rig, TestNamespace)")).isEqualTo("m");
    assertThat(SkippedTestsGuard.method("m{Rig}")).isEqualTo("m");
    assertThat(SkippedTestsGuard.method("m()[1]")).isEqualTo("m");
    assertThat(SkippedTestsGuard.method("m")).isEqualTo("m");
  }

  /** The allow-list e2e.sh uses parses, and every entry gives its reason. */
  @Test
  void theProjectsAllowListIsWellFormed() throws Exception {
    // parsing refuses a malformed entry; every entry it keeps names a test and gives a reason
    assertThat(SkippedTestsGuard.allowList(Rig.MODULE.resolve("e2e-allowed-skips.txt")))
        .allSatisfy(
            (test, reason) -> {
              assertThat(test).matches("[\\w.$]+#\\w+");
              assertThat(reason).isNotBlank();
            });
  }
}
