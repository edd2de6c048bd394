package io.jistiod.pilot.networking;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.route.v3.RedirectAction;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import org.junit.jupiter.api.Test;

class RouteSemanticsTest {
  @Test
  void prefixesMatchWholeSegmentsExceptTheRoot() {
    assertThat(
            RouteSemantics.pathSeparated(RouteMatch.newBuilder().setPrefix("/api/").build())
                .getPathSeparatedPrefix())
        .isEqualTo("/api");
    RouteMatch root = RouteMatch.newBuilder().setPrefix("/").build();
    assertThat(RouteSemantics.pathSeparated(root)).isEqualTo(root);
    RouteMatch exact = RouteMatch.newBuilder().setPath("/x").build();
    assertThat(RouteSemantics.pathSeparated(exact)).isEqualTo(exact);
  }

  @Test
  void aRewriteToTheRootCutsTheQuotedPrefix() {
    var rewrite =
        RouteSemantics.removePrefix(
            RouteMatch.newBuilder().setPathSeparatedPrefix("/v1.0").build());
    assertThat(rewrite.getPattern().getRegex()).isEqualTo("^/v1\\.0(/?)(.*)");
    assertThat(rewrite.getSubstitution()).isEqualTo("/\\2");
    assertThat(RouteSemantics.quoteMeta("a+b(c)[d]{e}|^$*?\\"))
        .isEqualTo("a\\+b\\(c\\)\\[d\\]\\{e\\}\\|\\^\\$\\*\\?\\\\");
  }

  @Test
  void aPrefixRedirectReplacesOnlyThePrefix() {
    RedirectAction r = RedirectAction.newBuilder().setPathRedirect("%PREFIX()%/new").build();
    assertThat(RouteSemantics.prefixRedirect(r).getPrefixRewrite()).isEqualTo("/new");
    RedirectAction full = RedirectAction.newBuilder().setPathRedirect("/full").build();
    assertThat(RouteSemantics.prefixRedirect(full)).isEqualTo(full);
  }
}
