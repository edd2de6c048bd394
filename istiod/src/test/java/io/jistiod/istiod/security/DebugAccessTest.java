package io.jistiod.istiod.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.citadel.server.AuthenticationResult;
import io.jistiod.citadel.server.Authenticator;
import io.jistiod.citadel.server.CallInfo;
import io.jistiod.citadel.server.Caller;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** istiod's rule for /debug over HTTP: loopback, or a caller the xDS authenticators accept. */
class DebugAccessTest {
  private static final InetSocketAddress LOCAL = new InetSocketAddress("127.0.0.1", 40000);
  private static final InetSocketAddress LOCAL6 = new InetSocketAddress("::1", 40000);
  private static final InetSocketAddress POD = new InetSocketAddress("10.1.2.3", 40000);

  /** Accepts exactly the token "good". */
  private static final Authenticator TOKENS =
      new Authenticator() {
        @Override
        public String name() {
          return "fake";
        }

        @Override
        public AuthenticationResult authenticate(CallInfo call) {
          return call.header("authorization").orElse("").equals("Bearer good")
              ? AuthenticationResult.success(
                  new Caller("fake", List.of("spiffe://cluster.local/ns/istio-system/sa/x")))
              : AuthenticationResult.failure("bad token");
        }
      };

  @Test
  void loopbackCallersNeedNoCredentials() {
    DebugAccess access = new DebugAccess(List::of);
    assertThat(access.allowed(LOCAL, null)).isTrue();
    assertThat(access.allowed(LOCAL6, null)).isTrue();
  }

  @Test
  void othersNeedCredentialsTheAuthenticatorsAccept() {
    DebugAccess access = new DebugAccess(() -> List.of(TOKENS));
    assertThat(access.allowed(POD, null)).isFalse();
    assertThat(access.allowed(POD, "Bearer bad")).isFalse();
    assertThat(access.allowed(POD, "Bearer good")).isTrue();
  }

  @Test
  void withoutTheCaOnlyLoopbackGetsIn() {
    DebugAccess access = new DebugAccess(List::of);
    assertThat(access.allowed(POD, "Bearer good")).isFalse();
  }
}
