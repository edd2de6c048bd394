package io.jistiod.istiod.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** istiod's log lines, written by the product's own logback.xml. */
class IstioLogLineTest {
  private LoggerContext context;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  @BeforeEach
  void configure() throws Exception {
    context = new LoggerContext();
    context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    configurator.doConfigure(getClass().getResource("/logback.xml"));
    // the configured encoder, writing into a buffer instead of the console
    var console =
        (OutputStreamAppender<ILoggingEvent>)
            context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDOUT");
    String pattern = ((PatternLayoutEncoder) console.getEncoder()).getPattern();
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern(pattern);
    encoder.start();
    OutputStreamAppender<ILoggingEvent> buffer = new OutputStreamAppender<>();
    buffer.setContext(context);
    buffer.setEncoder(encoder);
    buffer.setOutputStream(out);
    buffer.start();
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.detachAndStopAllAppenders();
    root.addAppender(buffer);
    root.setLevel(Level.DEBUG);
  }

  private String lines() {
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aLineIsTimeLevelScopeMessageAsIstiodWritesIt() {
    context.getLogger("io.jistiod.pilot.xds.Connection").warn("rejected {}", "cds");
    assertThat(lines())
        .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z\twarn\tads\trejected cds\n");
  }

  @Test
  void theTimeHasMicroseconds() {
    long before = java.time.Instant.now().toEpochMilli();
    context.getLogger("io.jistiod.istiod.Istiod").info("x");
    java.time.Instant logged = java.time.Instant.parse(lines().split("\t", 2)[0]);
    assertThat(logged.toEpochMilli()).isBetween(before, before + 5_000);
    // not a millisecond time padded with zeros (one in a thousand events may end in 000)
    java.util.Set<Integer> micros = new java.util.HashSet<>();
    for (int i = 0; i < 5; i++) {
      out.reset();
      context.getLogger("io.jistiod.istiod.Istiod").info("y");
      micros.add(java.time.Instant.parse(lines().split("\t", 2)[0]).getNano() / 1000 % 1000);
    }
    assertThat(micros).isNotEqualTo(java.util.Set.of(0));
  }

  @Test
  void theDefaultScopeIsLeftOut() {
    context.getLogger("io.jistiod.istiod.Istiod").info("istiod stopped");
    assertThat(lines()).matches("\\S+Z\tinfo\tistiod stopped\n");
  }

  @Test
  void scopesFollowTheLongestPrefix() {
    context.getLogger("io.jistiod.pilot.xds.DeltaConnection").error("x");
    context.getLogger("io.jistiod.istiod.webhook.ValidatingWebhookController").info("y");
    context.getLogger("io.jistiod.citadel.k8s.RootCertPublisher").info("z");
    context.getLogger("io.jistiod.pilot.xdsother.Thing").info("not ads");
    assertThat(lines().lines())
        .extracting(l -> l.split("\t", 3)[1] + " " + l.split("\t", 3)[2])
        .containsExactly(
            "error delta\tx",
            "info validationController\ty",
            "info namespacecontroller\tz",
            "info not ads");
  }

  @Test
  void anExceptionStaysOnTheEventsLine() {
    context
        .getLogger("io.jistiod.pilot.push.PushContextBuilder")
        .error(
            "push failed",
            new IllegalStateException("bad\nstate", new java.io.IOException("disk")));
    assertThat(lines().lines()).hasSize(1);
    assertThat(lines())
        .endsWith(
            "\terror\tmodel\tpush failed\terror=IllegalStateException: bad\\nstate; caused by:"
                + " IOException: disk\n");
  }

  @Test
  void aMultiLineMessageIsOneLine() {
    context.getLogger("io.jistiod.galley.mesh.MeshConfigWatcher").error("a\nb");
    assertThat(lines()).endsWith("\terror\tmesh\ta\\nb\n");
  }
}
