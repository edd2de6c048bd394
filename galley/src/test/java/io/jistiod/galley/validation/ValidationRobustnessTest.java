package io.jistiod.galley.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Duration;
import com.google.protobuf.Message;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.ConfigKind;
import io.jistiod.galley.config.ConfigMeta;
import io.jistiod.galley.config.IstioKinds;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Validation never throws on input that parses: every corpus case, every kind's empty spec, and
 * several hundred objects mutated at random (with a fixed seed, so failures reproduce) from the
 * corpus.
 */
class ValidationRobustnessTest {
  private static final ConfigValidator VALIDATOR = Validators.forKinds();
  private static final int MUTANTS = 1500;

  private static final String[] STRINGS = {
    "",
    "*",
    "a",
    ".",
    "~",
    "*.example.com",
    "*example.com",
    "foo.*.com",
    "ns/*",
    "*/*",
    "~/x.example.com",
    "/",
    "a/",
    "/b",
    "a/b/c",
    "unix://",
    "unix:///var/run/a.sock",
    "unix://@abstract",
    "10.0.0.0/8",
    "10.0.0.0/33",
    "::1",
    "fe80::1%eth0",
    "2001:db8::/129",
    "1.2.3.4:80",
    "[::1]:80",
    ":",
    "[",
    "(",
    "%",
    "%%",
    "%A(",
    "%A([\"x\"",
    ":authority",
    ":path",
    "host",
    "@request.auth.claims[",
    "@request.auth.claims.a",
    "request.headers[x]",
    "request.auth.claims[",
    "source.ip",
    "destination.port",
    "experimental.envoy.filters.",
    "http://",
    "https://a:b@[::1]:x/%zz#%",
    "oci://ghcr.io/a:b",
    "configmap://",
    "configmap:///",
    "{**}",
    "/{*}/{**}/{*}",
    "outbound_.80_._.a.b",
    "outbound_",
    "\u0000\u0007\t",
    "é\uD83D\uDE00",
    "{\"keys\":[{\"kty\":\"RSA\"}]}",
    "{\"kty\":\"oct\",\"k\":\"AA\"}",
    "response.code >= 400 &&",
    "'''",
    "r\"\\",
    "0x",
    "1e",
    "true.false",
    "MUTUAL",
    "HTTP",
    "TLS",
    "5xx,,503",
    "a".repeat(300),
    "(a".repeat(600),
  };

  private static final long[] INTEGERS = {
    0,
    1,
    -1,
    2,
    80,
    100,
    101,
    599,
    600,
    65535,
    65536,
    5000011,
    5000010,
    Integer.MAX_VALUE,
    Integer.MIN_VALUE,
    Long.MAX_VALUE,
    Long.MIN_VALUE,
    0xFFFF_FFFFL
  };

  private static final double[] DOUBLES = {
    0,
    -1,
    0.00001,
    0.0001,
    1,
    100,
    100.5,
    1e308,
    Double.NaN,
    Double.POSITIVE_INFINITY,
    Double.NEGATIVE_INFINITY
  };

  @Test
  void everyCorpusCaseValidatesWithoutThrowing() {
    for (ValidationCorpusTest.Case c : ValidationCorpusTest.load()) {
      assertThatCode(() -> checkMessages(VALIDATOR.validate(c.config())))
          .as(c.name())
          .doesNotThrowAnyException();
    }
  }

  @Test
  void everyKindAcceptsItsEmptySpecWithoutThrowing() {
    for (ConfigKind kind : IstioKinds.ALL) {
      Config c = new Config(meta(kind, Map.of()), kind.specPrototype());
      assertThatCode(() -> checkMessages(VALIDATOR.validate(c)))
          .as(kind.kind())
          .doesNotThrowAnyException();
    }
  }

  @Test
  void randomlyMutatedObjectsValidateWithoutThrowing() {
    List<ValidationCorpusTest.Case> corpus = ValidationCorpusTest.load();
    Random random = new Random(20250822L);
    int rejected = 0;
    for (int i = 0; i < MUTANTS; i++) {
      ValidationCorpusTest.Case base = corpus.get(random.nextInt(corpus.size()));
      Message.Builder spec = base.config().spec().toBuilder();
      int mutations = 1 + random.nextInt(6);
      for (int m = 0; m < mutations; m++) {
        mutate(spec, random, 0);
      }
      Map<String, String> annotations = new HashMap<>(base.config().meta().annotations());
      if (random.nextInt(10) == 0) {
        annotations.put(MetadataValidator.DRY_RUN, pick(random, STRINGS));
      }
      Config mutant = new Config(meta(base.config().meta().kind(), annotations), spec.build());
      List<ValidationMessage> messages;
      try {
        messages = VALIDATOR.validate(mutant);
      } catch (RuntimeException e) {
        throw new AssertionError("mutant " + i + " of " + base.name() + ": " + mutant.spec(), e);
      }
      checkMessages(messages);
      if (messages.stream().anyMatch(ValidationMessage::isError)) {
        rejected++;
      }
    }
    // The mutations really reach the rules: many mutants are rejected, not all.
    assertThat(rejected).isBetween(MUTANTS / 4, MUTANTS - 1);
  }

