package io.jistiod.galley.validation;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The shared syntax checks, against the behaviour of the Go functions Istio uses. */
class SharedChecksTest {

  @ParameterizedTest
  @CsvSource({
    "1.2.3.4, true",
    "0.0.0.0, true",
    "255.255.255.255, true",
    "256.1.1.1, false",
    "01.2.3.4, false",
    "1.2.3, false",
    "1.2.3.4.5, false",
    "'', false",
    "::, true",
    "::1, true",
    "2001:db8::8a2e:370:7334, true",
    "2001:db8:0:0:0:0:2:1, true",
    "2001:db8:0:0:0:0:2:1:5, false",
    "::ffff:1.2.3.4, true",
    "fe80::1%eth0, true",
    "fe80::1%, false",
    "1::2::3, false",
    "12345::1, false",
    "g::1, false",
  })
  void addresses(String s, boolean valid) {
    assertThat(Ips.isAddress(s)).as(s).isEqualTo(valid);
  }

  @ParameterizedTest
  @CsvSource({
    "10.0.0.0/8, true",
    "10.1.2.3/8, true",
    "10.0.0.0/32, true",
    "10.0.0.0/33, false",
    "10.0.0.0/08, false",
    "10.0.0.0/, false",
    "10.0.0.0/-1, false",
    "2001:db8::/32, true",
    "::/0, true",
    "::/129, false",
    "fe80::1%eth0/64, false",
  })
  void prefixes(String s, boolean valid) {
    assertThat(Ips.isPrefix(s)).as(s).isEqualTo(valid);
  }

  @ParameterizedTest
  @CsvSource({
    "reviews, true",
    "a.b.c, true",
    "istio.io., true",
    "*.example.com, true",
    "*, true",
    "*foo.example.com, true",
    "*-foo.example.com, true",
    "foo.*.com, false",
    "foo..com, false",
    "-foo.com, false",
    "foo.123, false",
    "foo.+1, false",
    "1.2.3.4, false",
    "'', false",
  })
  void wildcardDomains(String s, boolean valid) {
    assertThat(Hosts.wildcardDomainProblem(s)).as(s).matches(p -> (p == null) == valid);
  }

  @ParameterizedTest
  @CsvSource({
    "'*.foo.com', 'bar.foo.com', true",
    "'*.foo.com', 'foo.com', false",
    "'*', 'foo.com', true",
    "'*.bar', '*.foo.bar', true",
    "'foo.com', 'foo.com', true",
    "'foo.com', 'bar.com', false",
  })
  void hostsOverlap(String a, String b, boolean overlap) {
    assertThat(Hosts.matches(a, b)).isEqualTo(overlap);
    assertThat(Hosts.matches(b, a)).isEqualTo(overlap);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "foo",
        "100%%",
        "%HOSTNAME%",
        "prefix %HOSTNAME% suffix",
        "%REQ(x-foo)%",
        "%UPSTREAM_METADATA([\"a\", \"b\"])%",
        "%FOO( x )%",
      })
  void validHeaderValues(String v) {
    assertThat(Headers.valueProblem(v)).as(v).isNull();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"abc%123", "%START_TIME%%", "%", "%A([\"a\" x])%", "%A([\"a\"])x%", "a\u0001"})
  void invalidHeaderValues(String v) {
    assertThat(Headers.valueProblem(v)).as(v).isNotNull();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "response.code >= 400",
        "connection.mtls && request.url_path.contains('v1beta3')",
        "response.code",
        "a ? b : c ? d : e",
        "!!a || -1 < -2.5e-3",
        "x in [1, 2, 3,] && {'a': 1, 2: b}.size() == 2u",
        "google.protobuf.Duration{seconds: 1}",
        ".pkg.x[0]['k']",
        "r'raw\\d' + b\"bytes\" + '''multi\nline''' + \"\\u00e9\\x41\\101\"",
        "0x1F + 1u // comment",
      })
  void validCel(String expr) {
    assertThat(CelSyntax.problem(expr)).as(expr).isNull();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        ")++++",
        "",
        "a +",
        "(a",
        "a.",
        "a.in",
        "'unterminated",
        "'bad \\q escape'",
        "1.",
        "if",
        "a = b",
        "{1: 2",
        "[1 2]",
      })
  void invalidCel(String expr) {
    assertThat(CelSyntax.problem(expr)).as(expr).isNotNull();
  }

  @ParameterizedTest
  @CsvSource({
    "https://example.com/jwks, https",
    "HTTP://Example.com:8080/jwks?x=1#frag, http",
    "foo.com, ''",
    "ftp://x/y, ftp",
    "mailto:someone, mailto",
  })
  void urlSchemes(String url, String scheme) {
    GoUrl.Result r = GoUrl.parse(url);
    assertThat(r.ok()).as(url).isTrue();
    assertThat(r.scheme()).isEqualTo(scheme);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "https://foo.com:not-a-number",
        "https://[::1/x",
        "https://a b/x",
        "https://foo.com/%zz",
        "https://foo.com/#%zz",
        ":nope",
        "http://x/\u0007",
      })
  void invalidUrls(String url) {
    assertThat(GoUrl.parse(url).ok()).as(url).isFalse();
  }

  @ParameterizedTest
  @CsvSource({
    "1, true",
    "2, true",
    "3, true",
    "4, false",
    "65537, true",
    "65535, false",
    "0, false",
    "5000011, true"
  })
  void primes(long n, boolean prime) {
    assertThat(TrafficPolicies.isPrime(n)).isEqualTo(prime);
  }
}