  private static void checkMessages(List<ValidationMessage> messages) {
    for (ValidationMessage m : messages) {
      assertThat(m.field()).isNotNull();
      assertThat(m.message()).isNotBlank();
    }
  }

  private static ConfigMeta meta(ConfigKind kind, Map<String, String> annotations) {
    return new ConfigMeta(kind, "mutant", "default", Map.of(), annotations, "", 0);
  }

  private static <T> T pick(Random r, T[] values) {
    return values[r.nextInt(values.length)];
  }

  /** Changes one randomly chosen field, somewhere in the message tree. */
  private static void mutate(Message.Builder b, Random r, int depth) {
    List<FieldDescriptor> fields = b.getDescriptorForType().getFields();
    if (fields.isEmpty()) {
      return;
    }
    FieldDescriptor f = fields.get(r.nextInt(fields.size()));
    if (f.isMapField()) {
      Message.Builder entry = b.newBuilderForField(f);
      FieldDescriptor key = entry.getDescriptorForType().findFieldByName("key");
      FieldDescriptor value = entry.getDescriptorForType().findFieldByName("value");
      entry.setField(key, scalar(key, r));
      if (value.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        Message.Builder v = entry.newBuilderForField(value);
        if (depth < 6) {
          mutate(v, r, depth + 1);
        }
        entry.setField(value, v.build());
      } else {
        entry.setField(value, scalar(value, r));
      }
      b.addRepeatedField(f, entry.build());
      return;
    }
    if (f.isRepeated()) {
      int count = b.getRepeatedFieldCount(f);
      int choice = r.nextInt(4);
      if (choice == 0) {
        b.clearField(f);
      } else if (choice == 1 && count > 0 && f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        int index = r.nextInt(count);
        Message.Builder element = ((Message) b.getRepeatedField(f, index)).toBuilder();
        if (depth < 6) {
          mutate(element, r, depth + 1);
        }
        b.setRepeatedField(f, index, element.build());
      } else {
        b.addRepeatedField(f, value(b, f, r, depth));
      }
      return;
    }
    if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
      int choice = r.nextInt(4);
      if (choice == 0) {
        b.clearField(f);
      } else if (choice == 1 || !b.hasField(f)) {
        b.setField(f, value(b, f, r, depth));
      } else if (depth < 6) {
        Message.Builder child = ((Message) b.getField(f)).toBuilder();
        mutate(child, r, depth + 1);
        b.setField(f, child.build());
      }
      return;
    }
    b.setField(f, scalar(f, r));
  }

  private static Object value(Message.Builder parent, FieldDescriptor f, Random r, int depth) {
    if (f.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
      return scalar(f, r);
    }
    if (f.getMessageType().getFullName().equals(Duration.getDescriptor().getFullName())) {
      long[] seconds = {0, 1, -1, 315_576_000_000L, Long.MAX_VALUE};
      int[] nanos = {0, 1, 999_999, 1_000_000, 500_000_000, -1, 1_999_999_999};
      return Duration.newBuilder()
          .setSeconds(seconds[r.nextInt(seconds.length)])
          .setNanos(nanos[r.nextInt(nanos.length)])
          .build();
    }
    Message.Builder child = parent.newBuilderForField(f);
    if (depth < 6) {
      int n = r.nextInt(3);
      for (int i = 0; i < n; i++) {
        mutate(child, r, depth + 1);
      }
    }
    return child.build();
  }

  private static Object scalar(FieldDescriptor f, Random r) {
    switch (f.getJavaType()) {
      case STRING:
        return r.nextInt(8) == 0 ? randomString(r) : pick(r, STRINGS);
      case INT:
        return (int) INTEGERS[r.nextInt(INTEGERS.length)];
      case LONG:
        return INTEGERS[r.nextInt(INTEGERS.length)];
      case DOUBLE:
        return DOUBLES[r.nextInt(DOUBLES.length)];
      case FLOAT:
        return (float) DOUBLES[r.nextInt(DOUBLES.length)];
      case BOOLEAN:
        return r.nextBoolean();
      case ENUM:
        List<EnumValueDescriptor> values = f.getEnumType().getValues();
        return values.get(r.nextInt(values.size()));
      case BYTE_STRING:
        byte[] bytes = new byte[r.nextInt(4) == 0 ? 2 * 1024 * 1024 : r.nextInt(16)];
        r.nextBytes(bytes);
        return com.google.protobuf.ByteString.copyFrom(bytes);
      default:
        throw new IllegalStateException("unexpected field type " + f);
    }
  }

  private static String randomString(Random r) {
    StringBuilder sb = new StringBuilder();
    int n = r.nextInt(40);
    String alphabet = "abcXYZ019-_.*/:~%[](){}@?#=!\"' \t\\,$&|^`<>+;\u00e9";
    for (int i = 0; i < n; i++) {
      sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
    }
    return sb.toString();
  }
}
